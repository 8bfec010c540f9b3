// The consistency models the checker knows, by the names the CLI prints, and the map between them
// (after Jepsen's consistency map and Bouajjani et al., POPL 2017) as data: an edge says that every
// history the stronger model allows, the weaker allows too. Shared: the checker computes the
// strongest models that hold from it, the window draws it, and an algorithm names the model it
// promises.

/** The names exactly as the CLI prints them. */
export const CONSISTENCY_NAMES = [
  'linearizable',
  'sequential',
  'causal',
  'causal-convergence',
  'weak-causal',
  'pram',
  'read-your-writes',
  'monotonic-reads',
  'monotonic-writes',
  'writes-follow-reads',
  'convergent',
] as const;
export type ConsistencyName = (typeof CONSISTENCY_NAMES)[number];

export type ConsistencyVerdict = 'true' | 'false' | 'unknown';

/**
 * stronger -> the models it directly implies. Jepsen's map edges, each confirmed against the
 * brute-force checkers of test/checker/causal-brute.test.ts (the hierarchy property over random
 * histories), and a few more argued here. The session guarantees are defined per observer, as
 * PRAM is (src/main/checker/consistency/session.ts): for each process a view of all the writes
 * and of its own operations respecting a base order; a model whose base contains another's
 * (same views) implies it.
 */
export const IMPLIES: Readonly<Record<ConsistencyName, readonly ConsistencyName[]>> = {
  linearizable: ['sequential'],
  sequential: ['causal', 'causal-convergence'],
  // Causal memory serializes each process's view with all writes in causal order, which contains
  // program order (PRAM's base) and "a write read, then a later write of its reader"
  // (writes-follow-reads' base). Weak causality serializes each operation's past on its own,
  // which lets a process read a concurrent write and then its own older one again.
  causal: ['weak-causal', 'pram', 'writes-follow-reads'],
  // Argued (beyond Jepsen's map): with causal convergence's arbitration ar (a total order
  // extending causal order, each read returning the ar-last write to its key in its causal past),
  // one process's operations on one key, in program order, read and write ar-non-decreasing
  // writes (an earlier read's write and an earlier own write are in a later read's causal past;
  // a write comes after what its process read before it), the initial value lowest. So no read
  // returns the initial value, an own write or a write already seen other than the last one, the
  // only ways read-your-writes' scan can fail (session.ts). Not claimed: monotonic writes,
  // writes-follow-reads and PRAM (causal convergence, not PRAM: p1 write z 1, write x 1,
  // write y 1; p2 write x 2, read z null, read y 1, read x 2).
  'causal-convergence': ['weak-causal', 'read-your-writes'],
  // Refuted, Jepsen's weak-causal -> writes-follow-reads (and monotonic reads): p1 write x 1;
  // p2 write x 2; p3 read x 1, read x 2, read x 1 is weakly causal (each read alone is legal in
  // its causal past), but p3's reads go back in time, which writes-follow-reads' base (p3's reads
  // in order) forbids.
  'weak-causal': [],
  // PRAM's base (every process's program order) contains those of read-your-writes (p's program
  // order), monotonic reads (p's reads in order) and monotonic writes (each process's writes in
  // order, p's reads in order).
  pram: ['read-your-writes', 'monotonic-reads', 'monotonic-writes'],
  // Argued (beyond Jepsen's map): each of these three bases contains monotonic reads' (p's reads
  // in p's program order), over the same views.
  'read-your-writes': ['monotonic-reads'],
  'monotonic-reads': [],
  'monotonic-writes': ['monotonic-reads'],
  'writes-follow-reads': ['monotonic-reads'],
  // Eventual consistency speaks of the end of a history, the others of every read: no edge.
  convergent: [],
};

/** Every model `name` implies, directly or not (without itself). */
export function weakerThan(name: ConsistencyName): Set<ConsistencyName> {
  const out = new Set<ConsistencyName>();
  const visit = (n: ConsistencyName): void => {
    for (const next of IMPLIES[n]) {
      if (out.has(next)) continue;
      out.add(next);
      visit(next);
    }
  };
  visit(name);
  return out;
}

/** The models that hold and have no stronger model holding, in the order of CONSISTENCY_NAMES' listing in `verdicts`. */
export function strongestHolding(verdicts: ReadonlyMap<ConsistencyName, ConsistencyVerdict>): ConsistencyName[] {
  const holding = [...verdicts].filter(([, v]) => v === 'true').map(([n]) => n);
  return holding.filter((name) => !holding.some((other) => other !== name && weakerThan(other).has(name)));
}
