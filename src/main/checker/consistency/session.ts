// The session guarantees of Terry et al. (1994), per observer as PRAM is (Jepsen: "PRAM is
// exactly equivalent to read your writes, monotonic writes, and monotonic reads"; in Terry's
// setting each session may be served by servers that order the writes differently). A history
// holds one if for each process p there is a view V_p: a total order of all the writes (of every
// process; an `info` write only if some read returned it, as read-from.ts decides) and of p's own
// operations, in which each read of p returns the last write to its key before it (the initial
// null if none), and which respects the guarantee's base order:
//
//   read-your-writes     p's program order on p's operations (its writes and its reads)
//   monotonic-reads      p's reads in p's program order
//   monotonic-writes     every process q's writes in q's program order, and p's reads in p's order
//   writes-follow-reads  for every process q, each write a read of q returned before every write
//                        of q from that read on (any key); and p's reads in p's program order
//
// A cas or an append reads and writes (one node, both a read and a write). PRAM's base contains
// the first three bases, causal order contains the fourth's; read-your-writes' base contains
// monotonic reads', so read-your-writes implies monotonic reads.
//
// Read-your-writes and monotonic reads: an exact linear scan. In both, the base orders p's
// "fixed" operations (all of p's operations; for monotonic reads p's reading operations, a cas or
// an append among them writing too) in program order and nothing else: every other write is
// "free" and may go anywhere. Nothing ties two keys together (a free write matters to its key
// alone, and placed right before the fixed operation it was placed before on its key, the views
// of the keys merge into one), so V_p exists iff it exists key by key. On one key, scan p's fixed operations in program
// order keeping `cur`, the last write placed so far (initially none). At a read of w: if w = cur,
// fine; if w is a free write not placed yet, it must be placed right before the read (after cur,
// or cur would be the last write) — place it, cur = w; otherwise (the initial value, a fixed
// write or a placed write, other than cur) no view exists: whatever is last before the read,
// cur or a write after it, is not w. A fixed write sets cur. Free writes nobody read go at the
// end. Every step is forced, so the scan fails exactly when no view exists; when it ends, the
// placements are a view.
//
// Monotonic writes and writes-follow-reads: the base ties keys together (a process's writes, or
// what it read, order writes to other keys), so each process's view is view-order.ts's problem
// (Bouajjani et al.'s happens-before saturation), exact for differentiated histories, in
// about O(operations + edges) per view. The chains "before every later write" of
// writes-follow-reads are virtual nodes, so its base stays linear.

import type { Operation } from '../history.ts';
import type { ConsistencyCheck, ModelResult, Witness } from './contract.ts';
import {
  EdgeList,
  falseResult,
  INITIAL,
  Meter,
  NO_READ,
  OUT_OF_MEMORY,
  OUT_OF_TIME,
  type ReadFromHistory,
  resolveReadFrom,
  Scratch,
  undefinedFor,
  unknownResult,
} from './read-from.ts';
import { pathIn, solveView } from './view-order.ts';
import { witnessOperation } from './witness.ts';

type Guarantee = 'read-your-writes' | 'monotonic-reads' | 'monotonic-writes' | 'writes-follow-reads';

const ANOMALY: Record<Guarantee, string> = {
  'read-your-writes': 'not reading own write',
  'monotonic-reads': 'reads going back in time',
  'monotonic-writes': 'writes seen out of order',
  'writes-follow-reads': 'write not following its read',
};

function guaranteeCheck(model: Guarantee, summary: string): ConsistencyCheck {
  return {
    name: model,
    summary,
    check(history, budget): ModelResult {
      const notDefined = undefinedFor(model, history);
      if (notDefined !== null) return notDefined;
      const resolved = resolveReadFrom(history);
      if (!resolved.ok) return resolved.result(model);
      const meter = new Meter(budget);
      try {
        return model === 'read-your-writes' || model === 'monotonic-reads' ? scan(model, resolved.history, meter) : saturate(model, resolved.history, meter);
      } finally {
        meter.release();
      }
    },
  };
}

function baseFigures(h: ReadFromHistory): Record<string, number> {
  return { operations: h.nodes.length, keys: h.keys, processes: h.byProcess.length };
}

/** Read-your-writes and monotonic reads: the linear scan of the top comment. */
function scan(model: 'read-your-writes' | 'monotonic-reads', h: ReadFromHistory, meter: Meter): ModelResult {
  const n = h.nodes.length;
  const figures = baseFigures(h);
  if (!meter.take(n * 8 + h.keys * 8)) return unknownResult(model, OUT_OF_MEMORY, figures);
  if (!meter.step(n)) return unknownResult(model, OUT_OF_TIME, figures);
  const wop = (v: number) => witnessOperation(h.nodes[v] as Operation);
  // placed[w] = p + 1 once free write w is placed in p's view; placedBy[w]: the read that placed it.
  const placed = new Int32Array(n);
  const placedBy = new Int32Array(n);
  // Per key, for the process at hand: the last write placed (INITIAL: none) and the operation of
  // p that made it last; reset key by key after each process.
  const cur = new Int32Array(h.keys).fill(INITIAL);
  const since = new Int32Array(h.keys).fill(-1);
  const touched: number[] = [];
  const everyOperation = model === 'read-your-writes';
  let placements = 0;
  for (let p = 0; p < h.byProcess.length; p++) {
    const list = h.byProcess[p] as Int32Array;
    if (!meter.step(list.length)) return unknownResult(model, OUT_OF_TIME, figures);
    const fixed = (w: number): boolean => h.process[w] === p && (everyOperation || h.rf[w] !== NO_READ);
    for (const v of list) {
      const from = h.rf[v] as number;
      if (!everyOperation && from === NO_READ) continue;
      const k = h.key[v] as number;
      if (since[k] === -1 && cur[k] === INITIAL) touched.push(k);
      if (from !== NO_READ && from !== cur[k]) {
        if (from >= 0 && !fixed(from) && placed[from] !== p + 1) {
          placed[from] = p + 1;
          placedBy[from] = v;
          placements++;
          cur[k] = from;
          since[k] = v;
        } else {
          const why = explain(h, p, v, cur[k] as number, since[k] as number, placed[from] === p + 1 ? (placedBy[from] as number) : -1);
          return falseResult(model, { anomaly: ANOMALY[model], operations: why.operations.map(wop), why: why.why }, figures);
        }
      }
      if (h.writes[v]) {
        cur[k] = v;
        since[k] = v;
      }
    }
    for (const k of touched) {
      cur[k] = INITIAL;
      since[k] = -1;
    }
    touched.length = 0;
  }
  figures.placedWrites = placements;
  return { model, verdict: 'true', witness: null, reason: null, figures };
}

/**
 * The witness of a failed scan: read v of process p returns neither the last write placed (cur,
 * made last by p's operation `since`) nor a write that could still be placed (seenAt: the read
 * that placed it, if it was).
 */
function explain(h: ReadFromHistory, p: number, v: number, cur: number, since: number, seenAt: number): { operations: number[]; why: string } {
  const from = h.rf[v] as number;
  const ops = new Set<number>([v]);
  for (const u of [from, seenAt, cur, since]) if (u >= 0) ops.add(u);
  let why: string;
  if (from === v || (from >= 0 && h.process[from] === p && (h.position[from] as number) > (h.position[v] as number))) {
    why = 'The read returns a write its own process makes only later.';
  } else if (from === INITIAL) {
    why = `The read returns the initial value, yet its process ${since === cur ? 'wrote' : 'already saw a write'} to the key before.`;
  } else if (since === cur && h.process[cur] === p) {
    why = 'The read returns a write that its own process’s later write to the key had already replaced in its view.';
  } else {
    why = 'The read returns a write the process had already moved past: it had since seen a later write to the key.';
  }
  return { operations: [...ops].sort((a, b) => a - b), why };
}

/** Monotonic writes and writes-follow-reads: one saturated view per process (view-order.ts). */
function saturate(model: 'monotonic-writes' | 'writes-follow-reads', h: ReadFromHistory, meter: Meter): ModelResult {
  const n = h.nodes.length;
  const figures = baseFigures(h);
  // The shared base (about 3 edges per operation, growing) and each view's copy of it.
  if (!meter.take(n * 60)) return unknownResult(model, OUT_OF_MEMORY, figures);
  if (!meter.step(n)) return unknownResult(model, OUT_OF_TIME, figures);
  // The base's part shared by every view: writes in their process's order (monotonic writes),
  // or each write after the chain node of the reads its process made before it (writes follow
  // reads: chain node c_i after c_{i-1} and after the write the i-th read returned).
  const shared = new EdgeList(2 * n);
  let virtuals = 0;
  // The read each chain node stands for.
  const readOfVirtual: number[] = [];
  // Writes-follow-reads: (write read, read) pairs not yet behind a chain node.
  const pending: number[] = [];
  for (const list of h.byProcess) {
    if (!meter.step(list.length)) return unknownResult(model, OUT_OF_TIME, figures);
    let previous = -1;
    for (const v of list) {
      if (model === 'monotonic-writes') {
        if (!h.writes[v]) continue;
        if (previous >= 0) shared.add(previous, v);
        previous = v;
      } else {
        // The reads since the process's last write share one chain node, made at its next write
        // (none after its last write: no write follows them).
        const from = h.rf[v] as number;
        if (from >= 0) pending.push(from, v);
        if (!h.writes[v]) continue;
        if (pending.length > 0) {
          const c = n + virtuals++;
          readOfVirtual.push(pending[pending.length - 1] as number);
          for (let i = 0; i < pending.length; i += 2) shared.add(pending[i] as number, c);
          if (previous >= 0) shared.add(previous, c);
          previous = c;
          pending.length = 0;
        }
        if (previous >= 0) shared.add(previous, v);
      }
    }
    pending.length = 0;
  }
  figures.baseEdges = shared.count;
  let added = 0;
  // Every view holds every write and chain node, numbered the same in all of them (0..shared-1);
  // each view's own reads follow.
  const sharedGlobal: number[] = [];
  const localOf = new Int32Array(n + virtuals).fill(-1);
  for (let u = 0; u < n; u++) if (h.writes[u]) localOf[u] = sharedGlobal.push(u) - 1;
  for (let c = n; c < n + virtuals; c++) localOf[c] = sharedGlobal.push(c) - 1;
  const shared0 = sharedGlobal.length;
  const sharedBase = new EdgeList(shared.count);
  for (let e = 0; e < shared.count; e++) sharedBase.add(localOf[shared.from(e)] as number, localOf[shared.to(e)] as number);
  const sharedKey = new Int32Array(shared0).fill(-1);
  const writesByKey = new Map<number, number[]>();
  for (let i = 0; i < shared0; i++) {
    const u = sharedGlobal[i] as number;
    if (u >= n) continue;
    sharedKey[i] = h.key[u] as number;
    const l = writesByKey.get(sharedKey[i] as number);
    if (l === undefined) writesByKey.set(sharedKey[i] as number, [i]);
    else l.push(i);
  }
  const scratch = new Scratch();
  // Each view's local number of each of its process's own reads.
  const ownLocal = new Int32Array(n);
  for (let p = 0; p < h.byProcess.length; p++) {
    const mine = h.byProcess[p] as Int32Array;
    const reads: number[] = [];
    for (const u of mine) if ((h.rf[u] as number) !== NO_READ) reads.push(u);
    // A process that reads nothing has nothing to explain: its view is any order of the base,
    // which is acyclic unless another process's view already found the cycle.
    if (reads.length === 0 && p > 0) continue;
    const own = reads.filter((u) => !h.writes[u]);
    const size = shared0 + own.length;
    const global = scratch.int32('session.global', size, 0);
    global.set(sharedGlobal);
    own.forEach((u, i) => {
      global[shared0 + i] = u;
      ownLocal[u] = shared0 + i;
    });
    const localOfNode = (u: number): number => (h.writes[u] ? (localOf[u] as number) : (ownLocal[u] as number));
    // Room for the reads' edges and the forced edges solveView adds (about one per write).
    const base = scratch.edges('session.base').copyFrom(sharedBase, 2 * reads.length + size);
    const rf = scratch.int32('session.rf', size, NO_READ);
    const key = scratch.int32('session.key', size, 0);
    key.set(sharedKey);
    for (const u of own) key[localOfNode(u)] = h.key[u] as number;
    const localReads: number[] = [];
    let previous = -1;
    for (const u of reads) {
      const i = localOfNode(u);
      const from = h.rf[u] as number;
      rf[i] = from >= 0 ? (localOf[from] as number) : from;
      if (from >= 0) base.add(localOf[from] as number, i);
      if (previous >= 0) base.add(previous, i);
      previous = i;
      localReads.push(i);
    }
    if (!meter.step(size)) return unknownResult(model, OUT_OF_TIME, figures);
    const outcome = solveView({ size, base, reads: localReads, rf, key, writesByKey }, meter, scratch);
    // Local nodes to operations, a chain node to the read it stands for.
    const realOps = (list: number[]): Witness['operations'] =>
      [...new Set(list.map((i) => global[i] as number).map((u) => (u < n ? u : (readOfVirtual[u - n] as number))))].sort((a, b) => a - b).map((u) => witnessOperation(h.nodes[u] as Operation));
    switch (outcome.kind) {
      case 'time':
        return unknownResult(model, OUT_OF_TIME, figures);
      case 'memory':
        return unknownResult(model, OUT_OF_MEMORY, figures);
      case 'ok':
        added += outcome.addedEdges;
        break;
      case 'base-cycle':
        return falseResult(model, { anomaly: ANOMALY[model], operations: realOps(outcome.cycle), why: BASE_CYCLE[model] }, figures);
      case 'initial-read':
        return falseResult(
          model,
          {
            anomaly: ANOMALY[model],
            operations: realOps([outcome.write, ...outcome.path, outcome.read]),
            why: 'The process’s view must place the write before its read of the key (by the order this guarantee asks for), yet the read returns the initial value.',
          },
          figures,
        );
      case 'hb-cycle':
        return falseResult(
          model,
          {
            anomaly: ANOMALY[model],
            operations: realOps([...outcome.cycle, ...outcome.because, ...pathsToReads(outcome.cycle, outcome.because, base, size, key, rf)]),
            why: 'The process’s reads each order some write before the one they return; with the order this guarantee asks for, these orders form a cycle, so no view of this process explains all its reads.',
          },
          figures,
        );
    }
  }
  figures.happensBeforeEdges = added;
  return { model, verdict: 'true', witness: null, reason: null, figures };
}

const BASE_CYCLE: Record<'monotonic-writes' | 'writes-follow-reads', string> = {
  'monotonic-writes': 'The process reads a write that its own reads and the writers’ order place after that read.',
  'writes-follow-reads': 'Each write must follow the writes its process read before it, and these orders form a cycle.',
};

/**
 * For a witness: how the writes of a cycle come before the reads that ordered them (the base's
 * paths from each write of the cycle to each forcing read of its key, when the base alone has one).
 */
function pathsToReads(cycle: number[], because: number[], base: EdgeList, size: number, key: Int32Array, rf: Int32Array): number[] {
  const out: number[] = [];
  for (const r of because) for (const w of cycle) if (key[w] === key[r] && rf[r] !== w && w !== r) out.push(...pathIn(base, size, w, r));
  return out;
}

export const readYourWrites = guaranteeCheck('read-your-writes', 'Read your writes: each process sees its own earlier writes, and what it saw stays seen (Terry et al., per process).');
export const monotonicReads = guaranteeCheck('monotonic-reads', 'Monotonic reads: a process never sees older writes than it already saw (Terry et al., per process).');
export const monotonicWrites = guaranteeCheck('monotonic-writes', 'Monotonic writes: each process sees every process’s writes in the order issued (Terry et al., per process).');
export const writesFollowReads = guaranteeCheck('writes-follow-reads', 'Writes follow reads: each process sees a write after the writes its writer had read (Terry et al., per process).');

export const SESSION_GUARANTEES: readonly ConsistencyCheck[] = [readYourWrites, monotonicReads, monotonicWrites, writesFollowReads];
