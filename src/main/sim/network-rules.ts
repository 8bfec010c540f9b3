// The faults a network can have, as data: which links are cut (one way), and the delivery rule of
// every link (loss, delay, jitter, duplication, reordering). The simulator and the live cluster
// both keep one, so a partition means the same thing in both.

import type { NodeId } from '../../shared/protocol.ts';

export interface LinkRule {
  /** Probability that a message is lost. */
  drop: number;
  delayMs: number;
  /** Each message's delay is delayMs ± up to jitterMs. */
  jitterMs: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Probability that a message is held back long enough to overtake and be overtaken. */
  reorder: number;
}

export const defaultLinkRule: LinkRule = { drop: 0, delayMs: 1, jitterMs: 0.5, duplicate: 0, reorder: 0 };

const linkKey = (from: NodeId, to: NodeId): string => `${from}>${to}`;

export class NetworkRules {
  private readonly base: LinkRule;
  private defaultRule: LinkRule;
  private readonly links = new Map<string, LinkRule>();
  private readonly cuts = new Set<string>();

  constructor(base: LinkRule) {
    this.base = base;
    this.defaultRule = { ...base };
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cuts.size > 0 && this.cuts.has(linkKey(from, to));
  }

  cut(from: NodeId, to: NodeId): void {
    this.cuts.add(linkKey(from, to));
  }

  /** Cuts every link between nodes of different groups (a node in no group is in a group alone). */
  partition(groups: NodeId[][], all: readonly NodeId[]): void {
    const groupOf = new Map<NodeId, number>();
    groups.forEach((group, i) => group.forEach((id) => groupOf.set(id, i)));
    for (const a of all) {
      for (const b of all) {
        if (a !== b && (groupOf.get(a) ?? `alone ${a}`) !== (groupOf.get(b) ?? `alone ${b}`)) this.cuts.add(linkKey(a, b));
      }
    }
  }

  uncut(from: NodeId, to: NodeId): void {
    this.cuts.delete(linkKey(from, to));
  }

  heal(): void {
    this.cuts.clear();
  }

  /** Cut links as [from, to] pairs. */
  cutLinks(): Array<[NodeId, NodeId]> {
    return [...this.cuts].map((key) => key.split('>') as [NodeId, NodeId]);
  }

  get defaultLinkRule(): LinkRule {
    return { ...this.defaultRule };
  }

  /** Links with a rule of their own. */
  linkRules(): Array<{ from: NodeId; to: NodeId; rule: LinkRule }> {
    return [...this.links].map(([key, rule]) => {
      const [from, to] = key.split('>') as [NodeId, NodeId];
      return { from, to, rule: { ...rule } };
    });
  }

  ruleFor(from: NodeId, to: NodeId): LinkRule {
    if (this.links.size === 0) return this.defaultRule;
    return this.links.get(linkKey(from, to)) ?? this.defaultRule;
  }

  setDefault(rule: Partial<LinkRule>): void {
    this.defaultRule = { ...this.defaultRule, ...rule };
  }

  setLink(from: NodeId, to: NodeId, rule: Partial<LinkRule> | null): void {
    const key = linkKey(from, to);
    if (rule === null) this.links.delete(key);
    else this.links.set(key, { ...(this.links.get(key) ?? this.defaultRule), ...rule });
  }

  /** Back to the rule the network started with, on every link. */
  reset(): void {
    this.defaultRule = { ...this.base };
    this.links.clear();
  }
}
