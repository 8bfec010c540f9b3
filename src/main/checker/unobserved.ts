// Operations of unknown outcome (`info`) that no read can have seen, taken out before a search.
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
