// Which acknowledged appends a read's value holds. Searching the text for every suffix costs the
// number of appends times the text's length per read, and a long append history's reads hold
// thousands of suffixes. When every suffix ends with one delimiter that appears nowhere else in
// them (Jepsen's and the generator's `12,`), a value splits into its suffixes in one pass, and
// "holds" means "holds as a whole element" (`2,` is not in `12,`). Otherwise, substring search.

import type { Operation } from '../history.ts';

export class AppendIndex {
  /** Acknowledged appends by completion, earliest first. */
  readonly byEnd: readonly Operation[];
  private readonly bySuffix = new Map<string, Operation[]>();
  private readonly delimiter: string | null;

  constructor(appends: readonly Operation[]) {
    this.byEnd = appends.filter((op) => op.f === 'append' && !op.indefinite).sort((a, b) => a.end - b.end || a.id - b.id);
    for (const op of this.byEnd) {
      const suffix = op.input as string;
      const same = this.bySuffix.get(suffix);
      if (same === undefined) this.bySuffix.set(suffix, [op]);
      else same.push(op);
    }
    const first = this.byEnd[0]?.input as string | undefined;
    const d = first === undefined || first.length === 0 ? null : first[first.length - 1];
    const delimited = d !== null && d !== undefined && [...this.bySuffix.keys()].every((s) => s.length > 1 && s.endsWith(d) && s.indexOf(d) === s.length - 1);
    this.delimiter = delimited ? (d as string) : null;
  }

  /** The acknowledged appends `text` holds. */
  held(text: string): Set<Operation> {
    const out = new Set<Operation>();
    if (this.delimiter !== null) {
      let from = 0;
      for (let at = text.indexOf(this.delimiter); at >= 0; at = text.indexOf(this.delimiter, from)) {
        for (const op of this.bySuffix.get(text.slice(from, at + 1)) ?? []) out.add(op);
        from = at + 1;
      }
      return out;
    }
    for (const [suffix, ops] of this.bySuffix) if (text.includes(suffix)) for (const op of ops) out.add(op);
    return out;
  }

  /** How many acknowledged appends completed before `time` (they are byEnd's first that many). */
  doneBefore(time: number): number {
    let low = 0;
    let high = this.byEnd.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.byEnd[mid] as Operation).end < time) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The acknowledged appends completed before `time` that `text` lacks, earliest first; cheap when there are none. */
  missedBefore(text: string, time: number): Operation[] {
    const held = this.held(text);
    const done = this.doneBefore(time);
    let heldDone = 0;
    for (const op of held) if (op.end < time) heldDone++;
    if (heldDone === done) return [];
    return this.byEnd.slice(0, done).filter((op) => !held.has(op));
  }
}
