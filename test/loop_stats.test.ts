// The shard's event-loop lag figure: a quiet loop reports (almost) none, a blocked loop reports
// how long it was blocked, and every sample starts a new interval.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOOP_LAG_RESOLUTION_MS, LoopStats } from '../src/shard/loop_stats.js';

const BLOCK_MS = 150;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy: the loop cannot run timers meanwhile.
  }
}

test('loop_stats: a loop blocked 150 ms reports a max lag near 150 ms, then resets', async () => {
  const stats = new LoopStats();
  try {
    await sleep(LOOP_LAG_RESOLUTION_MS * 3);
    blockFor(BLOCK_MS);
    await sleep(LOOP_LAG_RESOLUTION_MS * 3);
    const blocked = stats.sample();
    // The block can start anywhere in a sampling period, so up to one period is hidden.
    assert.ok(blocked.loopLagMaxMs >= BLOCK_MS - LOOP_LAG_RESOLUTION_MS,
      `max ${blocked.loopLagMaxMs} ms`);
    assert.ok(blocked.loopLagMaxMs < BLOCK_MS * 3, `max ${blocked.loopLagMaxMs} ms`);
    assert.ok(blocked.heapUsedBytes > 0);
    await sleep(LOOP_LAG_RESOLUTION_MS * 10);
    const quiet = stats.sample();
    assert.ok(quiet.loopLagMaxMs < BLOCK_MS / 2, `quiet max ${quiet.loopLagMaxMs} ms`);
    assert.ok(quiet.loopLagP99Ms <= quiet.loopLagMaxMs);
  } finally {
    stats.stop();
  }
});

test('loop_stats: a sample with no timer run since the last one reports 0 lag', () => {
  const stats = new LoopStats();
  try {
    const first = stats.sample();
    assert.equal(first.loopLagP99Ms, 0);
    assert.equal(first.loopLagMaxMs, 0);
  } finally {
    stats.stop();
  }
});
