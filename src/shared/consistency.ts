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

/** stronger -> the models it directly implies. */
export const IMPLIES: Readonly<Record<ConsistencyName, readonly ConsistencyName[]>> = {
  linearizable: ['sequential'],
  sequential: ['causal', 'causal-convergence'],
  // Causal memory serializes each process's view with all writes in causal order, and causal
  // order contains program order: a PRAM view. Weak causality serializes each operation's past
  // on its own, which lets a process read a concurrent write and then its own older one again.
  causal: ['weak-causal', 'pram'],
  // The session guarantees (Viotti and Vukolić's vis/ar form) ask for one arbitration of each
  // key's writes shared by all processes, and for an acyclic visibility. Causal convergence has
  // both (arbitration and causal order). Causal memory and PRAM have neither: each process orders
  // the writes its own way, and PRAM does not even order what other processes read. Found by the
  // checks against brute force (test/checker/causal-brute.test.ts, causal-models.test.ts):
  //   causal and pram, not read-your-writes: p1 write x 1, read x -> 2; p2 write x 2, read x -> 1
  //   causal and pram, not monotonic-reads:  p1 write x 1; p2 write x 2; p3 reads x 1 then 2;
  //                                          p4 reads x 2 then 1
  //   pram, not monotonic-writes:            p1 cas x [2, 1]; p2 cas x [1, 2] (each reads the other)
  'causal-convergence': ['weak-causal', 'read-your-writes', 'monotonic-reads'],
  // Every edge writes-follow-reads asks for (a write read, then a later write of that process) is
  // a causal-order edge on one key; a cycle of them is a cycle of read-from and session order,
  // which read-your-writes and monotonic-reads forbid as cyclic visibility. Monotonic-writes asks
  // nothing of the reads (each may see only the write it returns): it fails only on a cycle of
  // read-from, which every other session guarantee forbids.
  'weak-causal': ['writes-follow-reads'],
  pram: [],
  'read-your-writes': ['writes-follow-reads'],
  'monotonic-reads': ['writes-follow-reads'],
  'monotonic-writes': [],
  'writes-follow-reads': ['monotonic-writes'],
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
