import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CONNECT_REFUSAL_MEMORY_MS, CONNECT_REFUSALS_TRACKED_MAX } from '../src/limits.js';
import { RefusalThrottle } from '../src/shard/refusal_throttle.js';

it('refusal throttle: refused credentials kept CONNECT_REFUSAL_MEMORY_MS, others not', () => {
  const throttle = new RefusalThrottle();
  throttle.refused('u1', 'd1', 'bad', 5, 1_000);
  assert.equal(throttle.remembered('u1', 'd1', 'bad', 1_000 + CONNECT_REFUSAL_MEMORY_MS - 1), 5);
  assert.equal(
    throttle.remembered('u1', 'd1', 'bad', 1_000 + CONNECT_REFUSAL_MEMORY_MS),
    undefined,
  );
  assert.equal(
    throttle.remembered('u1', 'd1', 'good', 1_001),
    undefined,
    'other credentials are checked',
  );
  assert.equal(throttle.remembered('u1', 'd2', 'bad', 1_001), undefined);
  throttle.forgetUser('u1');
  assert.equal(throttle.remembered('u1', 'd1', 'bad', 1_001), undefined, 'a new login forgets');
});

it('refusal throttle: stays within CONNECT_REFUSALS_TRACKED_MAX entries', () => {
  const throttle = new RefusalThrottle();
  for (let i = 0; i < CONNECT_REFUSALS_TRACKED_MAX * 2; i++)
    throttle.refused(`u${i}`, 'd', 'p', 5, 10);
  let remembered = 0;
  for (let i = 0; i < CONNECT_REFUSALS_TRACKED_MAX * 2; i++) {
    if (throttle.remembered(`u${i}`, 'd', 'p', 11) !== undefined) remembered++;
  }
  assert.ok(remembered <= CONNECT_REFUSALS_TRACKED_MAX, `${remembered} remembered`);
  assert.equal(
    throttle.remembered(`u${CONNECT_REFUSALS_TRACKED_MAX * 2 - 1}`, 'd', 'p', 11),
    5,
    'the newest is kept',
  );
});
