// The rule that keeps recorded sessions under a size: the oldest go, the protected never do.
import { describe, expect, it } from 'vitest';
import { GIB, MIB, formatBytes, parseByteSize, planRetention, type RetentionCandidate } from '../../src/main/record/retention.ts';

const session = (name: string, mtimeMs: number, mib: number, isProtected = false): RetentionCandidate => ({ name, mtimeMs, bytes: mib * MIB, protected: isProtected });

describe('disk retention', () => {
  it('deletes the oldest sessions until the rest fit, and nothing when they already do', () => {
    const sessions = [session('c', 3000, 100), session('a', 1000, 100), session('d', 4000, 100), session('b', 2000, 100)];
    expect(planRetention(sessions, 250 * MIB)).toEqual({ delete: ['a', 'b'], freedBytes: 200 * MIB, usedBytes: 400 * MIB, keptBytes: 200 * MIB });
    expect(planRetention(sessions, 400 * MIB).delete).toEqual([]);
    // Exactly at the limit is within it.
    expect(planRetention(sessions, 300 * MIB).delete).toEqual(['a']);
  });

  it('never deletes a protected session, which still counts towards the total', () => {
    const sessions = [session('recording', 1000, 300, true), session('old', 2000, 100), session('new', 3000, 100)];
    expect(planRetention(sessions, 350 * MIB)).toMatchObject({ delete: ['old', 'new'], keptBytes: 300 * MIB });
    // Protected sessions alone past the limit: everything else goes, they stay.
    expect(planRetention(sessions, 100 * MIB)).toMatchObject({ delete: ['old', 'new'], keptBytes: 300 * MIB });
  });

  it('breaks ties of time by name, whatever order the sessions were listed in', () => {
    const one = [session('y', 1000, 10), session('x', 1000, 10), session('z', 1000, 10)];
    expect(planRetention(one, 15 * MIB).delete).toEqual(['x', 'y']);
    expect(planRetention([...one].reverse(), 15 * MIB).delete).toEqual(['x', 'y']);
  });

  it('reads sizes the way people write them, and refuses what is not a size', () => {
    expect(parseByteSize('2GiB')).toBe(2 * GIB);
    expect(parseByteSize('2G')).toBe(2 * GIB);
    expect(parseByteSize('1.5 gb')).toBe(1.5 * GIB);
    expect(parseByteSize('500MiB')).toBe(500 * MIB);
    expect(parseByteSize('1048576')).toBe(MIB);
    for (const bad of ['', 'GiB', '-1G', '2 parsecs', '1e9', '2GiB extra']) expect(parseByteSize(bad), bad).toBeNull();
    expect(formatBytes(2 * GIB)).toBe('2.00 GiB');
    expect(formatBytes(1.5 * MIB)).toBe('1.5 MiB');
  });
});
