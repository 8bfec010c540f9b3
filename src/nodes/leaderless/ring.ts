// The consistent-hash ring (Karger et al. 1997; Dynamo §4.2): each node owns a few virtual tokens
// at positions hashed from its id, and a key lives on the first n distinct nodes met clockwise
// from the key's own hash. The hash is fixed (FNV-1a with MurmurHash3's finaliser), so every node,
// every run and every replay place a key on the same replicas.

import type { NodeId } from '../../shared/protocol.ts';

/** A 32-bit hash of a string: FNV-1a, then MurmurHash3's fmix32 to spread short, similar labels. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Node ids in a person's order: n2 before n10. */
export function compareNodeIds(a: NodeId, b: NodeId): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Token {
  position: number;
  node: NodeId;
}

export class Ring {
  readonly nodes: readonly NodeId[];
  private readonly tokens: Token[];
  /** key -> every node in ring order from the key: the preference list and its fallbacks. */
  private readonly walks = new Map<string, NodeId[]>();

  constructor(nodes: readonly NodeId[], tokensPerNode: number) {
    this.nodes = [...new Set(nodes)].sort(compareNodeIds);
    const tokens: Token[] = [];
    for (const node of this.nodes) {
      for (let i = 0; i < Math.max(1, tokensPerNode); i++) tokens.push({ position: hash32(`${node}#${i}`), node });
    }
    tokens.sort((a, b) => a.position - b.position || compareNodeIds(a.node, b.node));
    this.tokens = tokens;
  }

  /** Every node once, clockwise from the key's position (the first token at or after it). */
  walk(key: string): readonly NodeId[] {
    const known = this.walks.get(key);
    if (known !== undefined) return known;
    const position = hash32(key);
    let start = this.tokens.findIndex((t) => t.position >= position);
    if (start < 0) start = 0;
    const out: NodeId[] = [];
    for (let i = 0; i < this.tokens.length && out.length < this.nodes.length; i++) {
      const node = (this.tokens[(start + i) % this.tokens.length] as Token).node;
      if (!out.includes(node)) out.push(node);
    }
    this.walks.set(key, out);
    return out;
  }

  /** The key's replicas: the first n distinct nodes clockwise. */
  preferenceList(key: string, n: number): NodeId[] {
    return this.walk(key).slice(0, n);
  }

  /** The nodes after the replicas, in ring order: where a sloppy quorum looks for stand-ins. */
  fallbacks(key: string, n: number): NodeId[] {
    return this.walk(key).slice(n);
  }

  /** Whether `node` is one of the key's n replicas. */
  replicates(key: string, n: number, node: NodeId): boolean {
    return this.preferenceList(key, n).includes(node);
  }
}
