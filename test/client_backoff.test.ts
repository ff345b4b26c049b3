import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reconnectDelayMs } from '../src/client/backoff.js';
import { RECONNECT_DELAY_MS_MAX } from '../src/client/client_limits.js';

const BASE_MS = 200;

test('backoff: doubles per attempt, half fixed and half jitter', () => {
  assert.equal(reconnectDelayMs(0, BASE_MS, 0), 100);
  assert.equal(reconnectDelayMs(0, BASE_MS, 1), 200);
  assert.equal(reconnectDelayMs(1, BASE_MS, 1), 400);
  assert.equal(reconnectDelayMs(3, BASE_MS, 0.5), 1200);
});

test('backoff: capped at RECONNECT_DELAY_MS_MAX, also for huge attempt counts', () => {
  assert.equal(reconnectDelayMs(50, BASE_MS, 1), RECONNECT_DELAY_MS_MAX);
  assert.equal(reconnectDelayMs(10_000, BASE_MS, 0), RECONNECT_DELAY_MS_MAX / 2);
  assert.equal(reconnectDelayMs(2, BASE_MS, 1, 500), 500);
});

test('backoff: the schedule never decreases for a fixed jitter', () => {
  let previous = 0;
  for (let attempt = 0; attempt < 40; attempt++) {
    const delay = reconnectDelayMs(attempt, BASE_MS, 0.3);
    assert.ok(delay >= previous);
    previous = delay;
  }
});

test('backoff: a negative attempt or jitter outside [0, 1] is a bug', () => {
  assert.throws(() => reconnectDelayMs(-1, BASE_MS, 0));
  assert.throws(() => reconnectDelayMs(0, BASE_MS, 1.5));
});
