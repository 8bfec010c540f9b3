// V8's heap settings for a process that hosts a live cluster.

import { setFlagsFromString } from 'node:v8';

/** Each semi-space of a worker started afterwards (node hosts, the recorder's writer, simulations). */
export const WORKER_SEMI_SPACE_MB = 4;

/**
 * Fixes the size of every isolate's young generation instead of letting V8 grow it (up to 32 MiB)
 * under load and shrink it again after full collections: each page it takes anew must be touched
 * first, which costs 13-18 us on a virtual machine. The main thread, which relays every message and
 * client operation, keeps the size it started with (two semi-spaces of 1 MiB): its objects live
 * for one round of messages, and growing had cost it ~16 page faults per round of 64 client
 * writes. Workers get WORKER_SEMI_SPACE_MB: a node host parses and builds whole batches, and at
 * 1 MiB its collections cost as much as its SQLite writes. Measured on 3 nodes at sync NORMAL,
 * against V8's defaults: +9% committed writes/s with and without recording, main-thread CPU per
 * write down by 17-24%, longest scavenge in the main thread ~4 ms instead of 20-45 ms.
 *
 * V8 reads the growth factor whenever it resizes, so that takes effect in the running isolate; the
 * starting size is read when an isolate is created, so call this before the first worker starts.
 */
export function fixYoungGenerationSizes(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString(`--min-semi-space-size=${WORKER_SEMI_SPACE_MB}`);
}
