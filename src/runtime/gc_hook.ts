// The dev-mode bench hook that collects garbage on the calling thread, so a heap or RSS figure
// taken right after it is live data, not whatever garbage V8 had not yet collected.

import path from 'node:path';
import v8 from 'node:v8';
import { threadId } from 'node:worker_threads';
import { ErrorCode } from '../errors.js';

/** When set (dev runs only), every collection also writes a heap snapshot of its thread here:
 * what the per-connection memory figures are made of (scripts/heap_per_connection.ts). */
const SNAPSHOT_DIR_ENV = 'MAGPIE_HEAP_SNAPSHOT_DIR';
let snapshots = 0;

/**
 * A full, blocking garbage collection of this thread's heap (`gc` exists only when the process
 * runs with --expose-gc; worker threads share the flag). Returns 0, or NOT_IMPLEMENTED.
 */
export function gcRun(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return ErrorCode.NOT_IMPLEMENTED;
  gc();
  const dir = process.env[SNAPSHOT_DIR_ENV];
  if (dir !== undefined && dir !== '') {
    v8.writeHeapSnapshot(path.join(dir, `thread${threadId}-${++snapshots}.heapsnapshot`));
  }
  return 0;
}
