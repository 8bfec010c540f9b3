// One operation of a witness as every check names it: what the window highlights (id) and what a
// person finds in the history file (process, description, line).

import type { Operation } from '../history.ts';
import { describeOperation } from '../models/index.ts';
import type { WitnessOperation } from './contract.ts';

export function witnessOperation(op: Operation): WitnessOperation {
  return { id: op.id, process: op.process, description: describeOperation(op), line: op.line };
}
