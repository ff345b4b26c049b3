// Friend-request expiry: a request can be decided for FRIEND_REQUEST_TTL_MS after it was sent,
// not a millisecond longer (FHR answers 19 after that).

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { requestExpired } from '../src/features/friend_requests.js';
import { FRIEND_REQUEST_TTL_MS } from '../src/limits.js';

it('friend request: live at FRIEND_REQUEST_TTL_MS, expired one ms later', () => {
  const sentMs = 1_700_000_000_000;
  assert.equal(requestExpired({ createdMs: sentMs }, sentMs), false);
  assert.equal(requestExpired({ createdMs: sentMs }, sentMs + FRIEND_REQUEST_TTL_MS), false);
  assert.equal(requestExpired({ createdMs: sentMs }, sentMs + FRIEND_REQUEST_TTL_MS + 1), true);
});

it('friend request: FRIEND_REQUEST_TTL_MS is seven days', () => {
  assert.equal(FRIEND_REQUEST_TTL_MS, 7 * 24 * 3600_000);
});
