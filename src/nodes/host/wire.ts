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
  return encodeBatch(inputs, null)[0];
}

/**
 * The batch as encodeInputBatch writes it, and in the same pass the same batch with each message
 * body replaced by `"ref":bodyRef(body)` (how a live recording keeps it, bodies stored apart).
 */
export function encodeInputBatchWithRefs(inputs: readonly WireInput[], bodyRef: (body: string) => number): [wire: string, referenced: string] {
  return encodeBatch(inputs, bodyRef);
}

function encodeBatch(inputs: readonly WireInput[], bodyRef: ((body: string) => number) | null): [string, string] {
  // Without messages (a leader's batch of client requests, ticks) the batch is its own JSON: one
  // flat string from one call, where the loop below makes a string and a join per input, 64 of
  // each per round under load (5% more writes a second at sync normal, 8 of 10 interleaved pairs).
  if (!inputs.some((input) => input.kind === 'wire')) {
    const text = JSON.stringify(inputs);
    return [text, text];
  }
  let wire = '[';
  // The referenced text is the wire text until the first message: a batch of client requests and
  // ticks has one text for both.
  let referenced: string | null = null;
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i] as WireInput;
    const separator = i > 0 ? ',' : '';
    if (input.kind === 'wire') {
      const head = messageInputHead(input.envelope);
      if (bodyRef !== null) referenced = `${referenced ?? wire}${separator}${head}"ref":${bodyRef(input.envelope.body)}}}`;
      wire += `${separator}${head}"body":${input.envelope.body}}}`;
    } else {
      const json = JSON.stringify(input);
      wire += separator + json;
      if (referenced !== null) referenced += separator + json;
    }
  }
  wire += ']';
  return [wire, referenced === null ? wire : `${referenced}]`];
}

export function decodeInputBatch(text: string): Input[] {
  return JSON.parse(text) as Input[];
}

/** A message input in JSON up to its body: `{"kind":"message","envelope":{"src":..,"dest":..,` */
export function messageInputHead(envelope: { src: string; dest: string }): string {
  return `{"kind":"message","envelope":{"src":${JSON.stringify(envelope.src)},"dest":${JSON.stringify(envelope.dest)},`;
}
