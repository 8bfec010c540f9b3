// A small seeded PRNG (sfc32, seeded through splitmix32). Every source of randomness in a node or in
// the simulator comes from one of these, so the same seed gives the same run byte for byte.

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi). */
  int(lo: number, hi: number): number;
  /** true with probability p. */
  chance(p: number): boolean;
  /** A new generator whose stream is independent of this one's, derived from a label. */
  fork(label: string): Rng;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over a string: stable labels become stable seeds. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function createRng(seed: number | string): Rng {
  const numericSeed = typeof seed === 'number' ? seed : hashString(seed);
  const init = splitmix32(numericSeed >>> 0 ^ Math.floor(numericSeed / 0x100000000));
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) nextU32();
  const rng: Rng = {
    next: () => nextU32() / 0x100000000,
    int: (lo, hi) => lo + Math.floor((nextU32() / 0x100000000) * (hi - lo)),
    chance: (p) => p > 0 && nextU32() / 0x100000000 < p,
    fork: (label) => createRng((nextU32() ^ hashString(label)) >>> 0),
  };
  return rng;
}
