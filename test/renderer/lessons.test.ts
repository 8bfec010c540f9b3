// @vitest-environment happy-dom
// The Lessons panel against a fake bridge: the list with progress, a lesson's steps, what it asks
// (Do it for me), its pauses (Continue), its end (free play); and the Markdown of lesson files,
// drawn as text whatever they hold.
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { LessonList, LessonView, PlaygroundBridge, UpdateBatch } from '../../src/shared/bridge.ts';
import { setBridge } from '../../src/renderer/src/bridge.ts';
import { parseInline, parseMarkdown } from '../../src/renderer/src/markdown.ts';
import LessonsPanel from '../../src/renderer/src/components/LessonsPanel.vue';
import MarkdownText from '../../src/renderer/src/components/MarkdownText.vue';
import { useLessonsStore } from '../../src/renderer/src/stores/lessons.ts';

const list: LessonList = {
  lessons: [
    { id: '01-raft-election', title: 'Raft: a leader is elected', summary: 'Three **Raft** nodes.', algorithm: 'raft', steps: 4, handsOn: 1, progress: { stepsDone: 4, steps: 4, passed: true, last: 'passed', at: '2026-01-01T00:00:00.000Z' }, problem: null },
    { id: '02-raft-minority-partition', title: 'Raft: a minority', summary: null, algorithm: 'raft', steps: 5, handsOn: 0, progress: { stepsDone: 2, steps: 5, passed: false, last: 'left', at: '2026-01-01T00:00:00.000Z' }, problem: null },
    { id: '03-broken', title: '03-broken', summary: null, algorithm: '', steps: 0, handsOn: 0, progress: null, problem: '03-broken.yaml:4:5: unknown action "explode"' },
  ],
  message: 'lessons.json in the data folder could not be read (not JSON): lesson progress starts over',
};

const asking: LessonView = {
  id: '01-raft-election',
  title: 'Raft: a leader is elected',
  summary: 'Three Raft nodes.',
  algorithm: 'raft',
  totalSteps: 4,
  status: 'running',
  steps: [
    { index: 0, line: 11, narrate: 'Every node starts as a **follower**.', events: ['n2 leads (term 1)'], checks: [{ ok: true, text: "n2's role is leader" }], error: null, state: 'done' },
    { index: 1, line: 18, narrate: 'Now **kill the leader**: click *Kill* on its card.', events: ['write x 1: ok'], checks: [], error: null, state: 'running' },
  ],
  waiting: { kind: 'ask', faults: [{ text: 'crash n2', words: 'kill the leader, n2', how: "Kill on n2's card", done: false }] },
  notice: 'That was: kill n3. The lesson asks you to kill the leader, n2.',
  result: null,
  version: 5,
};

function fakeBridge(): PlaygroundBridge & { push(batch: Partial<UpdateBatch>): void } {
  const listeners = new Set<(batch: UpdateBatch) => void>();
  const ok = <T>(value: T) => vi.fn(async () => ({ ok: true as const, value }));
  return {
    listLessons: ok(list),
    startLesson: ok(asking),
    lessonState: ok(null),
    lessonAction: ok(null),
    getState: vi.fn(async () => ({ ok: false as const, error: 'no cluster in this test' })),
    onUpdate: (listener: (batch: UpdateBatch) => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    push: (batch: Partial<UpdateBatch>) => {
      for (const listener of listeners) listener(batch as UpdateBatch);
    },
  } as unknown as PlaygroundBridge & { push(batch: Partial<UpdateBatch>): void };
}

describe('Markdown of lesson files', () => {
  it('reads paragraphs, lists, bold, italic and code', () => {
    expect(parseMarkdown('One **two** *three*\ngoes on.\n\n- a `x`\n- b\n  more\n\n1. first\n2. second')).toEqual([
      {
        kind: 'p',
        runs: [
          { text: 'One ', bold: false, italic: false, code: false },
          { text: 'two', bold: true, italic: false, code: false },
          { text: ' ', bold: false, italic: false, code: false },
          { text: 'three', bold: false, italic: true, code: false },
          { text: ' goes on.', bold: false, italic: false, code: false },
        ],
      },
      { kind: 'ul', items: [[{ text: 'a ', bold: false, italic: false, code: false }, { text: 'x', bold: false, italic: false, code: true }], [{ text: 'b more', bold: false, italic: false, code: false }]] },
      { kind: 'ol', items: [[{ text: 'first', bold: false, italic: false, code: false }], [{ text: 'second', bold: false, italic: false, code: false }]] },
    ]);
  });

  it('leaves unclosed markers, snake_case and code contents as they are', () => {
    expect(parseInline('2 * 3 and a_b_c')).toEqual([{ text: '2 * 3 and a_b_c', bold: false, italic: false, code: false }]);
    expect(parseInline('**open')).toEqual([{ text: '**open', bold: false, italic: false, code: false }]);
    expect(parseInline('`**not bold**`')).toEqual([{ text: '**not bold**', bold: false, italic: false, code: true }]);
    expect(parseInline('**bold *and italic***').map((r) => [r.text, r.bold, r.italic])).toEqual([
      ['bold ', true, false],
      ['and italic', true, true],
    ]);
  });

  it('draws whatever else a file holds as text, never as HTML', () => {
    const hostile = '<img src=x onerror="alert(1)"> **<script>alert(2)</script>** [link](javascript:alert(3))';
    const wrapper = mount(MarkdownText, { props: { text: hostile } });
    expect(wrapper.find('img').exists()).toBe(false);
    expect(wrapper.find('script').exists()).toBe(false);
    expect(wrapper.find('a').exists()).toBe(false);
    expect(wrapper.find('strong').text()).toBe('<script>alert(2)</script>');
    expect(wrapper.text()).toContain('<img src=x onerror="alert(1)">');
  });

  it('keeps the spaces between runs, and adds none', () => {
    const wrapper = mount(MarkdownText, { props: { text: 'One **two** *three*, `four`.\n\n- a **b**' } });
    expect(wrapper.find('p').element.textContent).toBe('One two three, four.');
    expect(wrapper.find('li').element.textContent).toBe('a b');
  });
});

describe('the Lessons panel', () => {
  let bridge: ReturnType<typeof fakeBridge>;
  beforeEach(() => {
    bridge = fakeBridge();
    setBridge(bridge);
    setActivePinia(createPinia());
  });

  it('lists the lessons with their progress, a broken one with its problem, and a broken progress file said', async () => {
    const panel = mount(LessonsPanel);
    await flushPromises();
    const items = panel.findAll('.list > li');
    expect(items).toHaveLength(3);
    expect(items[0]?.find('.progress').text()).toBe('done ✓');
    expect(items[1]?.find('.progress').text()).toBe('2 of 5 steps');
    expect(items[0]?.find('.hands-on').text()).toBe('you act in 1');
    expect(items[1]?.find('.hands-on').exists()).toBe(false);
    expect(items[2]?.find('button.start').attributes('disabled')).toBeDefined();
    expect(items[2]?.text()).toContain('unknown action "explode"');
    expect(panel.find('[role="alert"]').text()).toMatch(/lesson progress starts over/);
    await items[1]?.find('button.start').trigger('click');
    await flushPromises();
    expect(bridge.startLesson).toHaveBeenCalledWith('02-raft-minority-partition');
  });

  it('shows the running lesson: narration, events, checks, what it asks and the wrong fault said; Do it for me and Leave', async () => {
    const store = useLessonsStore();
    const panel = mount(LessonsPanel);
    await flushPromises();
    bridge.push({ lesson: asking });
    await flushPromises();
    expect(store.lesson?.id).toBe('01-raft-election');
    expect(panel.find('h2').text()).toBe('Raft: a leader is elected');
    expect(panel.find('.count').text()).toBe('raft · step 2 of 4');
    const running = panel.find('.step.running');
    expect(running.attributes('aria-current')).toBe('step');
    expect(running.find('strong').text()).toBe('kill the leader');
    expect(running.find('em').text()).toBe('Kill');
    expect(panel.find('.checks').text()).toBe("✓ ok n2's role is leader");
    const ask = panel.find('[aria-label="Your turn"]');
    expect(ask.text()).toContain('kill the leader, n2');
    expect(ask.text()).toContain("crash n2 · Kill on n2's card");
    expect(ask.find('[role="alert"]').text()).toBe('That was: kill n3. The lesson asks you to kill the leader, n2.');
    await ask.findAll('button').find((b) => b.text() === 'Do it for me')!.trigger('click');
    expect(bridge.lessonAction).toHaveBeenCalledWith('do-it-for-me');
    // An older view arriving late does not replace the newer one.
    bridge.push({ lesson: { ...asking, version: 3, waiting: null } });
    await flushPromises();
    expect(panel.find('[aria-label="Your turn"]').exists()).toBe(true);
    await panel.findAll('button').find((b) => b.text() === 'Leave lesson')!.trigger('click');
    await flushPromises();
    expect(bridge.lessonAction).toHaveBeenCalledWith('leave');
    expect(store.lesson).toBeNull();
    expect(panel.findAll('.list > li')).toHaveLength(3);
  });

  it('waits at a pause for Continue, and ends in free play with the result', async () => {
    mount(LessonsPanel);
    const panel = mount(LessonsPanel);
    bridge.push({ lesson: { ...asking, notice: null, waiting: { kind: 'pause', message: "Look at **n2**'s log" } } });
    await flushPromises();
    const waits = panel.find('[aria-label="The lesson waits"]');
    expect(waits.find('strong').text()).toBe('n2');
    await waits.find('button').trigger('click');
    expect(bridge.lessonAction).toHaveBeenCalledWith('continue');
    bridge.push({ lesson: { ...asking, version: 9, status: 'failed', waiting: null, notice: null, result: "Failed: step 4: a read of x at n1 returns 2: it returned 1", steps: asking.steps.map((s) => ({ ...s, state: 'done' as const })) } });
    await flushPromises();
    expect(panel.find('.result').text()).toContain('Lesson failed');
    expect(panel.find('.result').text()).toContain('it returned 1');
    expect(panel.find('.result').text()).toContain('Free play');
    expect(panel.find('.count').text()).toBe('raft · 2 of 4 steps · free play');
    expect(panel.findAll('button').map((b) => b.text())).toEqual(expect.arrayContaining(['All lessons', 'Again']));
  });
});
