// Operations of unknown outcome (`info`): those no read can have seen, taken out before a search,
// and those a read must have seen, given the return of that read as their own.
//
// Each `info` operation doubles what the search may have to try: it may take effect at any moment
// after its call, or never. Most of those in a real history never took effect (the request was
// lost, the node crashed first), and then no read ever shows their value. Such an operation can be
// left out without changing the verdict:
//
// - Leaving an `info` operation out of a linearization is always allowed (it may never happen), so
//   whatever is linearizable without it is linearizable with it.
// - A write or cas whose new value no read returns and no cas expects, on a key without appends:
//   in any legal order, what follows it before anything observes the key is a blind overwrite (a
//   write or a delete) or nothing, so the same order without it is legal too.
// - An append on a key of appends and reads only, whose suffix is in no read's value: a read after
//   it would contain the suffix, so in any legal order it comes after every read, and without it
//   the same order is legal too.

//
// An `info` operation that some read must have seen did take effect, before that read did, so
// before that read returned: the search may treat it as an operation that returned then. Placing
// it is then required, not optional, and no longer tried at every later point, which is where a
// search over many such operations spent millions of steps (a key of 212 operations with five of
// them: 9.2 million steps, 4.9 s; see test/checker/robust-search.test.ts). "Must have seen":
// - on a register, a read (or a successful cas) of a value only that write or cas writes (and not
//   null, the initial value);
// - on a key of appends and reads, a read whose value cannot be cut into the suffixes of the other
//   appends alone (a word break over all of them, each usable any number of times: if even that
//   fails, no order without this append explains the read).

import type { KvScalar } from '../../shared/history.ts';
import type { Operation } from './history.ts';

function newValue(op: Operation): KvScalar | undefined {
  if (op.f === 'write') return op.input as KvScalar;
  if (op.f === 'cas') return (op.input as [KvScalar, KvScalar])[1];
  if (op.f === 'delete') return null;
  return undefined;
}

/** One key's operations without the `info` ones no read can have seen (see the top). */
export function withoutUnobservedInfo(ops: readonly Operation[]): Operation[] {
  if (!ops.some((op) => op.indefinite)) return ops as Operation[];
  const reads: KvScalar[] = [];
  const expected = new Set<KvScalar>();
  let appends = false;
  let overwrites = false;
  for (const op of ops) {
    // Register and kv reads are scalars (the parser sees to it).
    if (op.f === 'read') reads.push(op.output as KvScalar);
    else if (op.f === 'append') appends = true;
    else overwrites = true;
    if (op.f === 'cas') expected.add((op.input as [KvScalar, KvScalar])[0]);
  }
  const observed = new Set(reads);
  const readText = appends && !overwrites ? reads.filter((r): r is string => typeof r === 'string') : [];
  return ops.filter((op) => {
    if (!op.indefinite) return true;
    if (op.f === 'append') return overwrites || readText.some((text) => text.includes(op.input as string));
    const value = newValue(op);
    if (value === undefined || appends) return true;
    return observed.has(value) || expected.has(value);
  });
}

/** Whether `text` is a concatenation of `parts` (each any number of times). */
function splitsInto(text: string, parts: readonly string[]): boolean {
  const reachable = new Uint8Array(text.length + 1);
  reachable[0] = 1;
  for (let i = 0; i < text.length; i++) {
    if (reachable[i] === 0) continue;
    for (const part of parts) if (text.startsWith(part, i)) reachable[i + part.length] = 1;
  }
  return reachable[text.length] === 1;
}

/**
 * One key's operations ready for the search: the `info` ones no read can have seen left out, and
 * those a read must have seen given that read's return as theirs (see the top).
 */
export function withInfoSettled(ops: readonly Operation[]): Operation[] {
  const kept = withoutUnobservedInfo(ops);
  const open = kept.filter((op) => op.indefinite && op.end === Number.POSITIVE_INFINITY && op.f !== 'read');
  if (open.length === 0) return kept;
  const bounds = new Map<Operation, number>();
  const appendsOnly = kept.every((op) => op.f === 'read' || op.f === 'append');
  const noAppends = kept.every((op) => op.f !== 'append');
  if (appendsOnly) {
    const count = new Map<string, number>();
    for (const op of kept) if (op.f === 'append') count.set(op.input as string, (count.get(op.input as string) ?? 0) + 1);
    const reads = kept.filter((op): op is Operation & { output: string } => op.f === 'read' && typeof op.output === 'string').sort((a, b) => a.end - b.end);
    for (const op of open) {
      const suffix = op.input as string;
      if (suffix === '' || count.get(suffix) !== 1) continue;
      const others = [...count.keys()].filter((part) => part !== suffix && part !== '');
      const seenBy = reads.find((read) => read.output.includes(suffix) && !splitsInto(read.output, others));
      if (seenBy !== undefined) bounds.set(op, seenBy.end);
    }
  } else if (noAppends) {
    const writers = new Map<KvScalar, number>();
    for (const op of kept) {
      const value = newValue(op);
      if (value !== undefined) writers.set(value, (writers.get(value) ?? 0) + 1);
    }
    for (const op of open) {
      const value = newValue(op);
      if (value === undefined || value === null || writers.get(value) !== 1) continue;
      let seen = Number.POSITIVE_INFINITY;
      for (const other of kept) {
        const saw = (other.f === 'read' && other.output === value) || (other.f === 'cas' && !other.indefinite && (other.input as [KvScalar, KvScalar])[0] === value);
        if (saw && other.end < seen) seen = other.end;
      }
      if (seen !== Number.POSITIVE_INFINITY) bounds.set(op, seen);
    }
  }
  if (bounds.size === 0) return kept;
  // Still `indefinite`: the client never learnt the outcome, and explanations say so.
  return kept.map((op) => (bounds.has(op) ? { ...op, end: bounds.get(op) as number } : op));
}
