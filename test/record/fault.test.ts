// A fault is data: its sentence reads back as the same fault, and the sentences of sessions
// recorded before faults were typed read as the faults they described.
import { describe, expect, it } from 'vitest';
import { describeFault, parseFault, type Fault } from '../../src/shared/fault.ts';

const faults: Fault[] = [
  { kind: 'crash', node: 'n1' },
  { kind: 'restart', node: 'n2' },
  { kind: 'pause', node: 'n3' },
  { kind: 'resume', node: 'n3' },
  { kind: 'add-node', node: 'n6' },
  { kind: 'cut', from: 'n1', to: 'n2' },
  { kind: 'uncut', from: 'n2', to: 'n1' },
  { kind: 'partition', groups: [['n1', 'n2'], ['n3', 'n4', 'n5']] },
  { kind: 'heal' },
  { kind: 'link', from: 'n1', to: 'n3', rule: { drop: 0.5, delayMs: 200 } },
  { kind: 'link', from: 'n1', to: 'n3', rule: null },
  { kind: 'network', rule: { duplicate: 0.1 } },
  { kind: 'network', rule: null },
  { kind: 'clock-skew', node: 'n4', offsetMs: -250, drift: 0.1 },
  { kind: 'admin', node: 'n2', command: { type: 'campaign' } },
];

describe('faults as data', () => {
  it('reads every fault back from its sentence', () => {
    for (const fault of faults) expect(parseFault(describeFault(fault)), describeFault(fault)).toEqual(fault);
  });

  it("reads the older sentences: a live cluster's kill, links written a>b", () => {
    expect(parseFault('kill n2')).toEqual({ kind: 'crash', node: 'n2' });
    expect(parseFault('cut n1>n2')).toEqual({ kind: 'cut', from: 'n1', to: 'n2' });
    expect(parseFault('link n1>n2 {"drop":1}')).toEqual({ kind: 'link', from: 'n1', to: 'n2', rule: { drop: 1 } });
  });

  it('is not a fault: the clock paused, a speed, nonsense', () => {
    for (const text of ['clock paused', 'speed 2x', '', 'crash', 'add n1', 'link nowhere', 'clock n1 fast', 'admin n1 transfer_leadership']) expect(parseFault(text), text).toBeNull();
  });
});
