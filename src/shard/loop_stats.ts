// A shard thread's own health figures for its Stats report: event-loop lag (how late a timer
// runs, from Node's perf_hooks histogram, which samples in libuv without running JS), the
// thread's V8 heap and its garbage-collection pauses (perf_hooks 'gc' entries: each minor GC
// stops the thread for ~6 ms at 10 k msgs/s on a 2-core box, PERF.md). Each report covers the
// interval since the previous one.

import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type { IntervalHistogram } from 'node:perf_hooks';
import v8 from 'node:v8';

/** The histogram's timer period: 50 wake-ups/s per shard is negligible even on an idle box,
 * and a stall shorter than this can still be seen (it delays the next sample). */
export const LOOP_LAG_RESOLUTION_MS = 20;

const NS_PER_MS = 1e6;

export interface LoopStatsSample {
  /** 99th percentile of the loop delay beyond the sampling period, over the interval (ms). */
  readonly loopLagP99Ms: number;
  readonly loopLagMaxMs: number;
  /** V8 heap in use by this thread's isolate (every worker thread has its own heap). */
  readonly heapUsedBytes: number;
  /** Time the thread spent stopped for garbage collection over the interval, and the longest
   * single pause (ms). */
  readonly gcPauseMs: number;
  readonly gcPauseMaxMs: number;
}

export class LoopStats {
  private readonly histogram: IntervalHistogram;
  private readonly gcObserver: PerformanceObserver;
  private gcPauseMs = 0;
  private gcPauseMaxMs = 0;

  constructor() {
    this.histogram = monitorEventLoopDelay({ resolution: LOOP_LAG_RESOLUTION_MS });
    this.histogram.enable();
    this.gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        this.gcPauseMs += entry.duration;
        this.gcPauseMaxMs = Math.max(this.gcPauseMaxMs, entry.duration);
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  /** The figures since the last call (or since construction); starts a new interval. */
  sample(): LoopStatsSample {
    const h = this.histogram;
    // The histogram counts the whole timer delay; the sampling period itself is not lag.
    const lagMs = (ns: number): number =>
      h.count === 0 ? 0 : Math.max(0, ns / NS_PER_MS - LOOP_LAG_RESOLUTION_MS);
    const sample = {
      loopLagP99Ms: round(lagMs(h.percentile(99))),
      loopLagMaxMs: round(lagMs(h.max)),
      heapUsedBytes: v8.getHeapStatistics().used_heap_size,
      gcPauseMs: round(this.gcPauseMs),
      gcPauseMaxMs: round(this.gcPauseMaxMs),
    };
    h.reset();
    this.gcPauseMs = 0;
    this.gcPauseMaxMs = 0;
    return sample;
  }

  stop(): void {
    this.histogram.disable();
    this.gcObserver.disconnect();
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
