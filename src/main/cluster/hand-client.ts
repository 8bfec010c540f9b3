// One operation sent by hand to the live cluster (the window's client panel, a scenario's step),
// recorded in the history the checker reads like any client's. A client of its own, or one that
// keeps a session (its process, sequence numbers and causal contexts across operations).

import type { ClientOutcome } from '../../shared/bridge.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import { historyFunction, historyValue, type KvOp, type NodeId } from '../../shared/protocol.ts';
import { CausalContexts, givenUp, judgeReply, MAX_ATTEMPTS } from '../runtime/client.ts';
import type { Cluster } from './cluster.ts';

/** Nanoseconds on one clock for every live history of this process: the workload's clients and operations by hand share it, so the checker can order them. */
const HISTORY_EPOCH = process.hrtime.bigint();
export function historyNowNs(): number {
  return Number(process.hrtime.bigint() - HISTORY_EPOCH);
}

export interface HandClient {
  process: number;
  /** The last sequence number it used. */
  seq: number;
  contexts: CausalContexts;
}

export function newHandClient(process: number, contexts = new CausalContexts()): HandClient {
  return { process, seq: 0, contexts };
}

export interface HandOptions {
  timeoutMs: number;
  /** Sent to one node: follow where it points (a client), or take its refusal as the answer (the window asking that node). */
  followRedirects: boolean;
  /** A final read (after a quiet period, judged for convergence). */
  final?: boolean;
  /** Where the history's events go: the cluster's journal, and whoever keeps a history of their own. */
  record: (event: HistoryEvent) => void;
}

/** Sends `op` to `target` (null: whoever leads, else the first node), as `client`'s next operation. */
export async function sendByHand(cluster: Cluster, client: HandClient, op: KvOp, target: NodeId | null, options: HandOptions): Promise<ClientOutcome> {
  const ids = cluster.nodeIds;
  let node: NodeId = target ?? cluster.leader() ?? (ids[0] as NodeId);
  const started = performance.now();
  const final = options.final === true ? { final: true } : {};
  options.record({ process: client.process, type: 'invoke', f: historyFunction(op), key: op.key, value: historyValue(op), time: historyNowNs(), ...final });
  // One request for every attempt (same client id and sequence number): applied at most once.
  const context = client.contexts.forRequest(op);
  const seq = ++client.seq;
  const request = context === undefined ? { clientId: client.process, seq, op } : { clientId: client.process, seq, op, context };
  const follow = options.followRedirects || target === null;
  let outcome: ClientOutcome | null = null;
  let refused: string | null = null;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && outcome === null; attempt++) {
    const remaining = options.timeoutMs - (performance.now() - started);
    if (remaining <= 0) break;
    const verdict = judgeReply(await cluster.request(node, request, remaining));
    const ms = performance.now() - started;
    if (verdict.kind === 'ok') {
      client.contexts.remember(op, verdict.context);
      outcome = { type: 'ok', value: op.f === 'read' ? verdict.value : historyValue(op), node, error: null, ms };
    } else if (verdict.kind === 'fail') outcome = { type: 'fail', value: historyValue(op), node, error: verdict.message, ms };
    else if (verdict.kind === 'uncertain') outcome = { type: 'info', value: historyValue(op), node, error: verdict.message, ms };
    else if (!follow) outcome = { type: givenUp(false), value: historyValue(op), node, error: verdict.message, ms };
    else {
      refused = verdict.message;
      if (verdict.to !== null && verdict.to !== node) node = verdict.to;
      else {
        // It does not know who leads: ask the next node, as the simulator's clients do, after a pause that grows.
        node = ids[(ids.indexOf(node) + 1) % ids.length] as NodeId;
        await new Promise((resolve) => setTimeout(resolve, 5 + 10 * attempt));
      }
    }
  }
  // Refused every time (definitely not applied), or out of time with an attempt unanswered.
  if (outcome === null && refused !== null) outcome = { type: givenUp(false), value: historyValue(op), node, error: refused, ms: performance.now() - started };
  outcome ??= { type: 'info', value: historyValue(op), node, error: `no answer within ${options.timeoutMs} ms: the operation may or may not take effect`, ms: performance.now() - started };
  const value = outcome.type === 'ok' && op.f === 'read' ? outcome.value : op.f === 'read' ? null : historyValue(op);
  options.record({ process: client.process, type: outcome.type, f: historyFunction(op), key: op.key, value, time: historyNowNs(), ...final });
  return outcome;
}
