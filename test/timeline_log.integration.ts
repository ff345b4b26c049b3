// Timeline entries are stored in the shard's log and reach their per-user index tables after a
// while (store/timeline_log.ts). These tests look at both on disk: kill -9 while entries are
// held loses none (a recall of a held entry included) and a start indexes them, the write-back
// indexes them without a stop, and a clean stop indexes everything. Real server, real LMDB.

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { open } from 'lmdb';
import { SubSignal } from '../src/protocol/signals.js';
import { PartitionMap } from '../src/router/partition_map.js';
import { eventually } from './helpers/groups.js';
import { serverStart, type TestServer } from './helpers/server.js';
import { pairAcrossShards, text, userConnect, type TestUser } from './helpers/users.js';

const MESSAGES = 8;

interface OnDisk {
  /** Records in the shard's timeline log. */
  readonly logged: number;
  /** Log records below the folded mark (indexed for sure). */
  readonly folded: number;
  /** Entries in `uid`'s timeline table. */
  readonly filed: number;
  /** `uid`'s entries in the uid index. */
  readonly indexed: number;
}

/** What a stopped server left in `uid`'s shard. */
async function onDisk(server: TestServer, uid: string): Promise<OnDisk> {
  const shard = new PartitionMap(server.ports.shards).shardOf(uid);
  const dir = path.join(server.dataDir, `shard-${shard}`);
  const env = open({ path: dir, maxDbs: 64, readOnly: true });
  try {
    const log = env.openDB({ name: 'timeline_log' });
    const mark = env.openDB({ name: 'meta' }).get('timelineLogFolded');
    return {
      logged: log.getKeysCount({}),
      folded: log.getKeysCount({ end: typeof mark === 'number' ? mark : 0 }),
      filed: env.openDB({ name: 'timeline' }).getKeysCount({ start: [uid, 0], end: [uid, 1e15] }),
      indexed: env.openDB({ name: 'message_seqs' })
        .getKeysCount({ start: [uid, ''], end: [uid, 'g'] }),
    };
  } finally {
    await env.close();
  }
}

/** a sends MESSAGES texts to b and b receives them; returns the acked uids. */
async function burst(a: TestUser, b: TestUser): Promise<string[]> {
  const uids: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const ack = await a.client.send({
      conversation: { type: 0, target: b.uid, line: 0 },
      content: text(`held ${i}`),
    });
    uids.push(ack.messageUid);
  }
  await b.waitFor(MESSAGES);
  return uids;
}

async function historyOf(user: TestUser, peer: string): Promise<[string, number][]> {
  const history = await user.client.history({ type: 0, target: peer, line: 0 }, '0', 100);
  return history.map((m) => [m.content.searchableContent ?? '', m.content.type]);
}

describe('timeline log', () => {
  it('kill -9 while entries are held: every acked one comes back, recall included', async () => {
    const server = await serverStart({ env: { MAGPIE_TIMELINE_WRITEBACK_MS: '60000' } });
    try {
      const [a, b] = await pairAcrossShards(server, 'ws');
      const uids = await burst(a, b);
      const recall = await a.client.request(SubSignal.MR, { messageUid: uids[2] });
      assert.equal(recall.code, 0);
      await eventually(() => b.received.some((m) => m.content.type === 80), 'recall delivered');
      const before = await historyOf(b, a.uid);
      assert.equal(before.length, MESSAGES, 'held entries are read from memory');
      assert.equal(before.filter(([, type]) => type === 80).length, 1);
      await server.kill();
      a.client.close();
      b.client.close();
      const crashed = await onDisk(server, b.uid);
      assert.equal(crashed.filed, 0, 'nothing was indexed before the kill');
      assert.equal(crashed.folded, 0);
      assert.ok(crashed.logged >= MESSAGES, `the log holds them (${crashed.logged})`);
      await server.restart();
      const b2 = await userConnect(server, { transport: 'tcp', mobile: b.mobile });
      await b2.waitFor(MESSAGES + 1);
      assert.deepEqual(await historyOf(b2, a.uid), before);
      // The recalled original reads type 80 after the replay too, and new messages follow.
      const recalledCopies = b2.received.filter((m) =>
        m.messageUid === uids[2] && m.content.type === 80);
      assert.equal(recalledCopies.length, 2);
      const a2 = await userConnect(server, { transport: 'tcp', mobile: a.mobile });
      const conversation = { type: 0, target: b.uid, line: 0 };
      await a2.client.send({ conversation, content: text('after') });
      await b2.waitFor(MESSAGES + 2);
      a2.client.close();
      b2.client.close();
      assert.equal(await server.stop(), 0);
      const replayed = await onDisk(server, b.uid);
      assert.equal(replayed.folded, replayed.logged, 'the start and the stop indexed every record');
      assert.equal(replayed.filed, MESSAGES + 2);
      assert.equal(replayed.indexed, MESSAGES + 1);
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  it('the write-back indexes held entries without a stop', async () => {
    const server = await serverStart({ env: { MAGPIE_TIMELINE_WRITEBACK_MS: '50' } });
    try {
      const [a, b] = await pairAcrossShards(server, 'ws');
      await burst(a, b);
      // No stop: what the tables hold must come from the write-back alone.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await server.kill();
      a.client.close();
      b.client.close();
      const sender = await onDisk(server, a.uid);
      const receiver = await onDisk(server, b.uid);
      for (const side of [sender, receiver]) {
        assert.equal(side.filed, MESSAGES);
        assert.equal(side.indexed, MESSAGES);
        assert.equal(side.folded, side.logged, 'the folded mark moved past every record');
      }
      await server.restart();
      const b2 = await userConnect(server, { transport: 'ws', mobile: b.mobile });
      await b2.waitFor(MESSAGES);
      assert.equal((await historyOf(b2, a.uid)).length, MESSAGES);
      b2.client.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
