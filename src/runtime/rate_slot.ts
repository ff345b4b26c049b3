// A token bucket held as one number, for limits kept per connection or per user where an object
// per bucket would cost more than the state it holds (GCRA: the number is the time at which the
// bucket would be full again, its "theoretical arrival time"). Same answers as a token bucket
// whose `ratePerSecond` tokens refill continuously up to `burst`; 0 is a full bucket.

/** `rateTake`'s answer when the request must be refused; the slot keeps its old value. */
export const RATE_REFUSED = -1;

/** Slots count from the process start, not 1970: near zero, a double keeps sub-µs precision
 * for years, so intervals such as 1000 / 3 ms add up without drifting a token off. */
const EPOCH_MS = Date.now() - 1;

/** Rounding slack when comparing against the burst, in tokens. */
const SLACK_TOKENS = 1e-9;

/**
 * Takes `count` tokens at `nowMs` (Date.now()) from the bucket held in `slot`. Returns the
 * slot's new value, or RATE_REFUSED (and the caller keeps the old one).
 */
export function rateTake(slot: number, nowMs: number, ratePerSecond: number, burst: number,
  count = 1): number {
  const intervalMs = 1000 / ratePerSecond;
  const now = nowMs - EPOCH_MS;
  const next = Math.max(slot, now) + count * intervalMs;
  return (next - now) / intervalMs <= burst + SLACK_TOKENS ? next : RATE_REFUSED;
}
