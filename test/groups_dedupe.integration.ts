// Group send dedupe on a real server: a retried client message id gets the first ack while its
// row is young; rows older than DEDUPE_WINDOW_MS are swept (the same sweep as 1:1 ids), after
// which the same id is a new message. The row is aged by editing the stopped server's LMDB.

import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { DEDUPE_SWEEP_INTERVAL_MS, DEDUPE_WINDOW_MS } from '../src/limits.js';
import type { DedupeRecord } from '../src/store/shard_store.js';
import { shardStoreClose, shardStoreOpen } from '../src/store/shard_store.js';
import { bodies, eventually, GroupKit, groupCreate, say, sleep } from './helpers/groups.js';
import { serverStart, type TestServer } from './helpers/server.js';
import { mobileNext, type TestUser } from './helpers/users.js';

let server: TestServer;
let kit: GroupKit;

before(async () => {
  server = await serverStart({ shards: 1 });
  kit = new GroupKit(server);
});
after(async () => {
  kit.closeAll();
  await server.stop();
  server.cleanup();
});

/** Moves the group dedupe row of `clientMessageId` `ageMs` into the past (server stopped). */
async function dedupeAge(clientMessageId: string, ageMs: number): Promise<number> {
  const store = shardStoreOpen({ path: path.join(server.dataDir, 'shard-0'), mapBytes: 2 ** 30 });
  try {
    type Key = [string, string, string, string];
    const table = store.env.openDB<DedupeRecord, Key>({ name: 'group_dedupe' });
    let aged = 0;
    await store.env.transaction(() => {
      for (const { key, value } of table.getRange({})) {
        if (key[3] !== clientMessageId) continue;
        table.put(key, { ...value, atMs: value.atMs - ageMs });
        aged++;
      }
    });
    return aged;
  } finally {
    await shardStoreClose(store);
  }
}

it(`group dedupe: ids older than DEDUPE_WINDOW_MS are swept; younger ones still dedupe`,
  async () => {
    const mobile = mobileNext();
    const device = { transport: 'tcp', mobile, deviceId: 'phone' } as const;
    const owner = await kit.connect(device);
    const member = await kit.connect({ transport: 'ws-compat', mobile: mobileNext() });
    const gid = await groupCreate(owner, [member]);
    const old = await owner.client.send(say(gid, 'old', 'old-id'));
    const young = await owner.client.send(say(gid, 'young', 'young-id'));
    assert.equal((await owner.client.send(say(gid, 'old', 'old-id'))).messageUid, old.messageUid);
    await eventually(() => bodies(member, gid).length === 2, 'member got both');
    kit.closeAll();
    await server.stop();
    assert.equal(await dedupeAge('old-id', DEDUPE_WINDOW_MS + 60_000), 1);
    await server.restart();
    const again: TestUser = await kit.connect(device);
    // The sweep runs every DEDUPE_SWEEP_INTERVAL_MS: until then the aged row still answers.
    let retried = old.messageUid;
    await eventually(
      async () => {
        await sleep(250);
        retried = (await again.client.send(say(gid, 'old', 'old-id'))).messageUid;
        return retried !== old.messageUid;
      },
      'the aged id swept',
      DEDUPE_SWEEP_INTERVAL_MS * 3,
    );
    assert.ok(BigInt(retried) > BigInt(young.messageUid), 'stored again as a new message');
    const youngRetry = await again.client.send(say(gid, 'young', 'young-id'));
    assert.equal(youngRetry.messageUid, young.messageUid, 'a young id still dedupes');
    const retriedAgain = await again.client.send(say(gid, 'old', 'old-id'));
    assert.equal(retriedAgain.messageUid, retried, 'the new row dedupes from now on');
  });
