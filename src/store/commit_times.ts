// How long a shard's transactions take, for its Stats report: the wait from being queued to
// LMDB starting it (behind the one before), the writes' callback on the shard thread (LMDB's
// write thread waits for it), and from the callback's end to the commit resolving (the fsync,
// and the shard thread getting to it). Each report covers the interval since the previous one.

/** Transactions whose timings an interval keeps; later ones only count (a bound, not a sample). */
const TIMES_KEPT_MAX = 4_096;

export interface CommitTimesSample {
  readonly commitsPerSecond: number;
  readonly commitWritesMean: number;
  readonly commitWaitP50Ms: number;
  readonly commitCallbackP50Ms: number;
  readonly commitDurableP50Ms: number;
  readonly commitDurableMaxMs: number;
}

export class CommitTimes {
  private waits: number[] = [];
  private callbacks: number[] = [];
  private durables: number[] = [];
  private count = 0;
  private writes = 0;
  private durableMax = 0;
  private sinceMs = performance.now();

  record(waitMs: number, callbackMs: number, durableMs: number, writes: number): void {
    this.count++;
    this.writes += writes;
    this.durableMax = Math.max(this.durableMax, durableMs);
    if (this.waits.length >= TIMES_KEPT_MAX) return;
    this.waits.push(waitMs);
    this.callbacks.push(callbackMs);
    this.durables.push(durableMs);
  }

  /** The figures since the last call; starts a new interval. */
  sample(): CommitTimesSample {
    const now = performance.now();
    const seconds = Math.max(now - this.sinceMs, 1) / 1000;
    const sample = {
      commitsPerSecond: round(this.count / seconds),
      commitWritesMean: this.count === 0 ? 0 : round(this.writes / this.count),
      commitWaitP50Ms: median(this.waits),
      commitCallbackP50Ms: median(this.callbacks),
      commitDurableP50Ms: median(this.durables),
      commitDurableMaxMs: round(this.durableMax),
    };
    this.waits = [];
    this.callbacks = [];
    this.durables = [];
    this.count = 0;
    this.writes = 0;
    this.durableMax = 0;
    this.sinceMs = now;
    return sample;
  }
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  return round(values[values.length >> 1] as number);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
