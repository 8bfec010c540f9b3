// Toy algorithms that stand in for weak ones in the harness's tests: small enough to be obviously
// right, or obviously wrong in the one way a test needs.

import { defineAlgorithm } from '../../src/nodes/define.ts';
import { KvStateMachine } from '../../src/nodes/kv/state-machine.ts';
import type { ConsensusNode, Input, Ready } from '../../src/nodes/types.ts';
import type { ClientReply, ClientRequest } from '../../src/shared/protocol.ts';
import type { ConsistencyName } from '../../src/shared/consistency.ts';
import type { RequestFunction, WorkloadDataType } from '../../src/shared/history.ts';

/**
 * Every node keeps its own store and answers at once, never telling the others: always
 * available, never convergent. With `gossip`, counters only: each increment is kept under its
 * request's id (client and seq), so that a retry or a copy of it counts once wherever it lands,
 * and each tick a node sends every increment it knows to the others, who keep the union.
 */
export function localStore(options: { promises: ConsistencyName | null; serves?: Partial<Record<WorkloadDataType, readonly RequestFunction[]>>; gossip?: boolean; contexts?: ClientRequest[] }) {
  return defineAlgorithm({
    name: 'local-store',
    defaultOptions: {},
    promises: options.promises,
    ...(options.serves === undefined ? {} : { serves: () => options.serves as Partial<Record<WorkloadDataType, readonly RequestFunction[]>> }),
    create(context) {
      const store = new KvStateMachine();
      const increments = new Map<string, Map<string, number>>();
      const learn = (key: string, id: string, amount: number): void => {
        const known = increments.get(key) ?? new Map<string, number>();
        known.set(id, amount);
        increments.set(key, known);
      };
      const sum = (key: string): number => [...(increments.get(key)?.values() ?? [])].reduce((a, b) => a + b, 0);
      let replies: ClientReply[] = [];
      let messages: Ready['messages'] = [];
      const node: ConsensusNode = {
        id: context.id,
        step(input: Input) {
          if (input.kind === 'client') {
            const { request } = input;
            options.contexts?.push(request);
            if (options.gossip === true) {
              if (request.op.f === 'incr') learn(request.op.key, `${request.clientId}:${request.seq}`, request.op.value);
              const value = request.op.f === 'read' ? sum(request.op.key) : null;
              replies.push({ kind: 'client', clientId: request.clientId, seq: request.seq, ok: true, value, context: `seen-by-${context.id}` });
              return;
            }
            const outcome = store.apply(request);
            if (outcome.kind === 'stale') return;
            const result = outcome.result;
            replies.push(result.ok ? { kind: 'client', clientId: request.clientId, seq: request.seq, ok: true, value: result.value } : { kind: 'client', clientId: request.clientId, seq: request.seq, ok: false, error: result.error, definite: true, leaderHint: null, message: result.message });
          } else if (input.kind === 'tick' && options.gossip === true) {
            for (const peer of context.bootstrapVoters) if (peer !== context.id) messages.push({ src: context.id, dest: peer, body: { type: 'state', increments: [...increments].map(([key, known]) => [key, [...known]]) } as { type: string } });
          } else if (input.kind === 'message') {
            for (const [key, known] of (input.envelope.body as unknown as { increments: Array<[string, Array<[string, number]>]> }).increments) for (const [id, amount] of known) learn(key, id, amount);
          }
        },
        hasReady: () => replies.length > 0 || messages.length > 0,
        ready(): Ready {
          const ready: Ready = { persist: null, messages, applied: [], replies };
          replies = [];
          messages = [];
          return ready;
        },
        status: () => ({ id: context.id, role: 'replica', leader: null, keys: store.size }),
      };
      return node;
    },
  });
}
