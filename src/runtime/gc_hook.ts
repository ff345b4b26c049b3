// The dev-mode bench hook that collects garbage on the calling thread, so a heap or RSS figure
// taken right after it is live data, not whatever garbage V8 had not yet collected.

import { ErrorCode } from '../errors.js';

/**
 * A full, blocking garbage collection of this thread's heap (`gc` exists only when the process
 * runs with --expose-gc; worker threads share the flag). Returns 0, or NOT_IMPLEMENTED.
 */
export function gcRun(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return ErrorCode.NOT_IMPLEMENTED;
  gc();
  return 0;
}
