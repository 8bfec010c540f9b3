// What a client makes of an answer, the same for the simulator's clients, the live workload and
// an operation sent by hand from the window (Maelstrom's and Jepsen's reading of errors): ok is
// done; a definite refusal means the attempt did nothing, so the operation may go elsewhere (where
// the node points, when it says); an indefinite error or no answer at all means it may have taken
// effect: the history records `info` unless the client retries the same request (same client id
// and sequence number, so the state machine applies it at most once).

import type { KvValue } from '../../shared/history.ts';
import type { ClientReply, KvOp, NodeId } from '../../shared/protocol.ts';

/** Attempts an operation gets before the client gives up on it. */
export const MAX_ATTEMPTS = 20;

export type AttemptVerdict =
  | { kind: 'ok'; value: KvValue; context?: string }
  /** Certainly not applied, and nowhere better to go (a cas that found another value). */
  | { kind: 'fail'; message: string }
  /** May or may not have taken effect: a timeout (null) or an indefinite error. */
  | { kind: 'uncertain'; message: string }
  /** This attempt did nothing; `to` is where the node says the leader is (null: it does not know). */
  | { kind: 'redirect'; to: NodeId | null; message: string };

export function judgeReply(reply: ClientReply | null): AttemptVerdict {
  if (reply === null) return { kind: 'uncertain', message: 'no answer in time: the operation may or may not take effect' };
  if (reply.ok) return reply.context === undefined ? { kind: 'ok', value: reply.value } : { kind: 'ok', value: reply.value, context: reply.context };
  if (reply.error === 'cas_mismatch' || reply.error === 'wrong_type') return { kind: 'fail', message: reply.message };
  if (!reply.definite) return { kind: 'uncertain', message: reply.message };
  return { kind: 'redirect', to: reply.leaderHint, message: reply.message };
}

/**
 * How an operation ends when the client stops trying after definite refusals: `fail`, unless an
 * earlier attempt was uncertain or a copy of the request may still arrive (the network duplicated
 * it), in which case nobody can say it did not happen: `info`.
 */
export function givenUp(uncertainBefore: boolean): 'fail' | 'info' {
  return uncertainBefore ? 'info' : 'fail';
}

/**
 * A client's causal contexts, per key: what its last read of the key said it has seen (a store
 * keeping concurrent values as siblings returns one, opaque). The client's next write of the key
 * sends it back, so that write supersedes the siblings it read (Dynamo's and Riak's
 * read-modify-write); reads send nothing. Only reads give a context: two writes with no read
 * between them are concurrent, and both are kept.
 */
export class CausalContexts {
  private readonly byKey = new Map<string, string>();

  remember(op: KvOp, context: string | undefined): void {
    if (op.f === 'read' && context !== undefined) this.byKey.set(op.key, context);
  }

  /** The context to send with this request, if it writes a key the client has a context for. */
  forRequest(op: KvOp): string | undefined {
    return op.f === 'read' ? undefined : this.byKey.get(op.key);
  }
}
