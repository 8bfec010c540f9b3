// The register (and each key of a kv store): the linearizability search keeps its own fast path
// for it (wgl.ts); this is the same step for the model-generic searches.

import type { KvScalar } from '../../../shared/history.ts';
import { stepRegister, type RegisterState } from '../wgl.ts';
import type { DataModel } from './model.ts';

export const registerModel: DataModel<RegisterState> = {
  name: 'register',
  init: () => null,
  step: stepRegister,
  // JSON tells 1 from "1" and null from "null", which the search must not confuse.
  key: (state) => JSON.stringify(state),
  value: (state): KvScalar => state,
  describeState: (state) => JSON.stringify(state),
};
