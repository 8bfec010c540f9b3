// Lessons on the window's own cluster: the list and its progress file (kept, and a broken or
// hostile one refused with a message), a lesson run to its end with a person acting through the
// service's fault methods, a wrong fault said and not taken, Do it for me, leaving, and the calls'
// validation.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LessonView } from '../../src/shared/bridge.ts';
import { describeFault, parseFault, type Fault } from '../../src/shared/fault.ts';
import { dispatch } from '../../src/main/app/api.ts';
import { defaultLibraryDir, faultInWords, LessonService, PROGRESS_FILE, sameFault } from '../../src/main/app/lessons.ts';
import { PlaygroundService } from '../../src/main/app/service.ts';

async function until<T>(what: string, probe: () => T | null | undefined | false, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const noHost = {
  startCluster: () => Promise.reject(new Error('not in this test')),
  cluster: () => {
    throw new Error('not in this test');
  },
  monitor: () => {
    throw new Error('not in this test');
  },
};

const ISOLATE = `title: "Isolate the leader"
summary: The leader alone on its side.
cluster: { algorithm: raft, nodes: 3, seed: 4 }
network: { delayMs: 2 }
steps:
  - narrate: A leader is elected.
    when: leader
  - narrate: Cut the **leader** off from the others.
    ask: { isolate: leader }
  - narrate: The others elect one of their own.
    when: leader
    within: 10s
    expect:
      - monitor: holds
`;

const PAUSING = `title: "Look first"
cluster: { algorithm: raft, nodes: 3, seed: 2 }
network: { delayMs: 2 }
steps:
  - when: leader
  - do: { wait-for-user: "Look at the leader's log" }
  - do: { wait-for-user: "Now at a follower's" }
  - when: leader
`;

describe('the lesson list and its progress file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lessons-list-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the library with titles, algorithms and steps, and no progress yet', () => {
    const { lessons, message } = new LessonService(dir, noHost).list();
    expect(message).toBeNull();
    const election = lessons.find((l) => l.id === '01-raft-election');
    expect(election).toMatchObject({ algorithm: 'raft', steps: 4, handsOn: 1, progress: null, problem: null });
    expect(election?.title).toMatch(/leader is elected/);
    expect(lessons.length).toBeGreaterThanOrEqual(14);
    // A lesson for the simulator only (its interleavings need its exact stops) is not offered live.
    const simulatorOnly = readdirSync(defaultLibraryDir()).filter((f) => /^simulator-only:/m.test(readFileSync(join(defaultLibraryDir(), f), 'utf8')));
    for (const file of simulatorOnly) expect(lessons.map((l) => `${l.id}.yaml`)).not.toContain(file);
  });

  it.each([
    ['not JSON', '{"version": 1, "lessons": ', /not JSON/],
    ['another shape', '[1, 2, 3]', /could not be read/],
    ['a hostile key', '{"version":1,"lessons":{"__proto__":{"stepsDone":1,"steps":1,"passed":true,"last":null,"at":"x"}}}', /is not a lesson's progress/],
    ['a hostile value', '{"version":1,"lessons":{"01-raft-election":{"stepsDone":1e308,"steps":1,"passed":"yes","last":null,"at":"x"}}}', /is not a lesson's progress/],
  ])('starts over with a message on %s', (_what, body, why) => {
    const own = join(dir, _what.replace(/\W/g, '-'));
    mkdirSync(own);
    writeFileSync(join(own, PROGRESS_FILE), body);
    const { lessons, message } = new LessonService(own, noHost).list();
    expect(message).toMatch(/^lessons\.json in the data folder could not be read .*: lesson progress starts over$/);
    expect(message).toMatch(why);
    expect(lessons.every((l) => l.progress === null)).toBe(true);
    expect(({} as Record<string, unknown>).stepsDone).toBeUndefined();
  });

  it('refuses a file too large to be its own', () => {
    const own = join(dir, 'large');
    mkdirSync(own);
    writeFileSync(join(own, PROGRESS_FILE), ' '.repeat(2 << 20));
    expect(new LessonService(own, noHost).list().message).toMatch(/larger than 1 MiB/);
  });

  it('reads back progress it kept', () => {
    const own = join(dir, 'kept');
    mkdirSync(own);
    const progress = { stepsDone: 2, steps: 4, passed: false, last: 'left', at: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(own, PROGRESS_FILE), JSON.stringify({ version: 1, lessons: { '01-raft-election': progress } }));
    const listed = new LessonService(own, noHost).list();
    expect(listed.message).toBeNull();
    expect(listed.lessons.find((l) => l.id === '01-raft-election')?.progress).toEqual(progress);
  });
});

describe('faults asked and done', () => {
  it('matches a partition by its groups as sets, and nodes, links and rules exactly', () => {
    expect(sameFault({ kind: 'partition', groups: [['n5', 'n1'], ['n2', 'n3', 'n4']] }, { kind: 'partition', groups: [['n4', 'n2', 'n3'], ['n1', 'n5']] })).toBe(true);
    expect(sameFault({ kind: 'partition', groups: [['n5', 'n1'], ['n2', 'n3', 'n4']] }, { kind: 'partition', groups: [['n5'], ['n1', 'n2', 'n3', 'n4']] })).toBe(false);
    expect(sameFault({ kind: 'crash', node: 'n2' }, { kind: 'crash', node: 'n3' })).toBe(false);
    expect(sameFault({ kind: 'crash', node: 'n2' }, { kind: 'pause', node: 'n2' })).toBe(false);
    expect(sameFault({ kind: 'cut', from: 'n1', to: 'n2' }, { kind: 'cut', from: 'n2', to: 'n1' })).toBe(false);
    expect(sameFault({ kind: 'link', from: 'n1', to: 'n2', rule: { drop: 0.5 } }, { kind: 'link', from: 'n1', to: 'n2', rule: { drop: 0.5, delayMs: 20 } })).toBe(true);
    expect(sameFault({ kind: 'link', from: 'n1', to: 'n2', rule: { drop: 0.5 } }, { kind: 'link', from: 'n1', to: 'n2', rule: { drop: 0.4 } })).toBe(false);
    expect(sameFault({ kind: 'clock-skew', node: 'n1', offsetMs: -500, drift: 0 }, { kind: 'clock-skew', node: 'n1', offsetMs: -500, drift: 0 })).toBe(true);
    expect(sameFault({ kind: 'heal' }, { kind: 'network', rule: null })).toBe(false);
  });

  it('says a fault in words, naming the node by what the lesson called it', () => {
    expect(faultInWords({ kind: 'crash', node: 'n2' }, { kind: 'crash', node: 'leader' })).toBe('kill the leader, n2');
    expect(faultInWords({ kind: 'partition', groups: [['n2'], ['n1', 'n3']] }, { kind: 'isolate', node: 'leader' })).toBe('cut the leader, n2 off from the others');
    expect(faultInWords({ kind: 'partition', groups: [['n5', 'n1'], ['n2', 'n3', 'n4']] }, null)).toBe('split the network into {n5, n1} and {n2, n3, n4}');
  });
});

/** What a person at the window does for an asked fault: the button the service has for it. */
async function byHand(service: PlaygroundService, fault: Fault): Promise<void> {
  switch (fault.kind) {
    case 'crash':
      await service.nodeAction(fault.node, 'kill');
      return;
    case 'restart':
    case 'pause':
    case 'resume':
      await service.nodeAction(fault.node, fault.kind);
      return;
    case 'partition':
      service.partition(fault.groups);
      return;
    case 'heal':
      service.heal();
      return;
    case 'cut':
      service.cutLink(fault.from, fault.to, false);
      return;
    case 'uncut':
      service.healLink(fault.from, fault.to, false);
      return;
    case 'link':
      service.setLinkRule(fault.from, fault.to, fault.rule);
      return;
    case 'network':
      service.setLinkRule(null, null, fault.rule);
      return;
    case 'clock-skew':
      service.skewClock(fault.node, fault.offsetMs, fault.drift);
      return;
    default:
      throw new Error(`no button in this test for ${describeFault(fault)}`);
  }
}

describe('the library lessons that ask, done by hand in the window', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lessons-library-'));
  const service = new PlaygroundService(dir);
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // Every lesson the window offers (all but those for the simulator only), as the window runs it.
  const offered = readdirSync(defaultLibraryDir())
    .filter((f) => f.endsWith('.yaml') && !/^simulator-only:/m.test(readFileSync(join(defaultLibraryDir(), f), 'utf8')))
    .map((f) => f.replace(/\.yaml$/, ''));
  const asking = offered.filter((id) => /^\s*ask:/m.test(readFileSync(join(defaultLibraryDir(), `${id}.yaml`), 'utf8')));

  it('has lessons that ask: the election, the minority partition, the lost write', () => {
    expect(asking).toEqual(expect.arrayContaining(['01-raft-election', '02-raft-minority-partition', '09-primary-backup-async-lost-write']));
  });

  it('runs a lesson with a workload and an operator command: the command goes through the service and its answer is said', async () => {
    await service.lessons.start('03-raft-transfer');
    service.setSpeed(4);
    const ended = await until('the lesson to end', () => (service.lessons.view()?.status !== 'running' ? service.lessons.view() : null), 60_000);
    expect(ended.result, JSON.stringify(ended.steps, null, 1)).toMatch(/^Passed/);
    expect(ended.steps[1]?.events).toEqual(expect.arrayContaining([expect.stringMatching(/^admin n\d transfer_leadership$/), expect.stringMatching(/^n\d answered: /)]));
    // The lesson's clients are the session's: the checker saw their operations.
    await until('the checker to count the lesson’s operations', () => service.state().health.operations > 10, 10_000);
  }, 90_000);

  it.each(offered)('%s passes on the window’s cluster, its asked faults done through the service', async (id) => {
    await service.lessons.start(id);
    service.setSpeed(4);
    const asked: string[] = [];
    for (;;) {
      const view = await until('the lesson to ask, pause or end', () => {
        const v = service.lessons.view();
        return v !== null && (v.status !== 'running' || v.waiting !== null) ? v : null;
      }, 60_000);
      if (view.status !== 'running') break;
      if (view.waiting?.kind === 'pause') service.lessons.act('continue');
      else if (view.waiting?.kind === 'ask') {
        // What the narration says of the cluster holds in the window too: the minority lesson's leader is n5.
        if (id === '02-raft-minority-partition') expect(service.state().nodes.find((n) => n.status?.role === 'leader')?.id).toBe('n5');
        for (const fault of view.waiting.faults.filter((f) => !f.done)) {
          asked.push(fault.words);
          await byHand(service, parseFault(fault.text) as Fault);
        }
        await until('the lesson to take it', () => service.lessons.view()?.waiting?.kind !== 'ask');
      }
    }
    const ended = service.lessons.view()!;
    expect(ended.result, JSON.stringify(ended.steps, null, 1)).toMatch(/^Passed/);
    if (asking.includes(id)) expect(asked.length).toBeGreaterThan(0);
    expect(ended.steps.flatMap((s) => s.events).filter((e) => e.startsWith('you did it'))).toHaveLength(asked.length);
    if (id === '09-primary-backup-async-lost-write') expect(asked).toEqual([expect.stringMatching(/^kill the primary, n\d$/)]);
  }, 120_000);
});

describe('a lesson on the window’s cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lessons-run-'));
  const library = join(dir, 'library');
  mkdirSync(library);
  writeFileSync(join(library, '01-raft-election.yaml'), readFileSync(join(defaultLibraryDir(), '01-raft-election.yaml')));
  writeFileSync(join(library, 'isolate.yaml'), ISOLATE);
  writeFileSync(join(library, 'pausing.yaml'), PAUSING);
  writeFileSync(join(library, 'simulated.yaml'), 'title: simulated\nsimulator-only: its cut needs exact stops\ncluster: { algorithm: raft }\nsteps:\n  - when: leader\n');
  writeFileSync(join(library, 'broken.yaml'), 'title: broken\ncluster: { algorithm: raft }\nsteps:\n  - explode: n1\n');
  const data = join(dir, 'data');
  const service = new PlaygroundService(data, { lessonLibrary: library });
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const view = (): LessonView | null => service.lessons.view();

  it('runs to its end: the person kills the wrong node (said, not taken), then the leader; the lesson passes and the cluster plays on', async () => {
    const started = await service.lessons.start('01-raft-election');
    expect(started).toMatchObject({ id: '01-raft-election', status: 'running', totalSteps: 4 });
    // A session like any other: recorded, with the lesson's cluster.
    expect(service.state().settings).toMatchObject({ algorithm: 'raft', nodes: 3, seed: 7 });
    expect(service.listSessions().filter((s) => s.recording)).toHaveLength(1);
    service.setSpeed(2);
    const asked = await until('the lesson to ask', () => (view()?.waiting?.kind === 'ask' ? view() : null));
    expect(asked.steps.map((s) => s.state)).toEqual(['done', 'done', 'running']);
    expect(asked.steps[2]?.narrate).toMatch(/kill the leader/);
    const leader = service.state().nodes.find((n) => n.status?.role === 'leader')!.id;
    expect(asked.waiting).toEqual({ kind: 'ask', faults: [{ text: `crash ${leader}`, words: `kill the leader, ${leader}`, how: `Kill on ${leader}'s card`, done: false }] });

    const other = service.state().nodes.find((n) => n.id !== leader)!.id;
    await service.nodeAction(other, 'kill');
    expect(view()?.notice).toBe(`That was: kill ${other}. The lesson asks you to kill the leader, ${leader}.`);
    expect(view()?.waiting?.kind).toBe('ask');
    await service.nodeAction(other, 'restart');
    expect(view()?.waiting?.kind).toBe('ask');

    await service.nodeAction(leader, 'kill');
    await until('the lesson to end', () => view()?.status !== 'running');
    const ended = view()!;
    expect(ended.result).toMatch(/^Passed/);
    expect(ended.status).toBe('passed');
    expect(ended.notice).toBeNull();
    expect(ended.steps[2]?.events).toContain(`you did it: crash ${leader}`);
    expect(ended.steps.flatMap((s) => s.checks).every((c) => c.ok)).toBe(true);
    // Free play: the same cluster runs on, and takes faults by hand with no lesson waiting.
    expect(service.state().nodes.find((n) => n.id === leader)?.state).toBe('down');
    await service.nodeAction(leader, 'restart');
    const kept = JSON.parse(readFileSync(join(data, PROGRESS_FILE), 'utf8')) as { lessons: Record<string, unknown> };
    expect(kept.lessons['01-raft-election']).toMatchObject({ stepsDone: 4, steps: 4, passed: true, last: 'passed' });
    expect(service.lessons.list().lessons.find((l) => l.id === '01-raft-election')?.progress).toMatchObject({ passed: true });
  }, 90_000);

  it('does what the person leaves to it (Do it for me), and goes on', async () => {
    await service.lessons.start('isolate');
    service.setSpeed(2);
    const asked = await until('the lesson to ask', () => (view()?.waiting?.kind === 'ask' ? view() : null));
    const words = asked.waiting?.kind === 'ask' ? asked.waiting.faults[0]?.words : '';
    expect(words).toMatch(/^cut the leader, n\d off from the others$/);
    expect(() => service.lessons.act('continue')).toThrow(/not waiting for you to go on/);
    service.lessons.act('do-it-for-me');
    await until('the lesson to end', () => view()?.status !== 'running');
    expect(view()?.status).toBe('passed');
    const events = view()?.steps[1]?.events ?? [];
    expect(events.some((e) => e.startsWith('you did it'))).toBe(false);
    expect(events).toEqual([expect.stringMatching(/^partition \(n\d\) \(n\d,n\d\)$/)]);
    expect(service.state().network.cuts.length).toBeGreaterThan(0);
  }, 60_000);

  it('waits at a pause for Continue, and leaving ends the lesson but not the cluster', async () => {
    await service.lessons.start('pausing');
    service.setSpeed(2);
    const paused = await until('the pause', () => (view()?.waiting?.kind === 'pause' ? view() : null));
    expect(paused.waiting).toEqual({ kind: 'pause', message: "Look at the leader's log" });
    expect(() => service.lessons.act('do-it-for-me')).toThrow(/not asking you to do anything/);
    expect(service.lessons.act('continue')?.waiting).toBeNull();
    const again = await until('the second pause', () => (view()?.waiting?.kind === 'pause' ? view() : null));
    expect(again.waiting).toEqual({ kind: 'pause', message: "Now at a follower's" });
    expect(again.steps[1]).toMatchObject({ state: 'done', events: ['you went on'] });
    const dataDir = service.state().dataDir;
    expect(service.lessons.act('leave')).toBeNull();
    expect(view()).toBeNull();
    await service.lessons.settled();
    expect(service.state().dataDir).toBe(dataDir);
    expect(service.lessons.list().lessons.find((l) => l.id === 'pausing')?.progress).toMatchObject({ stepsDone: 2, steps: 4, last: 'left', passed: false });
    expect(() => service.lessons.act('continue')).toThrow(/no lesson is running/);
  }, 60_000);

  it('ends the lesson cleanly when another cluster starts', async () => {
    await service.lessons.start('pausing');
    service.setSpeed(2);
    await until('the pause', () => view()?.waiting?.kind === 'pause');
    await service.newCluster({ ...service.state().settings, nodes: 3 });
    expect(view()).toBeNull();
    await service.lessons.settled();
    expect(service.lessons.list().lessons.find((l) => l.id === 'pausing')?.progress?.last).toBe('left');
  }, 60_000);

  it('answers bad calls with clear errors', async () => {
    expect(await dispatch(service, 'startLesson', ['../../etc/passwd'])).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid startLesson: .*a lesson is named by its file/) });
    expect(await dispatch(service, 'startLesson', ['no-such-lesson'])).toEqual({ ok: false, error: 'there is no lesson "no-such-lesson"' });
    expect(await dispatch(service, 'startLesson', ['simulated'])).toMatchObject({ ok: false, error: expect.stringMatching(/^the lesson simulated runs on the simulator only \(its cut needs exact stops\)/) });
    expect(service.lessons.list().lessons.map((l) => l.id)).not.toContain('simulated');
    expect(await dispatch(service, 'startLesson', ['broken'])).toMatchObject({ ok: false, error: expect.stringMatching(/^the lesson broken cannot be read: broken\.yaml:4:\d+:/) });
    expect(await dispatch(service, 'lessonAction', ['jump'])).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid lessonAction/) });
    expect(await dispatch(service, 'lessonAction', ['continue'])).toMatchObject({ ok: false, error: expect.stringMatching(/no lesson is running/) });
    expect(await dispatch(service, 'lessonState', [])).toEqual({ ok: true, value: null });
    const listed = await dispatch(service, 'listLessons', []);
    expect(listed.ok && (listed.value as { lessons: Array<{ id: string; problem: string | null }> }).lessons.find((l) => l.id === 'broken')?.problem).toMatch(/broken\.yaml:4/);
  });
});
