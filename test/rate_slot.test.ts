import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { CONNECTION_REQUESTS_BURST, CONNECTION_REQUESTS_PER_SECOND } from '../src/limits.js';
import { RATE_REFUSED, rateTake } from '../src/runtime/rate_slot.js';

/** The token bucket the rate slot replaces, as it was: the reference for its answers. */
class ReferenceBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(private readonly rate: number, private readonly burst: number, nowMs: number) {
    this.tokens = burst;
    this.updatedMs = nowMs;
  }

  take(nowMs: number): boolean {
    const elapsed = nowMs - this.updatedMs;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.rate) / 1000);
      this.updatedMs = nowMs;
    }
    // Tokens add up in fractions (0.284 + 0.292 + …) and may land a hair under a whole one;
    // the slot allows the same rounding slack (SLACK_TOKENS), so the reference does too.
    if (this.tokens < 1 - 1e-9) return false;
    this.tokens -= 1;
    return true;
  }
}

it('rate slot: a full burst at once, then one more per interval', () => {
  const now = Date.now();
  let slot = 0;
  for (let i = 0; i < CONNECTION_REQUESTS_BURST; i++) {
    slot = rateTake(slot, now, CONNECTION_REQUESTS_PER_SECOND, CONNECTION_REQUESTS_BURST);
    assert.notEqual(slot, RATE_REFUSED, `take ${i}`);
  }
  assert.equal(rateTake(slot, now, CONNECTION_REQUESTS_PER_SECOND, CONNECTION_REQUESTS_BURST),
    RATE_REFUSED);
  const later = now + 1000 / CONNECTION_REQUESTS_PER_SECOND;
  assert.notEqual(rateTake(slot, later, CONNECTION_REQUESTS_PER_SECOND,
    CONNECTION_REQUESTS_BURST), RATE_REFUSED);
});

it('rate slot: answers as the token bucket does for any request times', () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 50 }),
    fc.integer({ min: 1, max: 20 }),
    fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 200 }),
    (rate, burst, gaps) => {
      let now = Date.now();
      const bucket = new ReferenceBucket(rate, burst, now);
      let slot = 0;
      for (const gap of gaps) {
        now += gap;
        const next = rateTake(slot, now, rate, burst);
        assert.equal(next !== RATE_REFUSED, bucket.take(now));
        if (next !== RATE_REFUSED) slot = next;
      }
    },
  ), { numRuns: 20_000 });
});
