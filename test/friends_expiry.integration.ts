// Friend-request expiry on a real server (2 shards): a request older than FRIEND_REQUEST_TTL_MS
// cannot be accepted (19), no longer counts as unread or as pending, and may be sent again. The
// request is aged by editing both users' copies in the stopped server's LMDB.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import type { RequestDirection, RequestRecord } from '../src/features/friend_store.js';
import { FRIEND_REQUEST_TTL_MS } from '../src/limits.js';
import { SubSignal } from '../src/protocol/signals.js';
import { shardStoreClose, shardStoreOpen } from '../src/store/shard_store.js';
import { codeOf, eventually, groupSuite } from './helpers/groups.js';
import type { TestUser } from './helpers/users.js';

const kit = groupSuite();

/** Moves `owner`'s copies of requests `ageMs` into the past (server stopped). */
async function requestsAge(owner: TestUser, ageMs: number): Promise<number> {
  const shard = kit.partitions.shardOf(owner.uid);
  const dir = path.join(kit.server.dataDir, `shard-${shard}`);
  const store = shardStoreOpen({ path: dir, mapBytes: 2 ** 30 });
  let aged = 0;
  try {
    type Key = [string, RequestDirection, string];
    const requests = store.env.openDB<RequestRecord, Key>({ name: 'friend_requests' });
    await store.env.transaction(() => {
      const range = { start: [owner.uid], end: [owner.uid, '~'] };
      for (const { key, value } of requests.getRange(range)) {
        requests.put(key, { ...value, createdMs: value.createdMs - ageMs });
        aged++;
      }
    });
  } finally {
    await shardStoreClose(store);
  }
  return aged;
}

describe('friend requests: expiry', () => {
  it(`older than FRIEND_REQUEST_TTL_MS: FHR 19, not unread, and it may be sent again`,
    async () => {
      const a = await kit.userOn(0, 'tcp');
      const b = await kit.userOn(1, 'tcp');
      assert.equal(await codeOf(a, SubSignal.FAR, { targetUserId: b.uid, reason: 'old' }), 0);
      const again = { targetUserId: b.uid, reason: 'again' };
      assert.equal(await codeOf(a, SubSignal.FAR, again), ErrorCode.FRIEND_REQUEST_ALREADY_SENT);
      // FRUS marks read what is at most `version`: 1 marks nothing and just counts.
      const unread = await b.client.request(SubSignal.FRUS, { version: 1 });
      assert.deepEqual(unread.result, { unread: 1 });
      kit.closeAll();
      await kit.server.stop();
      const age = FRIEND_REQUEST_TTL_MS + 60_000;
      assert.equal(await requestsAge(a, age), 1);
      assert.equal(await requestsAge(b, age), 1);
      await kit.server.restart();
      const aBack = await kit.connect({ transport: 'tcp', mobile: a.mobile });
      const bBack = await kit.connect({ transport: 'ws', mobile: b.mobile });
      const accept = { targetUid: a.uid, status: 1 };
      assert.equal(await codeOf(bBack, SubSignal.FHR, accept), ErrorCode.FRIEND_REQUEST_OVERTIME);
      const after = await bBack.client.request(SubSignal.FRUS, { version: 1 });
      assert.deepEqual(after.result, { unread: 0 });
      assert.equal(await codeOf(aBack, SubSignal.FAR, again), 0, 'sent again');
      assert.equal(await codeOf(bBack, SubSignal.FHR, accept), 0);
      await eventually(async () => {
        const friends = (await aBack.client.request(SubSignal.FP, { version: 0 })).result;
        return Array.isArray(friends) && friends.length === 1;
      }, 'friends');
    });
});
