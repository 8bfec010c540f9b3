// The recorder's writer thread for a live cluster: the main thread, which every message crosses,
// only gathers rows and posts them here every FLUSH_MS.

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { RowWriter } from './row-writer.ts';
import { chunkBuffers, chunkData, WRITER_NICE, type WriterAnswer, type WriterMessage } from './writer-protocol.ts';

const { path, mode } = workerData as { path: string; mode: 'live' | 'sim' };
const port = parentPort;
if (port === null) throw new Error('recorder-writer.ts runs only as a worker thread');

/**
 * Writing the file can wait; the cluster's threads cannot: every message between nodes waits for
 * a thread to wake up, and on a machine with fewer cores than threads, a writer holding a core
 * delays that. At the lowest priority the scheduler lets a waking node thread take the core at
 * once, and the writer uses the time the cluster leaves idle: 3 nodes at full load, sync normal,
 * recorded 2-4% more writes a second than at nice 10 (48 interleaved pairs: median ratio 1.021,
 * mean 1.040, 29 won). A machine with no idle time left starves it: then the recorder holds new
 * client requests back until it catches up (see SessionRecorder.behind), so that memory stays
 * bounded and nothing recorded is dropped. Under two busy loops of other programs, 64 closed-loop
 * clients went on at ~10,000 writes a second with at most 16 MiB unwritten, and closing the file
 * took 6 s (at nice 10 the writer kept up there; at 19 with nothing held back it fell behind by
 * 5 MB a second). Without them, no client ever waited. Linux names a thread by its id, which
 * /proc/thread-self gives; elsewhere the writer keeps the app's priority.
 */
function lowerThisThreadsPriority(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, WRITER_NICE);
  } catch {
    // Not Linux, or not allowed: the writer runs at the app's priority, as it did.
  }
}

lowerThisThreadsPriority();
const writer = new RowWriter(path, mode);
const answer = (message: WriterAnswer): void => port.postMessage(message);

port.on('message', (message: WriterMessage) => {
  try {
    if (message.type === 'rows') {
      writer.write(message.rows);
      const buffers = chunkBuffers(chunkData(message.rows));
      port.postMessage({ type: 'spent', buffers } satisfies WriterAnswer, buffers);
    } else writer.close(message.meta);
  } catch (error) {
    answer({ type: 'error', message: (error as Error).message });
  } finally {
    // Whoever waits is answered even when the write failed: the error came first.
    if (message.type === 'close') answer({ type: 'closed' });
    else if (message.ack !== undefined) answer({ type: 'ack', ack: message.ack });
  }
});
