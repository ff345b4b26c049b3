// A token bucket: `ratePerSecond` tokens refill continuously up to `burst`. `take` never waits:
// it answers whether the request may go now. Time is passed in, so callers share one clock read.

export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.updatedMs = nowMs;
  }

  take(nowMs: number, count = 1): boolean {
    const elapsed = nowMs - this.updatedMs;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.updatedMs = nowMs;
    }
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }
}
