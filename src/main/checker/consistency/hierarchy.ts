// The hierarchy between the models lives with their names in src/shared/consistency.ts, where the
// window can draw it; the checker takes it from there.
export { IMPLIES, strongestHolding, weakerThan } from '../../../shared/consistency.ts';
