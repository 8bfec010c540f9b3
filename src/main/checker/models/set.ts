// A set of scalars: add, remove (of an element absent: nothing happens, as in Jepsen's sets), and
// reads of the whole set. The state is the elements' JSON texts, sorted and distinct, so equal sets
// are equal arrays whatever order adds came in and 1 stays apart from "1". A read is compared as a
// set: an element it lists twice is listed once.

import type { KvScalar } from '../../../shared/history.ts';
import type { Operation } from '../history.ts';
import type { DataModel } from './model.ts';

export type SetState = readonly string[];

/** The canonical form of a read's elements (see the top). */
export function canonicalSet(elements: readonly KvScalar[]): SetState {
  return [...new Set(elements.map((e) => JSON.stringify(e)))].sort();
}

function sameSet(a: SetState, b: SetState): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function stepSet(state: SetState, op: Operation): SetState | undefined {
  switch (op.f) {
    case 'read':
      return Array.isArray(op.output) && sameSet(state, canonicalSet(op.output)) ? state : undefined;
    case 'add': {
      const e = JSON.stringify(op.input);
      return state.includes(e) ? state : [...state, e].sort();
    }
    case 'remove': {
      const e = JSON.stringify(op.input);
      return state.includes(e) ? state.filter((x) => x !== e) : state;
    }
    default:
      return undefined;
  }
}

export const setModel: DataModel<SetState> = {
  name: 'set',
  init: () => [],
  step: stepSet,
  // Element texts hold no newline (JSON escapes it), so joining with one keeps sets apart.
  key: (state) => state.join('\n'),
  value: (state) => state.map((e) => JSON.parse(e) as KvScalar),
  describeState: (state) => `{${state.join(', ')}}`,
};
