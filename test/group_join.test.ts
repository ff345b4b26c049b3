// Join-request verdicts without waiting a week: what GJRH answers for a missing, handled,
// pending and expired request, and where expiry starts (JOIN_REQUEST_TTL_MS, limit and + 1).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import { expired, joinHandleVerdict } from '../src/features/group_join.js';
import type { JoinRequestRecord } from '../src/features/group_store.js';
import { JoinStatus } from '../src/features/group_types.js';
import { JOIN_REQUEST_TTL_MS } from '../src/limits.js';

const created = 1_000_000;
const request = (status: JoinRequestRecord['status']): JoinRequestRecord => ({
  uid: 'u1',
  reason: '',
  inviter: '',
  status,
  createdMs: created,
  updateDt: created,
  handler: '',
});

describe('join requests: GJRH verdicts', () => {
  it('no request is 253', () => {
    assert.equal(joinHandleVerdict(undefined, true, created), ErrorCode.NOT_EXIST);
  });

  it('a pending request is handled until JOIN_REQUEST_TTL_MS, then answers 19', () => {
    const pending = request(JoinStatus.PENDING);
    assert.equal(joinHandleVerdict(pending, true, created + JOIN_REQUEST_TTL_MS), 'handle');
    assert.equal(expired(pending, created + JOIN_REQUEST_TTL_MS), false);
    const late = created + JOIN_REQUEST_TTL_MS + 1;
    assert.equal(joinHandleVerdict(pending, true, late), ErrorCode.FRIEND_REQUEST_OVERTIME);
    assert.equal(joinHandleVerdict(pending, false, late), ErrorCode.FRIEND_REQUEST_OVERTIME);
    assert.equal(expired(pending, late), true);
  });

  it('a handled request: the same decision is unchanged, the other one 5, even when old', () => {
    const late = created + 2 * JOIN_REQUEST_TTL_MS;
    const accepted = request(JoinStatus.ACCEPTED);
    const rejected = request(JoinStatus.REJECTED);
    assert.equal(joinHandleVerdict(accepted, true, late), 'unchanged');
    assert.equal(joinHandleVerdict(accepted, false, created), ErrorCode.NOT_MODIFIED);
    assert.equal(joinHandleVerdict(rejected, false, created), 'unchanged');
    assert.equal(joinHandleVerdict(rejected, true, created), ErrorCode.NOT_MODIFIED);
    assert.equal(expired(accepted, late), false, 'only pending requests expire');
  });
});
