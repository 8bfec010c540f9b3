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

/** sfc32 as a class: fields are faster to update than variables captured by closures. */
class Sfc32 implements Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    const init = splitmix32((seed >>> 0) ^ Math.floor(seed / 0x100000000));
    this.a = init();
    this.b = init();
    this.c = init();
    this.d = init();
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  private nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  next(): number {
    return this.nextU32() / 0x100000000;
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor((this.nextU32() / 0x100000000) * (hi - lo));
  }

  chance(p: number): boolean {
    return p > 0 && this.nextU32() / 0x100000000 < p;
  }

  fork(label: string): Rng {
    return new Sfc32((this.nextU32() ^ hashString(label)) >>> 0);
  }
}

export function createRng(seed: number | string): Rng {
  return new Sfc32(typeof seed === 'number' ? seed : hashString(seed));
}
