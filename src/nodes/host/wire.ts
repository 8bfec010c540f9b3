// Inputs and messages in wire form (message bodies as JSON text) and back: how they cross from the
// main process to a worker, and how a recording keeps them, so that a re-executed node parses
// exactly what the live one parsed.

import type { Envelope, Input } from '../types.ts';
import type { WireEnvelope, WireInput } from './protocol.ts';

export function toWireEnvelope(envelope: Envelope): WireEnvelope {
  return { src: envelope.src, dest: envelope.dest, type: envelope.body.type, body: JSON.stringify(envelope.body) };
}

export function toWireInput(input: Input): WireInput {
  return input.kind === 'message' ? { kind: 'wire', envelope: toWireEnvelope(input.envelope) } : input;
}

export function fromWireInput(input: WireInput): Input {
  if (input.kind !== 'wire') return input;
  const { src, dest, body } = input.envelope;
  return { kind: 'message', envelope: { src, dest, body: JSON.parse(body) as { type: string } } };
}
