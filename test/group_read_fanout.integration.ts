// Read fan-out on a real server (2 shards, real sockets, temp LMDB) with the switch lowered to 3
// receivers through its config key: large-group messages reach online members on both shards
// and second devices once and in order, offline members after they reconnect; history, the
// conversation list, recall and edit look as in write fan-out; kill -9 loses no acked message.
// After stopping, the shards' LMDB shows one replica copy per shard and nothing for a member
// that never came back.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { open } from 'lmdb';
import path from 'node:path';
import { SubSignal } from '../src/protocol/signals.js';
import type { ReceivedMessage } from '../src/client/index.js';
import { bodies, eventually, GroupKit, groupCreate, say, syncUntil } from './helpers/groups.js';
import { serverStart, type TestServer } from './helpers/server.js';
import { userConnect, type TestUser } from './helpers/users.js';

const READ_FANOUT_ARGS = ['--group-read-fanout-members-min', '3'];

let server: TestServer;
let kit: GroupKit;

before(async () => {
  server = await serverStart({ shards: 2, extraArgs: READ_FANOUT_ARGS });
  kit = new GroupKit(server);
});
after(async () => {
  kit.closeAll();
  await server.stop();
  server.cleanup();
});

const texts = (user: TestUser, gid: string): ReceivedMessage[] =>
  user.received.filter((m) => m.target === gid && m.content.type === 1);

/** Reconnect a closed user's device (a fresh login of the same mobile and device). */
async function back(user: TestUser, deviceId: string): Promise<TestUser> {
  const again = await userConnect(server, { transport: 'tcp', mobile: user.mobile, deviceId });
  kit.opened.push(again);
  return again;
}

async function unreadOf(user: TestUser, gid: string): Promise<number | undefined> {
  const answer = await user.client.request(SubSignal.CLP, { version: 0 });
  assert.equal(answer.code, 0);
  const rows = (answer.result as { conversations: { conversation: { target: string };
    unread: number }[] }).conversations;
  return rows.find((row) => row.conversation.target === gid)?.unread;
}

describe('group read fan-out', () => {
  it('online members on both shards, a second device and a reconnecting member get every ' +
    'message once, in order; LRM and unread match', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const near = await kit.userOn(0, 'ws-compat');
    const far = await kit.userOn(1, 'ws');
    const sleeper = await kit.userOn(1, 'tcp');
    const sleeperDevice = 'sleeper-dev';
    const sleeperAgain = await userConnect(server, { transport: 'tcp', mobile: sleeper.mobile,
      deviceId: sleeperDevice });
    sleeper.client.close();
    const farPhone = await userConnect(server, { transport: 'tcp', mobile: far.mobile,
      deviceId: 'far-phone' });
    kit.opened.push(farPhone);
    const gid = await groupCreate(owner, [near, far, sleeper], 'large');
    await eventually(() => sleeperAgain.received.some((m) => m.content.type === 104), 'notice');
    sleeperAgain.client.close();
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      const ack = await (i % 2 === 0 ? owner : far).client.send(say(gid, `m${i}`));
      sent.push(ack.messageUid);
    }
    const expected = sent.map((_, i) => `m${i}`);
    // The senders' devices are announced the others' 15; near and far's phone all 30.
    for (const [user, count] of [[owner, 15], [near, 30], [far, 15], [farPhone, 30]] as const) {
      await eventually(() => texts(user, gid).length >= count, `${user.uid} got ${count}`);
    }
    // A sender's own copy is not announced to its sending device (it has the ack): pull.
    for (const user of [owner, far]) {
      await syncUntil(user, () => texts(user, gid).length >= 30, 'own copies');
    }
    for (const user of [owner, near, far, farPhone]) {
      assert.deepEqual(bodies(user, gid), expected, 'every message once, in send order');
      assert.deepEqual(texts(user, gid).map((m) => m.messageUid), sent);
    }
    // Offline all along: everything arrives after the reconnect, once and in order.
    const woke = await back(sleeper, sleeperDevice);
    await eventually(() => texts(woke, gid).length >= 30, 'the reconnecting member caught up');
    await woke.client.sync();
    assert.deepEqual(bodies(woke, gid), expected);
    const seqs = texts(woke, gid).map((m) => m.seq ?? 0);
    for (let i = 1; i < seqs.length; i++) assert.ok((seqs[i] ?? 0) > (seqs[i - 1] ?? 0));
    // History as in write fan-out: newest first, whole messages.
    const history = await woke.client.history({ type: 1, target: gid, line: 0 }, '0', 100);
    const historyTexts = history.filter((m) => m.content.type === 1);
    assert.deepEqual(historyTexts.map((m) => m.messageUid), [...sent].reverse());
    assert.equal(historyTexts[0]?.content.searchableContent, 'm29');
    const older = await near.client.history({ type: 1, target: gid, line: 0 }, sent[10] ?? '0', 5);
    assert.deepEqual(older.map((m) => m.messageUid), sent.slice(5, 10).reverse());
    // Unread as a write-fan-out group counts it: others' messages; one's own marks all read.
    assert.equal(await unreadOf(woke, gid), 30);
    assert.equal(await unreadOf(near, gid), 30);
    assert.equal(await unreadOf(far, gid), 0);
  });

  it('recall and edit reach members that filed the message and members still offline',
    async () => {
      const owner = await kit.userOn(0, 'tcp');
      const online = await kit.userOn(1, 'ws');
      const away = await kit.userOn(1, 'tcp');
      const awayDevice = 'away-dev';
      const awayNow = await userConnect(server, { transport: 'tcp', mobile: away.mobile,
        deviceId: awayDevice });
      away.client.close();
      const gid = await groupCreate(owner, [online, away], 'edits');
      await eventually(() => awayNow.received.some((m) => m.content.type === 104), 'notice');
      awayNow.client.close();
      const first = await owner.client.send(say(gid, 'to recall'));
      const second = await owner.client.send(say(gid, 'to edit'));
      await eventually(() => texts(online, gid).length >= 2, 'online got both');
      // Recall and edit look the message up in the caller's own copy, filed after the ack.
      await syncUntil(owner, () => texts(owner, gid).length >= 2, 'owner copies');
      const recall = await owner.client.request(SubSignal.MR, { messageUid: first.messageUid });
      assert.equal(recall.code, 0);
      const edit = await owner.client.request(SubSignal.ME, {
        messageUid: second.messageUid,
        content: { type: 1, searchableContent: 'edited', content: 'edited' },
      });
      assert.equal(edit.code, 0);
      const recalledIn = (user: TestUser): boolean =>
        user.received.some((m) => m.messageUid === first.messageUid && m.content.type === 80);
      const editedIn = (user: TestUser): boolean => user.received.some((m) =>
        m.messageUid === second.messageUid && m.content.searchableContent === 'edited');
      await eventually(() => recalledIn(online) && editedIn(online), 'online saw recall + edit');
      const woke = await back(away, awayDevice);
      await eventually(() => recalledIn(woke) && editedIn(woke), 'offline member sees both');
      // The offline member filed the message once, already recalled / edited.
      assert.equal(woke.received.filter((m) => m.messageUid === first.messageUid).length, 1);
      assert.equal(woke.received.filter((m) => m.messageUid === second.messageUid).length, 1);
      assert.equal(bodies(woke, gid).length, 1, 'the original text never reaches it');
    });

  it('a member added later gets messages from its join; a kicked one stops', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const stays = await kit.userOn(1, 'ws');
    const kicked = await kit.userOn(1, 'tcp');
    const late = await kit.userOn(0, 'ws');
    const gid = await groupCreate(owner, [stays, kicked], 'joins');
    await owner.client.send(say(gid, 'before'));
    const add = await owner.client.request(SubSignal.GAM, { groupId: gid,
      groupMembers: [{ memberId: late.uid, type: 0 }] });
    assert.equal(add.code, 0);
    await owner.client.send(say(gid, 'after add'));
    const kick = await owner.client.request(SubSignal.GKM, { groupId: gid,
      memberIds: [kicked.uid] });
    assert.equal(kick.code, 0);
    await owner.client.send(say(gid, 'after kick'));
    await eventually(() => bodies(stays, gid).length >= 3, 'stays got all three');
    await eventually(() => bodies(late, gid).length >= 2, 'late got two');
    await eventually(() => kicked.received.some((m) => m.content.type === 106), 'kick notice');
    await kicked.client.sync();
    assert.deepEqual(bodies(stays, gid), ['before', 'after add', 'after kick']);
    assert.deepEqual(bodies(late, gid), ['after add', 'after kick']);
    assert.deepEqual(bodies(kicked, gid), ['before', 'after add']);
  });

  it('a rejected join request tells the requesters only; members, online or not, keep ' +
    'every message', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const near = await kit.userOn(0, 'ws');
    const far = await kit.userOn(1, 'tcp');
    const askers = [await kit.userOn(0, 'ws-compat'), await kit.userOn(1, 'tcp')];
    const gid = await groupCreate(owner, [near, far], 'closed door');
    await eventually(() => far.received.some((m) => m.content.type === 104), 'far: 104');
    far.client.close();
    await owner.client.send(say(gid, 'while away'));
    const joinType = { groupId: gid, type: 4, value: 1 };
    assert.equal((await owner.client.request(SubSignal.GMI, joinType)).code, 0);
    for (const asker of askers) {
      assert.equal((await asker.client.request(SubSignal.GJR, { groupId: gid })).code, 0);
      const reject = { groupId: gid, memberId: asker.uid, status: 2 };
      assert.equal((await owner.client.request(SubSignal.GJRH, reject)).code, 0);
      await eventually(() => asker.received.some((m) => m.content.type === 125), '125');
    }
    await owner.client.send(say(gid, 'after reject'));
    const farBack = await back(far, 'far-again');
    for (const user of [near, farBack]) {
      await eventually(() => bodies(user, gid).length >= 2, 'members got both');
      assert.deepEqual(bodies(user, gid), ['while away', 'after reject']);
      assert.equal(user.received.some((m) => m.content.type === 125), false);
    }
    for (const asker of askers) assert.deepEqual(bodies(asker, gid), []);
  });
});

describe('group read fan-out: durability', () => {
  it('kill -9 during large-group sends loses no acked message; LMDB holds one copy per shard',
    async () => {
      const own = await serverStart({ shards: 2, extraArgs: READ_FANOUT_ARGS });
      const local = new GroupKit(own);
      try {
        const sender = await local.userOn(0, 'tcp');
        const a = await local.userOn(1, 'tcp');
        const b = await local.userOn(0, 'ws');
        const never = await local.userOn(1, 'ws');
        never.client.close();
        const gid = await groupCreate(sender, [a, b, never], 'burst');
        const acked: string[] = [];
        let stop = false;
        const burst = async (lane: number): Promise<void> => {
          for (let n = 0; !stop; n++) {
            try {
              acked.push((await sender.client.send(say(gid, `b${lane}.${n}`))).messageUid);
            } catch {
              return;
            }
          }
        };
        const lanes = Array.from({ length: 16 }, (_, lane) => burst(lane));
        while (acked.length < 200) await new Promise((resolve) => setTimeout(resolve, 5));
        stop = true;
        await own.kill();
        local.closeAll();
        await Promise.all(lanes);
        await own.restart();
        const ackedSet = new Set(acked);
        for (const user of [sender, a, b]) {
          const again = await userConnect(own, { transport: 'tcp', mobile: user.mobile });
          local.opened.push(again);
          const has = (): number =>
            again.received.filter((m) => ackedSet.has(m.messageUid)).length;
          const deadline = Date.now() + 15_000;
          while (has() < acked.length && Date.now() < deadline) {
            await again.client.sync();
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          const uids = texts(again, gid).map((m) => m.messageUid);
          assert.equal(new Set(uids).size, uids.length, 'no message twice');
          for (const uid of acked) assert.ok(uids.includes(uid), `acked ${uid} kept`);
          const ordered = uids.map((uid) => BigInt(uid));
          for (let i = 1; i < ordered.length; i++) {
            assert.ok((ordered[i] as bigint) > (ordered[i - 1] as bigint), 'send order');
          }
        }
        local.closeAll();
        await own.stop();
        replicaCheck(own.dataDir, gid, never.uid, acked.length);
      } finally {
        local.closeAll();
        await own.stop();
        own.cleanup();
      }
    });
});

/** Each shard holds the group's messages once; the member that never returned has none. */
function replicaCheck(dataDir: string, gid: string, absent: string, ackedCount: number): void {
  for (const shard of [0, 1]) {
    const env = open({ path: path.join(dataDir, `shard-${shard}`), maxDbs: 64, readOnly: true });
    try {
      const replica = env.openDB({ name: 'group_replica' });
      const copies = replica.getKeysCount({ start: [gid, 0], end: [gid, Number.MAX_SAFE_INTEGER] });
      assert.ok(copies >= ackedCount, `shard ${shard} replica holds ${copies} ≥ ${ackedCount}`);
      const timeline = env.openDB({ name: 'timeline' });
      const entries = timeline.getKeysCount({ start: [absent, 0], end: [absent, 1e15] });
      assert.ok(entries <= 1, `the absent member's timeline holds ${entries} (≤ the notice)`);
    } finally {
      void env.close();
    }
  }
}
