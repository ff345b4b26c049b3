// A worker thread that keeps one core busy for a fixed share of every BURN_PERIOD_MS: a box as
// busy as a server under load, for limit benches that ask what the building block does then.

import { workerData } from 'node:worker_threads';

const BURN_PERIOD_MS = 10;

export interface CpuBurnerData {
  /** Busy share of each period, 0–100. */
  readonly percent: number;
}

function burn({ percent }: CpuBurnerData): void {
  const busyMs = (BURN_PERIOD_MS * percent) / 100;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const started = performance.now();
    while (performance.now() - started < busyMs) {
      // spin: this is the load
    }
    if (busyMs < BURN_PERIOD_MS) Atomics.wait(sleeper, 0, 0, BURN_PERIOD_MS - busyMs);
  }
}

burn(workerData as CpuBurnerData);
