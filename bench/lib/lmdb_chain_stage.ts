// One stage of limits_lmdb_chain: a worker thread with its own LMDB environment that makes
// the messages it is handed durable, group-committed the way a shard commits (a transaction
// takes everything queued when it starts, at most COMMITS_IN_FLIGHT_MAX in flight, an idle
// stage waits COMMIT_WINDOW_MS for company), then hands them on. A message is its intended
// send time (ms, the main thread's clock); it travels on unchanged so the main thread can
// measure from it. The parent terminates the stage and removes its directory.

import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { open } from 'lmdb';
import { COMMIT_WINDOW_MS, COMMITS_IN_FLIGHT_MAX } from '../../src/limits.js';
import { STORED_MESSAGE_SAMPLE } from './stored_message_sample.js';

export interface ChainStageData {
  readonly dir: string;
  /** Increasing-key puts per message (the message log append, the outbox row, …). */
  readonly putsPerMessage: number;
  /** Where messages come from; the parent when absent. */
  readonly input?: MessagePort;
  /** Where durable messages go besides the parent (the next stage). */
  readonly forward?: MessagePort;
}

/** Largest environment a stage may grow to; the map grows as needed. */
const MAP_BYTES_MAX = 16 * 1024 * 1024 * 1024;

function stageRun(data: ChainStageData, parent: MessagePort): void {
  const env = open({ path: data.dir, overlappingSync: false, mapSize: MAP_BYTES_MAX });
  const db = env.openDB<typeof STORED_MESSAGE_SAMPLE, number>({ name: 'log' });
  let keyNext = 0;
  let queued: Float64Array[] = [];
  let inFlight = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (queued.length === 0 || inFlight >= COMMITS_IN_FLIGHT_MAX) return;
    inFlight++;
    let taken: Float64Array[] = [];
    void env.transaction(() => {
      taken = queued;
      queued = [];
      for (const batch of taken) {
        for (let i = 0; i < batch.length * data.putsPerMessage; i++) {
          db.put(keyNext++, STORED_MESSAGE_SAMPLE);
        }
      }
    }).then(() => {
      inFlight--;
      flush();
      const durable = concat(taken);
      data.forward?.postMessage(durable);
      parent.postMessage(durable);
    });
  };
  const take = (batch: Float64Array): void => {
    queued.push(batch);
    if (scheduled) return;
    scheduled = true;
    if (inFlight === 0) setTimeout(flush, COMMIT_WINDOW_MS);
    else setImmediate(flush);
  };
  (data.input ?? parent).on('message', take);
}

function concat(batches: readonly Float64Array[]): Float64Array {
  if (batches.length === 1) return batches[0]!;
  let length = 0;
  for (const batch of batches) length += batch.length;
  const out = new Float64Array(length);
  let at = 0;
  for (const batch of batches) {
    out.set(batch, at);
    at += batch.length;
  }
  return out;
}

if (parentPort !== null) stageRun(workerData as ChainStageData, parentPort);
