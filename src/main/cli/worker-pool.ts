// A few worker threads sharing a queue of tasks: `generate` records and exports sessions on every
// core instead of one.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** What a pool's worker receives: a task, or buffers handed back to it (see giveBack). */
export type PoolMessage<Task> = { task: Task } | { spent: ArrayBuffer[] };

export class WorkerPool<Task> {
  private nextGiveBack = 0;
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Array<{ task: Task; pending: Pending }> = [];
  private readonly busy = new Map<Worker, Pending>();

  constructor(script: URL, size = Math.max(1, Math.min(4, availableParallelism()))) {
    for (let i = 0; i < size; i++) {
      // A bigger young generation: these threads make strings by the gigabyte, and most die young.
      const worker = new Worker(script, { resourceLimits: { maxYoungGenerationSizeMb: 128 } });
      worker.on('message', (answer: { ok: true; value: unknown } | { ok: false; error: string }) => {
        const pending = this.busy.get(worker);
        this.busy.delete(worker);
        if (pending) {
          if (answer.ok) pending.resolve(answer.value);
          else pending.reject(new Error(answer.error));
        }
        this.next(worker);
      });
      worker.on('error', (error) => {
        this.busy.get(worker)?.reject(error);
        this.busy.delete(worker);
      });
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  get size(): number {
    return this.all.length;
  }

  run<T>(task: Task): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ task, pending: { resolve: resolve as (value: unknown) => void, reject } });
      const worker = this.idle.pop();
      if (worker) this.next(worker);
    });
  }

  private next(worker: Worker): void {
    const item = this.queue.shift();
    if (item === undefined) {
      this.idle.push(worker);
      return;
    }
    this.busy.set(worker, item.pending);
    worker.postMessage({ task: item.task } satisfies PoolMessage<Task>);
  }

  /**
   * Hands buffers a worker transferred here back to the workers, in turn, to be filled again. They
   * go at once: a busy worker takes them in when it next yields (generate's does between recording
   * a session and exporting it), not only with its next task.
   */
  giveBack(buffers: ArrayBuffer[]): void {
    if (buffers.length === 0 || this.all.length === 0) return;
    const worker = this.all[this.nextGiveBack++ % this.all.length] as Worker;
    worker.postMessage({ spent: buffers } satisfies PoolMessage<Task>, buffers);
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}
