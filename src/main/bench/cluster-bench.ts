// The live cluster on worker threads and SQLite files: committed writes per second, commit
// latency, leader failover, and memory per node, each beside a baseline from the same run.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Cluster } from '../cluster/cluster.ts';
import type { SyncMode } from '../../nodes/host/sqlite-storage.ts';
import type { BenchFigure, BenchSuite } from './types.ts';
import type { SkeletonNodeJob, SkeletonPost } from './round-skeleton.ts';
import { SessionRecorder } from '../record/recorder.ts';
import { algorithms, getAlgorithm, promisesOf, servedRequests } from '../../nodes/index.ts';
import type { KvOp } from '../../shared/protocol.ts';
import { defaultDataType } from '../sim/workload.ts';

const THROUGHPUT_MS = 3000;
/**
 * Load before the clock starts, for the cluster and the bare writers alike. A fresh cluster's
 * threads compile their code as they go: its writes/s rose for the first two seconds (by half at
 * sync normal), so a measurement from the first write was mostly of the warm-up.
 */
const WARMUP_MS = 2000;
const CLIENTS = 64;
const THROUGHPUT_ROUNDS = 3;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Every registered algorithm but the baseline, measured beside it. */
const OTHERS = Object.values(algorithms).filter((a) => a.name !== 'raft');
/** The algorithms the 0.7-of-the-ceiling goal is set for: consensus, which pays for its order. */
const CONSENSUS = new Set(Object.values(algorithms).filter((a) => promisesOf(a) === 'linearizable').map((a) => a.name));

async function startCluster(dir: string, nodes: number, sync: SyncMode, session: string, recorder?: SessionRecorder, algorithm = 'raft'): Promise<Cluster> {
  const cluster = new Cluster({ algorithm, nodes, seed: 1, dataDir: dir, session, sync, recorder });
  if (recorder) cluster.subscribe((events) => recorder.journal(events));
  await cluster.start();
  // A design with leaders is ready once it has one; a leaderless one once every node reports.
  const hasLeaders = getAlgorithm(algorithm)?.leaderTimeoutOption !== undefined;
  while (hasLeaders ? cluster.leader() === null : cluster.nodeIds.some((id) => cluster.status(id) === null)) await sleep(5);
  return cluster;
}

/** Where a client sends its writes: the leader, or (no leader) a node of its own, spread over all. */
function targetOf(cluster: Cluster, clientId: number): string {
  return cluster.leader() ?? (cluster.nodeIds[clientId % cluster.nodeIds.length] as string);
}

/** The algorithm's own kind of write, on the data type it serves by default: a write, an increment, an add. */
function writeOp(algorithm: string, key: string, seq: number): KvOp {
  const found = getAlgorithm(algorithm);
  const dataType = found === undefined ? 'kv' : defaultDataType(servedRequests(found));
  if (dataType === 'counter') return { f: 'incr', key, value: 1 };
  if (dataType === 'set') return { f: 'add', key, value: seq };
  return { f: 'write', key, value: seq };
}

/**
 * CLIENTS closed-loop writers, each sending its next write once the last is answered (by a reply,
 * `ok` when it committed, or null). Returns the writes committed over THROUGHPUT_MS, counted from
 * WARMUP_MS after the load starts (`onMark` runs then), per second, and all the load's writes.
 */
async function closedLoop(write: (clientId: number, seq: number, key: string) => Promise<{ ok: boolean } | null>, onMark: () => void = () => undefined): Promise<{ perSecond: number; committed: number; ms: number }> {
  let committed = 0;
  let running = true;
  const loadStarted = performance.now();
  const mark = { at: Infinity, committed: 0 };
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      let seq = 0;
      while (running) {
        const reply = await write(c + 1, ++seq, `k${c % 8}`);
        if (reply?.ok) committed++;
        const now = performance.now();
        if (mark.at === Infinity && now - loadStarted >= WARMUP_MS) {
          Object.assign(mark, { at: now, committed });
          onMark();
        }
        if (now - mark.at > THROUGHPUT_MS) running = false;
      }
    }),
  );
  const end = performance.now();
  return { perSecond: (committed - mark.committed) / ((end - mark.at) / 1000), committed, ms: end - loadStarted };
}

/**
 * Closed-loop writers hammering the leader; returns committed writes per second and the mean
 * batch over THROUGHPUT_MS, counted from WARMUP_MS after the load starts. With `recordTo`, the
 * session is recorded into that file as the app records it.
 */
export async function throughput(dir: string, nodes: number, sync: SyncMode, recordTo?: string, algorithm = 'raft'): Promise<{ perSecond: number; batch: number }> {
  const recorder = recordTo === undefined ? undefined : new SessionRecorder(recordTo, { mode: 'live', algorithm, nodes, seed: 1, settings: { sync, bench: true } });
  const cluster = await startCluster(dir, nodes, sync, `tp-${algorithm}-${nodes}-${sync}-${recordTo === undefined ? 'plain' : 'recorded'}-${Date.now()}`, recorder, algorithm);
  const leader = targetOf(cluster, 0);
  // The leader's log writes when the measurement starts.
  const mark = { transactions: 0, entries: 0 };
  const load = await closedLoop(
    (clientId, seq, key) => cluster.request(targetOf(cluster, clientId), { clientId, seq, op: writeOp(algorithm, key, seq) }, 2000),
    () => Object.assign(mark, cluster.logWrites.get(leader)),
  );
  await cluster.stop();
  await recorder?.close({ durationMs: load.ms, ops: { ok: load.committed, fail: 0, info: 0 }, elections: cluster.stats.elections, violations: 0, linearizable: 'unknown' });
  rmSync(cluster.dir, { recursive: true, force: true });
  if (recordTo !== undefined) removeDatabase(recordTo);
  const writes = cluster.logWrites.get(leader) ?? { transactions: 0, entries: 0 };
  const transactions = writes.transactions - mark.transactions;
  return { perSecond: load.perSecond, batch: transactions === 0 ? 1 : (writes.entries - mark.entries) / transactions };
}

/**
 * A run's files go as soon as it ends: deleted, their pages still waiting for write-back are
 * dropped, and the next run does not share the disk with this one's tens of megabytes (a
 * recorded run leaves twice what a plain one does).
 */
function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

let skeletonRuns = 0;

/**
 * The same closed-loop load on a cluster with no consensus logic (round-skeleton.ts): each round's
 * posts through this thread and SQLite writes, nothing else. Its writes/s are what the
 * architecture itself allows on this machine, the most any algorithm on it could reach.
 */
export async function skeletonThroughput(dir: string, nodes: number, sync: SyncMode): Promise<number> {
  const run = ++skeletonRuns;
  const ids = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  const paths = ids.map((id) => join(dir, `skeleton-${sync}-${nodes}-${run}-${id}.sqlite`));
  const workers = new Map(
    ids.map((id, i) => {
      const job: SkeletonNodeJob = { path: paths[i] as string, sync, acksNeeded: Math.floor(nodes / 2) };
      return [id, new Worker(new URL('./round-skeleton.ts', import.meta.url), { workerData: job })] as const;
    }),
  );
  const leader = workers.get('n1') as Worker;
  const followers = ids.slice(1).map((id) => workers.get(id) as Worker);
  const answers = new Map<string, (reply: { ok: boolean }) => void>();
  let batch: Array<{ clientId: number; seq: number; op: unknown }> = [];
  const request = (clientId: number, seq: number, op: unknown): Promise<{ ok: boolean }> =>
    new Promise((resolve) => {
      answers.set(`${clientId}:${seq}`, resolve);
      // Gathered for the rest of this turn of the event loop, as the cluster gathers a node's inputs.
      if (batch.push({ clientId, seq, op }) === 1)
        setImmediate(() => {
          const requests = batch;
          batch = [];
          leader.postMessage(JSON.stringify({ type: 'requests', requests }));
        });
    });
  for (const worker of workers.values()) {
    worker.on('message', (post: SkeletonPost) => {
      if ('replies' in post) {
        for (const reply of JSON.parse(post.replies) as Array<{ clientId: number; seq: number; ok: boolean }>) {
          const key = `${reply.clientId}:${reply.seq}`;
          answers.get(key)?.(reply);
          answers.delete(key);
        }
      } else for (const to of post.to) for (const target of to === 'followers' ? followers : [workers.get(to) as Worker]) target.postMessage(post.text);
    });
  }
  // A node that fails (its file cannot be written, say) ends the run with its error, not a hang.
  const failed = new Promise<never>((_, reject) => {
    for (const worker of workers.values()) worker.once('error', reject);
  });
  await Promise.race([failed, Promise.all([...workers.values()].map((worker) => new Promise((resolve) => worker.once('online', resolve))))]);
  const load = closedLoop((clientId, seq, key) => request(clientId, seq, { f: 'write', key, value: seq }));
  try {
    return (await Promise.race([failed, load])).perSecond;
  } finally {
    await Promise.all([...workers.values()].map((worker) => worker.terminate()));
    for (const path of paths) removeDatabase(path);
  }
}

let baselineRuns = 0;

async function writerBaseline(dir: string, writers: number, sync: SyncMode, batch: number): Promise<number> {
  // Each run writes new files: a writer starts its log at index 1.
  const run = ++baselineRuns;
  const paths = Array.from({ length: writers }, (_, i) => join(dir, `baseline-${sync}-${writers}-${run}-${i}.sqlite`));
  const results = await Promise.all(
    paths.map((path) => {
      const worker = new Worker(new URL('./sqlite-writer.ts', import.meta.url), {
        workerData: { path, sync, batch: Math.max(1, Math.round(batch)), warmupMs: WARMUP_MS, durationMs: THROUGHPUT_MS },
      });
      return new Promise<{ entries: number; seconds: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  for (const path of paths) removeDatabase(path);
  // Entries per second of one writer, averaged: the rate a node's disk work alone allows.
  return results.reduce((sum, r) => sum + r.entries / r.seconds, 0) / writers;
}

/** The middle value (the upper one of an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

export const clusterBench: BenchSuite = {
  name: `live cluster: worker threads and SQLite (${CLIENTS} closed-loop clients for throughput)`,
  async run(progress) {
    const figures: BenchFigure[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'cluster-bench-'));
    try {
      for (const nodes of [3, 5]) {
        for (const sync of ['full', 'normal'] as const) {
          // Rounds in a rotating order, each run first in one: this machine's speed drifts by a
          // quarter from one minute to the next, and a single pair of runs took that drift for a ratio.
          const cluster: Array<{ perSecond: number; batch: number }> = [];
          const bare: number[] = [];
          const skeleton: number[] = [];
          // Every other algorithm beside Raft, at sync full (the app's default), in the same rotation.
          const others = new Map(OTHERS.map((a) => [a.name, [] as Array<{ perSecond: number; batch: number }>]));
          for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
            progress(`throughput: ${nodes} nodes, sync ${sync}, round ${round + 1}/${THROUGHPUT_ROUNDS}`);
            const runCluster = async (): Promise<void> => void cluster.push(await throughput(dir, nodes, sync));
            // The baseline writes in the batches the cluster's leader wrote (the first cluster run's when it goes first).
            const runBare = async (): Promise<void> => void bare.push(await writerBaseline(dir, nodes, sync, cluster[0]?.batch ?? CLIENTS));
            const runSkeleton = async (): Promise<void> => void skeleton.push(await skeletonThroughput(dir, nodes, sync));
            const runOthers = OTHERS.map((a) => async (): Promise<void> => void others.get(a.name)?.push(await throughput(dir, nodes, sync, undefined, a.name)));
            const order = sync === 'full' ? [runCluster, runBare, runSkeleton, ...runOthers] : [runCluster, runBare, runSkeleton];
            for (let i = 0; i < order.length; i++) await (order[(i + round) % order.length] as () => Promise<void>)();
          }
          const tp = { perSecond: median(cluster.map((c) => c.perSecond)), batch: median(cluster.map((c) => c.batch)) };
          const base = median(bare);
          figures.push({
            name: `cluster.n${nodes}.${sync}.writes`,
            label: `${nodes} nodes, sync ${sync}: committed writes/s over ${THROUGHPUT_MS / 1000} s after ${WARMUP_MS / 1000} s of warm-up, median of ${THROUGHPUT_ROUNDS} alternating rounds (leader batch ${tp.batch.toFixed(1)} entries per transaction)`,
            value: tp.perSecond,
            unit: 'writes/s',
            baseline: { label: `one of ${nodes} bare SQLite writers, same sync, batch and warm-up`, value: base },
            ratio: tp.perSecond / base,
            better: 'higher',
            target: { text: '>= 50% of a bare writer', met: tp.perSecond >= 0.5 * base },
          });
          const ceiling = median(skeleton);
          figures.push({
            name: `cluster.n${nodes}.${sync}.skeleton`,
            label: `${nodes} nodes, sync ${sync}, no consensus logic: the same load, the same posts through the main thread and SQLite writes a round, nothing else (what the architecture allows here)`,
            value: ceiling,
            unit: 'writes/s',
            baseline: { label: `one of ${nodes} bare SQLite writers, same sync, batch and warm-up`, value: base },
            ratio: ceiling / base,
            better: 'higher',
          });
          const consensus = [
            { name: 'raft', title: 'Raft', perSecond: tp.perSecond },
            ...OTHERS.filter((a) => (others.get(a.name)?.length ?? 0) > 0).map((a) => ({ name: a.name, title: a.title, perSecond: median((others.get(a.name) ?? []).map((c) => c.perSecond)) })),
          ];
          if (sync === 'full') {
            for (const algorithm of consensus) {
              figures.push({
                name: `cluster.n${nodes}.${sync}.${algorithm.name}.ceiling`,
                label: `${nodes} nodes, sync ${sync}: ${algorithm.title}'s committed writes/s against the consensus-free round`,
                value: algorithm.perSecond,
                unit: 'writes/s',
                baseline: { label: 'the consensus-free round (the ceiling above)', value: ceiling },
                ratio: algorithm.perSecond / ceiling,
                better: 'higher',
                // The goal is the consensus algorithms'; the weak ones' figures show what they save.
                ...(nodes === 3 && CONSENSUS.has(algorithm.name) ? { target: { text: '>= 0.7 of the ceiling', met: algorithm.perSecond >= 0.7 * ceiling } } : {}),
              });
            }
          }
        }
      }

      progress('commit latency at light load, sync normal');
      const cluster = await startCluster(dir, 3, 'normal', 'latency');
      const leader = cluster.leader() as string;
      const latencies: number[] = [];
      for (let i = 0; i < 1000; i++) {
        const t = performance.now();
        const reply = await cluster.request(leader, { clientId: 1, seq: i + 1, op: { f: 'write', key: 'x', value: i } }, 2000);
        if (reply?.ok && i >= 50) latencies.push(performance.now() - t);
      }
      latencies.sort((a, b) => a - b);
      // The floor of any commit: a client round trip through the main process to the leader's thread.
      const hops: number[] = [];
      for (let i = 0; i < 500; i++) {
        const t = performance.now();
        await cluster.request(cluster.nodeIds.find((id) => id !== leader) as string, { clientId: 2, seq: i + 1, op: { f: 'write', key: 'x', value: i } }, 2000);
        hops.push(performance.now() - t);
      }
      hops.sort((a, b) => a - b);
      const hop = percentile(hops, 0.5);
      const p50 = percentile(latencies, 0.5);
      figures.push({ name: 'cluster.latency.p50', label: '3 nodes, sync normal: commit latency p50', value: p50, unit: 'ms', baseline: { label: 'a request answered by a follower (one relayed round trip)', value: hop }, ratio: p50 / hop, better: 'lower', target: { text: '<= 1 ms', met: p50 <= 1 } });
      figures.push({ name: 'cluster.latency.p99', label: '3 nodes, sync normal: commit latency p99', value: percentile(latencies, 0.99), unit: 'ms', better: 'lower' });


      progress('leader failover, 20 times');
      const failovers: number[] = [];
      for (let trial = 0; trial < 20; trial++) {
        const old = cluster.leader() as string;
        const oldTerm = cluster.status(old)?.term ?? 0;
        const t = performance.now();
        await cluster.kill(old);
        let committedAt: number | null = null;
        while (committedAt === null && performance.now() - t < 5000) {
          const next = cluster.leader();
          const s = next === null ? null : cluster.status(next);
          if (s && (s.term ?? 0) > oldTerm && (s.commit ?? 0) > 0 && s.commit === s.lastIndex) committedAt = performance.now() - t;
          else await sleep(1);
        }
        failovers.push(committedAt ?? 5000);
        await cluster.restart(old);
        await sleep(100);
      }
      failovers.sort((a, b) => a - b);
      const medianFailover = percentile(failovers, 0.5);
      figures.push({ name: 'cluster.failover.median', label: 'kill the leader: until a new leader commits (median of 20)', value: medianFailover, unit: 'ms', baseline: { label: 'maximum election timeout', value: 300 }, ratio: medianFailover / 300, better: 'lower', target: { text: '<= 1.5x the maximum election timeout (450 ms)', met: medianFailover <= 450 } });

      await cluster.stop();

      // Every other algorithm's acknowledged write beside Raft's commit, same load.
      for (const other of OTHERS) {
        progress(`${other.title} write latency at light load, sync normal`);
        const started = await startCluster(dir, 3, 'normal', `latency-${other.name}`, undefined, other.name);
        const otherLatencies: number[] = [];
        for (let i = 0; i < 1000; i++) {
          const t = performance.now();
          const reply = await started.request(targetOf(started, 1), { clientId: 1, seq: i + 1, op: writeOp(other.name, 'x', i) }, 2000);
          if (reply?.ok && i >= 50) otherLatencies.push(performance.now() - t);
        }
        otherLatencies.sort((a, b) => a - b);
        await started.stop();
        const otherP50 = percentile(otherLatencies, 0.5);
        figures.push({ name: `cluster.${other.name}.latency.p50`, label: `3 nodes, sync normal: ${other.title} write latency p50`, value: otherP50, unit: 'ms', baseline: { label: "Raft's, same run", value: p50 }, ratio: otherP50 / p50, better: 'lower' });
        figures.push({ name: `cluster.${other.name}.latency.p99`, label: `3 nodes, sync normal: ${other.title} write latency p99`, value: percentile(otherLatencies, 0.99), unit: 'ms', better: 'lower' });
      }

      progress('memory per node');
      const before = process.memoryUsage().rss;
      const big = await startCluster(dir, 9, 'normal', 'memory');
      await sleep(500);
      const perNode = (process.memoryUsage().rss - before) / 9 / 2 ** 20;
      await big.stop();
      figures.push({ name: 'cluster.memory.per-node', label: 'resident memory per node (9 nodes started, idle)', value: perNode, unit: 'MiB', better: 'lower', target: { text: '<= 40 MB', met: perNode <= 40 } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
