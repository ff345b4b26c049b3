// The generators' end-of-case drain: it waits for late deliveries as long as they keep coming
// and gives up on a stall, so `undelivered` means missing, not merely slow.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { drainDeliveries } from '../bench/lib/drain.js';

const STALL_MS = 150;

it('bench drain: keeps waiting while deliveries trickle in past the stall time', async () => {
  let delivered = 0;
  const expected = 12;
  // One delivery every 50 ms: 600 ms in all, four times the stall time, never a stall.
  const timer = setInterval(() => delivered++, 50);
  const started = performance.now();
  try {
    const done = (): boolean => delivered >= expected;
    const settled = await drainDeliveries(done, () => delivered, STALL_MS, 10_000);
    assert.equal(settled, true);
    assert.ok(performance.now() - started >= 4 * STALL_MS);
  } finally {
    clearInterval(timer);
  }
});

it('bench drain: gives up after the stall time without a delivery', async () => {
  const started = performance.now();
  const settled = await drainDeliveries(() => false, () => 7, STALL_MS, 10_000);
  const waited = performance.now() - started;
  assert.equal(settled, false);
  assert.ok(waited >= STALL_MS && waited < 10 * STALL_MS, `waited ${waited} ms`);
});

it('bench drain: stops at the overall limit even while deliveries continue', async () => {
  let delivered = 0;
  const timer = setInterval(() => delivered++, 10);
  const started = performance.now();
  try {
    assert.equal(await drainDeliveries(() => false, () => delivered, STALL_MS, 300), false);
    assert.ok(performance.now() - started < 300 + STALL_MS);
  } finally {
    clearInterval(timer);
  }
});
