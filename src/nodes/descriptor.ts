// The algorithm descriptor's types and helpers live in src/shared/algorithm.ts, where the window
// can read them too; algorithms import them from here.
export * from '../shared/algorithm.ts';
