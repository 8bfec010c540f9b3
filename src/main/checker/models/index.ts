// The data types by name (`check --model`): kv is a register per key.

import type { DataTypeName } from '../consistency/contract.ts';
import { counterModel } from './counter.ts';
import type { DataModel } from './model.ts';
import { registerModel } from './register.ts';
import { setModel } from './set.ts';

export { describeOperation, partitionByKey, type DataModel } from './model.ts';
export { counterModel } from './counter.ts';
export { registerModel } from './register.ts';
export { canonicalSet, setModel, type SetState } from './set.ts';

/** The model of one key's operations. */
export function modelOf(dataType: DataTypeName): DataModel<unknown> {
  switch (dataType) {
    case 'register':
    case 'kv':
      return registerModel as DataModel<unknown>;
    case 'counter':
      return counterModel as DataModel<unknown>;
    case 'set':
      return setModel as DataModel<unknown>;
  }
}
