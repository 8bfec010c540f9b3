// Inputs and messages in wire form (message bodies as JSON text) and back: how they cross from the
// main process to a worker, and how a recording keeps them, so that a re-executed node parses
// exactly what the live one parsed.

import type { Envelope, Input } from '../types.ts';
import type { WireEnvelope, WireInput } from './protocol.ts';

export function toWireEnvelope(envelope: Envelope): WireEnvelope {
  return { src: envelope.src, dest: envelope.dest, type: envelope.body.type, body: JSON.stringify(envelope.body) };
}

/**
 * A batch of inputs as one JSON text, each message body spliced in as the JSON it already is. The
 * worker reads the whole batch with one JSON.parse: a string crosses the thread boundary as a
 * copy, where an array of objects is cloned field by field (~40% more time on both sides), and a
 * body is parsed once, not once as a string and again as JSON.
 */
export function encodeInputBatch(inputs: readonly WireInput[]): string {
  let text = '[';
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as WireInput;
    if (i > 0) text += ',';
    if (input.kind === 'wire') text += `${messageInputHead(input.envelope)}"body":${input.envelope.body}}}`;
    else text += JSON.stringify(input);
  }
  return text + ']';
}

export function decodeInputBatch(text: string): Input[] {
  return JSON.parse(text) as Input[];
}

/** A message input in JSON up to its body: `{"kind":"message","envelope":{"src":..,"dest":..,` */
export function messageInputHead(envelope: { src: string; dest: string }): string {
  return `{"kind":"message","envelope":{"src":${JSON.stringify(envelope.src)},"dest":${JSON.stringify(envelope.dest)},`;
}
