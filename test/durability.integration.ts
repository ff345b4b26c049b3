// What survives: a clean restart keeps history and inboxes; kill -9 in the middle of a burst
// loses no acknowledged message and duplicates none; a crashed shard is restarted and its
// users resync. Real server processes, real LMDB on disk.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SubSignal } from '../src/protocol/signals.js';
import { PartitionMap } from '../src/router/partition_map.js';
import { serverStart, type TestServer } from './helpers/server.js';
import { pairAcrossShards, text, userConnect, type TestUser } from './helpers/users.js';

/** Connect again as an existing user (new login, same mobile), starting from seq 0. */
function again(
  server: TestServer,
  user: TestUser,
  transport: 'tcp' | 'ws' = 'tcp',
): Promise<TestUser> {
  return userConnect(server, { transport, mobile: user.mobile });
}

interface ListedRow {
  readonly conversation: { readonly target: string };
  readonly unread: number;
  readonly lastMessage: { readonly content: { readonly searchableContent?: string } } | null;
}

/** The user's conversation-list row with `target` (CLP from version 0). */
async function rowWith(user: TestUser, target: string): Promise<ListedRow | undefined> {
  const answer = await user.client.request(SubSignal.CLP, { version: 0 });
  assert.equal(answer.code, 0);
  const rows = (answer.result as { conversations: ListedRow[] }).conversations;
  return rows.find((row) => row.conversation.target === target);
}

describe('durability', () => {
  it('a restart keeps history and inboxes', async () => {
    const server = await serverStart();
    try {
      const [a, b] = await pairAcrossShards(server);
      for (let i = 0; i < 10; i++) {
        await a.client.send({
          conversation: { type: 0, target: b.uid, line: 0 },
          content: text(`keep ${i}`),
        });
      }
      await b.waitFor(10);
      a.client.close();
      b.client.close();
      assert.equal(await server.stop(), 0);
      await server.restart();
      const b2 = await again(server, b, 'ws');
      assert.deepEqual(
        b2.received.map((m) => m.content.searchableContent),
        Array.from({ length: 10 }, (_, i) => `keep ${i}`),
      );
      const history = await b2.client.history({ type: 0, target: a.uid, line: 0 }, '0', 5);
      assert.deepEqual(
        history.map((m) => m.content.searchableContent),
        ['keep 9', 'keep 8', 'keep 7', 'keep 6', 'keep 5'],
      );
      const older = await b2.client.history(
        { type: 0, target: a.uid, line: 0 },
        history[4]?.messageUid ?? '0',
        100,
      );
      assert.deepEqual(
        older.map((m) => m.content.searchableContent),
        ['keep 4', 'keep 3', 'keep 2', 'keep 1', 'keep 0'],
      );
      b2.client.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  it('kill -9 in a burst: every acked message is there after restart, once, in order', async () => {
    const server = await serverStart();
    try {
      const [a, b] = await pairAcrossShards(server);
      const acked: string[] = [];
      const IN_FLIGHT = 32;
      const TOTAL = 2_000;
      let next = 0;
      let killed = false;
      const sender = async (): Promise<void> => {
        while (next < TOTAL && !killed) {
          const n = next++;
          try {
            const ack = await a.client.send({
              conversation: { type: 0, target: b.uid, line: 0 },
              content: text(`burst ${n}`),
            });
            acked.push(ack.messageUid);
          } catch {
            return;
          }
        }
      };
      const senders = Array.from({ length: IN_FLIGHT }, () => sender());
      while (acked.length < 300) await new Promise((resolve) => setTimeout(resolve, 5));
      killed = true;
      await server.kill();
      a.client.close();
      b.client.close();
      await Promise.all(senders);
      assert.ok(acked.length >= 300);
      await server.restart();
      const b2 = await again(server, b);
      const a2 = await again(server, a);
      // Outbox replay may still be on its way to b's shard: wait for at least every acked one.
      const deadline = Date.now() + 15_000;
      const ackedSet = new Set(acked);
      const has = (user: TestUser): number =>
        user.received.filter((m) => ackedSet.has(m.messageUid)).length;
      while (Date.now() < deadline && (has(b2) < acked.length || has(a2) < acked.length)) {
        await b2.client.sync();
        await a2.client.sync();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (const user of [a2, b2]) {
        const uids = user.received.map((m) => m.messageUid);
        assert.equal(new Set(uids).size, uids.length, 'no message twice in a timeline');
        for (const uid of acked)
          assert.ok(uids.includes(uid), `acked ${uid} is in ${user.uid}'s timeline`);
        // One sender's messages appear in the order they were sent (uids grow with send order).
        const ordered = user.received.map((m) => BigInt(m.messageUid));
        for (let i = 1; i < ordered.length; i++)
          assert.ok((ordered[i] as bigint) > (ordered[i - 1] as bigint));
      }
      a2.client.close();
      b2.client.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  it('a crashed shard restarts; its users reconnect and resync; the other carries on', async () => {
    const server = await serverStart();
    try {
      const [a, b] = await pairAcrossShards(server);
      const partitions = new PartitionMap(server.ports.shards);
      const crashed = partitions.shardOf(b.uid);
      const answer = await fetch(`${server.httpBase}/v1/admin/crash-shard?shard=${crashed}`, {
        method: 'POST',
      });
      assert.equal(answer.status, 200);
      // a (on the healthy shard) keeps sending; the deliveries wait in a's outbox if needed.
      for (let i = 0; i < 20; i++) {
        await a.client.send({
          conversation: { type: 0, target: b.uid, line: 0 },
          content: text(`during ${i}`),
        });
      }
      const got = await b.waitFor(20, 20_000);
      assert.deepEqual(
        got.map((m) => m.content.searchableContent),
        Array.from({ length: 20 }, (_, i) => `during ${i}`),
      );
      assert.match(server.output, new RegExp(`shard ${crashed}: restarted`));
      a.client.close();
      b.client.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  it('kill -9 before conversation rows are written back: the list is repaired from the timeline', async () => {
    // Rows are written back once an hour here: every change after a conversation's first
    // message exists only in the timeline when the server dies.
    const env = { MAGPIE_CONVERSATION_ROWS_WRITEBACK_MS: '3600000' };
    const server = await serverStart({ env });
    try {
      const [a, b] = await pairAcrossShards(server);
      const conversation = { type: 0, target: b.uid, line: 0 };
      for (let i = 0; i < 5; i++) {
        await a.client.send({ conversation, content: text(`row ${i}`) });
      }
      await b.waitFor(5);
      assert.equal((await rowWith(b, a.uid))?.unread, 5, 'the running server counts from memory');
      await server.kill();
      a.client.close();
      b.client.close();
      await server.restart();
      const b2 = await again(server, b);
      const a2 = await again(server, a);
      const repaired = await rowWith(b2, a.uid);
      assert.equal(repaired?.unread, 5);
      assert.equal(repaired?.lastMessage?.content.searchableContent, 'row 4');
      const own = await rowWith(a2, b.uid);
      assert.equal(own?.unread, 0);
      assert.equal(own?.lastMessage?.content.searchableContent, 'row 4');
      // The next message folds into the repaired row, not into the stale one on disk.
      await a2.client.send({ conversation, content: text('row 5') });
      await b2.waitFor(6);
      const next = await rowWith(b2, a.uid);
      assert.equal(next?.unread, 6);
      assert.equal(next?.lastMessage?.content.searchableContent, 'row 5');
      a2.client.close();
      b2.client.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
