// The window's lessons: the library with each lesson's progress, and the lesson running on the
// window's cluster, fed by the update batches (which carry it when it changed) and asked for once
// when the window opens.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { LessonAction, LessonList, LessonView, UpdateBatch } from '../../../shared/bridge.ts';
import { getBridge } from '../bridge.ts';
import { useClusterStore } from './cluster.ts';

export const useLessonsStore = defineStore('lessons', () => {
  const bridge = getBridge();
  const cluster = useClusterStore();
  const list = shallowRef<LessonList | null>(null);
  const lesson = shallowRef<LessonView | null>(null);
  /** The Lessons panel is open (it stays open while a lesson runs). */
  const open = ref(false);
  /** The lesson being started: its cluster takes a moment. */
  const starting = ref<string | null>(null);
  let connected = false;

  function take(view: LessonView | null): void {
    // An older view (a batch sent before an answer) never replaces a newer one of the same lesson.
    if (view !== null && lesson.value !== null && view.id === lesson.value.id && view.version < lesson.value.version) return;
    const ended = lesson.value !== null && lesson.value.status === 'running' && (view === null || view.status !== 'running');
    lesson.value = view;
    if (view !== null) open.value = true;
    // How far each lesson got changed: the list says so next time it shows.
    if (ended) void refresh();
  }

  function connect(): void {
    if (connected) return;
    connected = true;
    bridge.onUpdate((batch: UpdateBatch) => {
      if (batch.lesson !== undefined) take(batch.lesson);
    });
    void cluster.run(bridge.lessonState()).then((view) => view !== null && take(view));
  }

  async function refresh(): Promise<void> {
    const value = await cluster.run(bridge.listLessons());
    if (value !== null) list.value = value;
  }

  async function start(id: string): Promise<void> {
    starting.value = id;
    try {
      const view = await cluster.run(bridge.startLesson(id));
      if (view !== null) {
        take(view);
        // The lesson's cluster is a new one: the window forgets the last one's events and answers.
        const state = await cluster.run(bridge.getState());
        if (state !== null) cluster.showNewCluster(state);
      }
    } finally {
      starting.value = null;
    }
  }

  async function act(action: LessonAction): Promise<void> {
    const answer = await cluster.run(bridge.lessonAction(action), () => (action === 'leave' ? 'You left the lesson: the cluster is yours (free play)' : null));
    if (answer !== null || action === 'leave') take(answer);
    if (action === 'leave') void refresh();
  }

  return { list, lesson, open, starting, connect, refresh, start, act };
});
