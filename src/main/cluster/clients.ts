// Clients of the live cluster: each one a loop with at most one operation open, sending to the
// node it believes leads, following redirects, and writing every operation to the history in the
// checker's format. A timeout is recorded as `info`: the operation may still take effect.

import type { HistoryEvent, RequestFunction, WorkloadDataType } from '../../shared/history.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { createRng } from '../../shared/rng.ts';
import type { OperationMix } from '../sim/workload.ts';
import { WorkloadGenerator } from '../sim/workload.ts';
import type { Cluster } from './cluster.ts';
import { CausalContexts, givenUp, judgeReply, MAX_ATTEMPTS } from '../runtime/client.ts';
import { historyNowNs } from './hand-client.ts';

export interface ClientOptions {
  clients: number;
  /** Operations per second, all clients together. */
  rate: number;
  keys: number;
  /** What the keys hold (default: registers); the cluster's algorithm must serve it. */
  dataType?: WorkloadDataType;
  mix: OperationMix;
  timeoutMs: number;
  seed: number;
}

export interface ClientStats {
  ok: number;
  fail: number;
  info: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ClientPool {
  readonly history: HistoryEvent[] = [];
  readonly stats: ClientStats = { ok: 0, fail: 0, info: 0 };
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly cluster: Cluster;
  private readonly options: ClientOptions;
  private readonly onEvent: ((event: HistoryEvent) => void) | undefined;

  private readonly served: readonly RequestFunction[];

  /** Throws (a ClusterError or a RangeError, with a sentence) when the cluster cannot serve the workload. */
  constructor(cluster: Cluster, options: ClientOptions, onEvent?: (event: HistoryEvent) => void) {
    this.cluster = cluster;
    this.options = options;
    this.onEvent = onEvent;
    this.served = cluster.servedRequests(options.dataType ?? 'kv');
    // The mix against what is served, now: the client loops would only find out after start.
    new WorkloadGenerator(createRng(0), options.keys, options.mix, options.dataType ?? 'kv', this.served);
  }

  private record(event: HistoryEvent): void {
    this.history.push(event);
    this.cluster.journal({ kind: 'client', time: this.cluster.elapsedMs(), event });
    this.onEvent?.(event);
  }

  private nowNs(): number {
    return historyNowNs();
  }

  start(): void {
    this.running = true;
    for (let c = 1; c <= this.options.clients; c++) this.loops.push(this.loop(c));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /**
   * The end of a run whose convergence is judged: the clients stop, `quietMs` pass, then one client
   * per node and key reads it there, marked final (a node that redirects is followed). Returns how
   * many final reads were acknowledged.
   */
  async finalReads(quietMs: number): Promise<number> {
    await this.stop();
    await sleep(quietMs);
    const reads: Array<Promise<boolean>> = [];
    let process = this.options.clients;
    for (const node of this.cluster.nodeIds) for (let k = 0; k < this.options.keys; k++) reads.push(this.finalRead(++process, node, `k${k}`));
    return (await Promise.all(reads)).filter(Boolean).length;
  }

  private async finalRead(process: number, node: NodeId, key: string): Promise<boolean> {
    this.record({ process, type: 'invoke', f: 'read', key, value: null, time: this.nowNs(), final: true });
    const deadline = performance.now() + this.options.timeoutMs;
    const request = { clientId: process, seq: 1, op: { f: 'read' as const, key } };
    let target = node;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      const verdict = judgeReply(await this.cluster.request(target, request, remaining));
      if (verdict.kind === 'ok') {
        this.stats.ok++;
        this.record({ process, type: 'ok', f: 'read', key, value: verdict.value, time: this.nowNs(), final: true });
        return true;
      }
      if (verdict.kind !== 'redirect') break;
      if (verdict.to === null) await sleep(5);
      else target = verdict.to;
    }
    // A read that did not answer tells nothing: recorded as of unknown outcome.
    this.stats.info++;
    this.record({ process, type: 'info', f: 'read', key, value: null, time: this.nowNs(), final: true });
    return false;
  }

  private async loop(process: number): Promise<void> {
    const rng = createRng(this.options.seed).fork(`client ${process}`);
    const dataType = this.options.dataType ?? 'kv';
    // Its operations from a stream of their own: the same seed gives every client the same
    // operations whatever the cluster answers (redirects and pauses draw from `rng`).
    const generator = new WorkloadGenerator(createRng(this.options.seed).fork(`client ops ${process}`), this.options.keys, this.options.mix, dataType, this.served, { index: process - 1, of: this.options.clients });
    const contexts = new CausalContexts();
    const ids = this.cluster.nodeIds;
    let target: NodeId = ids[rng.int(0, ids.length)] as NodeId;
    let seq = 0;
    const meanGapMs = (this.options.clients / this.options.rate) * 1000;
    while (this.running) {
      await sleep(-Math.log(1 - rng.next()) * meanGapMs);
      if (!this.running) return;
      const next = generator.next();
      this.record({ process, type: 'invoke', f: next.f, key: next.key, value: next.f === 'read' ? null : next.value, time: this.nowNs() });
      const deadline = performance.now() + this.options.timeoutMs;
      // One sequence number for every attempt of the operation: a definite refusal speaks for the
      // attempt it answers, so the state machine applies the operation at most once.
      const context = contexts.forRequest(next.op);
      const request = context === undefined ? { clientId: process, seq: ++seq, op: next.op } : { clientId: process, seq: ++seq, op: next.op, context };
      let outcome: { type: 'ok' | 'fail' | 'info'; value: HistoryEvent['value'] } | null = null;
      for (let attempt = 0; attempt < MAX_ATTEMPTS && outcome === null; attempt++) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) break;
        const verdict = judgeReply(await this.cluster.request(target, request, remaining));
        if (verdict.kind === 'ok') {
          contexts.remember(next.op, verdict.context);
          outcome = { type: 'ok', value: next.f === 'read' ? verdict.value : next.value };
        }
        else if (verdict.kind === 'fail') outcome = { type: 'fail', value: next.value };
        else if (verdict.kind === 'uncertain') outcome = { type: 'info', value: next.value };
        else {
          // Definitely not applied: try where the node points, or anywhere, after a short pause.
          target = verdict.to ?? (ids[rng.int(0, ids.length)] as NodeId);
          if (verdict.to === null) await sleep(5 + rng.next() * 20);
        }
      }
      if (outcome === null) {
        // Out of time or attempts after definite refusals only: each answered the one request, and
        // no copy of it is still on its way (the live network does not duplicate client requests).
        outcome = { type: givenUp(false), value: next.value };
        target = ids[rng.int(0, ids.length)] as NodeId;
      }
      this.stats[outcome.type]++;
      this.record({ process, type: outcome.type, f: next.f, key: next.key, value: outcome.type === 'ok' && next.f === 'read' ? outcome.value : next.f === 'read' ? null : next.value, time: this.nowNs() });
    }
  }
}
