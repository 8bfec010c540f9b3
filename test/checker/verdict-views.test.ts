// Verdicts known already (the window's live linearizability check) settle what they imply with no
// search, and every witness operation carries the times the window finds it by.
import { describe, expect, it } from 'vitest';
import { parseHistory } from '../../src/main/checker/history.ts';
import { checkConsistency } from '../../src/main/checker/consistency/registry.ts';
import { modelVerdicts } from '../../src/main/checker/consistency/verdict-views.ts';
import { CONSISTENCY_NAMES, weakerThan } from '../../src/shared/consistency.ts';

/** A write of 1, answered, then a read that sees nothing: a stale read. */
const stale = parseHistory(
  [
    { process: 1, type: 'invoke', f: 'write', key: 'x', value: 1, time: 100 },
    { process: 1, type: 'ok', f: 'write', key: 'x', value: 1, time: 200 },
    { process: 2, type: 'invoke', f: 'read', key: 'x', value: null, time: 300 },
    { process: 2, type: 'ok', f: 'read', key: 'x', value: null, time: 400 },
  ]
    .map((e) => JSON.stringify(e))
    .join('\n'),
  'kv',
).operations;
const budget = () => ({ now: () => performance.now(), deadline: performance.now() + 5000, memory: { used: 0, max: 2 ** 28 } });

describe('settled verdicts', () => {
  it('are taken as given, with every model they imply, and not searched again', () => {
    // The history is not linearizable; told that it is, the registry does not look.
    const told = checkConsistency({ dataType: 'kv', operations: stale }, CONSISTENCY_NAMES, budget(), [{ model: 'linearizable', verdict: 'true', witness: null, reason: null, figures: {} }]);
    expect(told.results.find((r) => r.model === 'linearizable')?.verdict).toBe('true');
    for (const weaker of weakerThan('linearizable')) expect(told.results.find((r) => r.model === weaker), weaker).toMatchObject({ verdict: 'true', impliedBy: 'linearizable' });
    const searched = checkConsistency({ dataType: 'kv', operations: stale }, CONSISTENCY_NAMES, budget());
    expect(searched.results.find((r) => r.model === 'linearizable')).toMatchObject({ verdict: 'false', witness: { anomaly: 'stale read' } });
  });

  it('give the window each witness operation with the times of its events', () => {
    const searched = modelVerdicts(stale, 5000);
    const linearizable = searched.models.find((m) => m.model === 'linearizable');
    expect(linearizable?.witness?.operations.find((o) => o.process === 2)).toMatchObject({ start: 300, end: 400 });
    expect(searched.strongest).not.toContain('linearizable');
    // A settled witness keeps the times it came with: its ids were the live checker's.
    const witness = { anomaly: 'stale read', why: 'told', operations: [{ id: 1, process: 2, description: 'read x -> null', line: 3 }] };
    const told = modelVerdicts(stale, 5000, { results: [{ model: 'linearizable', verdict: 'false', witness, reason: null, figures: {} }], times: new Map([[1, { start: 7, end: Number.POSITIVE_INFINITY }]]) });
    expect(told.models.find((m) => m.model === 'linearizable')?.witness?.operations).toEqual([{ id: 1, process: 2, description: 'read x -> null', start: 7, end: null }]);
  });
});
