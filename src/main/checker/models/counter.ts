// A counter: adds of any integer (a pn-counter; all adds >= 0 make it a g-counter), reads of the
// sum. The state is the sum, so a read fits a sequential order exactly when it equals the sum of
// the adds placed before it.

import type { DataModel } from './model.ts';

export const counterModel: DataModel<number> = {
  name: 'counter',
  init: () => 0,
  step: (state, op) => {
    if (op.f === 'add') return state + (op.input as number);
    if (op.f === 'read') return op.output === state ? state : undefined;
    return undefined;
  },
  key: (state) => String(state),
  value: (state) => state,
  describeState: (state) => String(state),
};
