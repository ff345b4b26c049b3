// Recall on a real server (2 shards): the sender recalls a 1:1 message (receiver on the other
// shard, compat and native), devices online get RMN, an offline device learns it on sync, old
// pages and history show type 80; rights (248), unknown uids (253); group owners and managers;
// the recall window (a stopped server's copies aged in LMDB).

import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Notification, Transport } from '../src/client/index.js';
import { senderMay } from '../src/features/recall.js';
import { RECALL_WINDOW_MS } from '../src/limits.js';
import { SubSignal } from '../src/protocol/signals.js';
import type { StoredMessage, StoredTimelineEntry } from '../src/store/records.js';
import { shardStoreClose, shardStoreOpen } from '../src/store/shard_store.js';
import { eventually, groupCreate, groupSuite, say, syncUntil } from './helpers/groups.js';
import { mobileNext, text, type TestUser } from './helpers/users.js';

const kit = groupSuite();

function pushesOf(user: TestUser): Notification[] {
  const pushes: Notification[] = [];
  user.client.on('notify', (push) => pushes.push(push));
  return pushes;
}

const to = (target: string, body: string) => ({
  conversation: { type: 0, target, line: 0 },
  content: text(body),
});

async function recall(user: TestUser, messageUid: string): Promise<number> {
  return (await user.client.request(SubSignal.MR, { messageUid })).code;
}

const has = (user: TestUser, uid: string): boolean =>
  user.received.some((m) => m.messageUid === uid);

function recalledUid(user: TestUser, uid: string): number {
  return user.received.filter((m) => m.messageUid === uid && m.content.type === 80).length;
}

async function pairOnTwoShards(a: Transport, b: Transport): Promise<[TestUser, TestUser]> {
  return [await kit.userOn(0, a), await kit.userOn(1, b)];
}

describe('recall: 1:1', () => {
  for (const [senderTransport, receiverTransport] of [
    ['tcp', 'ws-compat'],
    ['ws-compat', 'ws'],
  ] as const) {
    const name = `${senderTransport} sender recalls; ${receiverTransport} receiver gets type 80`;
    it(name, async () => {
      const [sender, receiver] = await pairOnTwoShards(senderTransport, receiverTransport);
      const rmn = pushesOf(receiver);
      const ack = await sender.client.send(to(receiver.uid, 'oops'));
      await eventually(() => has(receiver, ack.messageUid), 'delivered');
      const answer = await sender.client.request(SubSignal.MR, { messageUid: ack.messageUid });
      assert.equal(answer.code, 0);
      await eventually(() => rmn.some((p) => p.subSignal === SubSignal.RMN), 'RMN');
      const push = rmn.find((p) => p.subSignal === SubSignal.RMN)?.content as {
        fromUser: string;
        messageUid: unknown;
      };
      assert.equal(push.fromUser, sender.uid);
      assert.equal(String(push.messageUid), ack.messageUid);
      // The new timeline entry (same uid, type 80) reaches the syncing receiver.
      await eventually(() => recalledUid(receiver, ack.messageUid) === 1, 'type 80 entry');
      const recalled = receiver.received.find((m) => m.content.type === 80);
      assert.equal(recalled?.content.content, sender.uid);
      const named = Buffer.from(recalled?.content.binaryContent ?? '', 'base64').toString();
      assert.equal(named, ack.messageUid);
      // History shows the recalled version, once.
      const conversation = { type: 0, target: sender.uid, line: 0 };
      const history = await receiver.client.history(conversation, '0', 10);
      assert.deepEqual(history.map((m) => [m.messageUid, m.content.type]), [[ack.messageUid, 80]]);
      // Recalling again is success with nothing new.
      assert.equal(await recall(sender, ack.messageUid), 0);
    });
  }

  it('an offline device sees the original replaced and the recall at the head', async () => {
    const mobile = mobileNext();
    const sender = await kit.userOn(0, 'tcp');
    const phone = await kit.connect({ transport: 'tcp', mobile, deviceId: 'phone' });
    const ack = await sender.client.send(to(phone.uid, 'secret'));
    await eventually(() => phone.received.length === 1, 'delivered');
    phone.client.close();
    assert.equal(await recall(sender, ack.messageUid), 0);
    const laptop = await kit.connect({ transport: 'ws', mobile, deviceId: 'laptop' });
    await syncUntil(laptop, () => laptop.received.length >= 2, 'full sync');
    // Seq 1 (the original) now reads type 80, and seq 2 files the recall again.
    assert.deepEqual(laptop.received.map((m) => [m.messageUid, m.content.type]), [
      [ack.messageUid, 80],
      [ack.messageUid, 80],
    ]);
    const resumed = await kit.connect({
      transport: 'ws',
      mobile,
      deviceId: 'phone',
      lastSeq: 1,
    });
    await syncUntil(resumed, () => resumed.received.length >= 1, 'resume');
    assert.equal(resumed.received[0]?.content.type, 80);
  });

  it('the receiver may not recall (248); unknown uids are 253; compat has the code', async () => {
    const [sender, receiver] = await pairOnTwoShards('ws', 'ws-compat');
    const ack = await sender.client.send(to(receiver.uid, 'mine'));
    await eventually(() => receiver.received.length === 1, 'delivered');
    const refused = await receiver.client.request(SubSignal.MR, { messageUid: ack.messageUid });
    assert.equal(refused.code, 248);
    assert.deepEqual(refused.result, { code: 248 });
    const unknown = await receiver.client.request(SubSignal.MR, { messageUid: '12345' });
    assert.equal(unknown.code, 253);
    const bad = await sender.client.request(SubSignal.MR, { messageUid: 'x' });
    assert.equal(bad.code, 251);
    assert.equal(recalledUid(receiver, ack.messageUid), 0);
  });

  it('the recalling device gets no RMN; the sender\'s other device does', async () => {
    const mobile = mobileNext();
    const phone = await kit.connect({ transport: 'tcp', mobile, deviceId: 'p' });
    const tablet = await kit.connect({ transport: 'ws-compat', mobile, deviceId: 't' });
    const peer = await kit.userOn(1, 'tcp');
    const phonePushes = pushesOf(phone);
    const tabletPushes = pushesOf(tablet);
    const ack = await phone.client.send(to(peer.uid, 'both'));
    await eventually(() => tablet.received.length === 1, 'tablet has it');
    assert.equal(await recall(phone, ack.messageUid), 0);
    await eventually(() => tabletPushes.some((p) => p.subSignal === SubSignal.RMN), 'tablet RMN');
    await eventually(() => recalledUid(tablet, ack.messageUid) === 1, 'tablet type 80');
    assert.equal(phonePushes.filter((p) => p.subSignal === SubSignal.RMN).length, 0);
  });
});

describe('recall: groups', () => {
  it('the owner recalls a member\'s message; a plain member cannot recall another\'s', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const member = await kit.userOn(1, 'ws-compat');
    const other = await kit.userOn(1, 'ws');
    const gid = await groupCreate(owner, [member, other]);
    const ack = await member.client.send(say(gid, 'hello group'));
    await eventually(() => has(other, ack.messageUid), 'fan-out');
    // The owner's shard files its copy after the ack; recall looks the message up in that copy.
    await syncUntil(owner, () => has(owner, ack.messageUid), 'owner copy');
    const refused = await other.client.request(SubSignal.MR, { messageUid: ack.messageUid });
    assert.equal(refused.code, 248);
    const rmn = pushesOf(other);
    assert.equal(await recall(owner, ack.messageUid), 0);
    await eventually(() => rmn.some((p) => p.subSignal === SubSignal.RMN), 'RMN to members');
    for (const user of [member, other]) {
      // The sender never pulled its own copy: it may see it (already type 80) and the recall.
      await eventually(() => recalledUid(user, ack.messageUid) >= 1, `${user.uid} type 80`);
    }
    await syncUntil(owner, () => recalledUid(owner, ack.messageUid) >= 1, 'owner type 80');
  });

  it('a member recalls its own group message', async () => {
    const owner = await kit.userOn(1, 'ws');
    const member = await kit.userOn(0, 'tcp');
    const gid = await groupCreate(owner, [member]);
    const ack = await member.client.send(say(gid, 'mine'));
    await syncUntil(member, () => has(member, ack.messageUid), 'own copy');
    assert.equal(await recall(member, ack.messageUid), 0);
    await eventually(() => recalledUid(owner, ack.messageUid) === 1, 'owner type 80');
  });
});

/** Moves `user`'s copies of `uids` `ageMs` into the past in its shard's LMDB (server stopped). */
async function copiesAge(user: TestUser, uids: readonly string[], ageMs: number): Promise<number> {
  const shard = kit.partitions.shardOf(user.uid);
  const dir = path.join(kit.server.dataDir, `shard-${shard}`);
  const store = shardStoreOpen({ path: dir, mapBytes: 2 ** 30 });
  let aged = 0;
  try {
    await store.env.transaction(() => {
      const range = { start: [user.uid, 0], end: [user.uid, Number.MAX_SAFE_INTEGER] };
      // Timeline values are keys into the shard's timeline log (store/timeline_log.ts).
      const log = store.env.openDB<{ entry: StoredTimelineEntry }, number>({ name: 'timeline_log' });
      for (const { value: logKey } of store.timeline.getRange(range)) {
        const record = typeof logKey === 'number' ? log.get(logKey) : undefined;
        const entry = record?.entry;
        if (entry?.kind !== 'message' || !uids.includes(entry.message.uid.toString())) continue;
        const message = { ...entry.message, timestamp: entry.message.timestamp - ageMs };
        log.put(logKey as number, { ...record, entry: { ...entry, message } });
        aged++;
      }
    });
  } finally {
    await shardStoreClose(store);
  }
  return aged;
}

describe('recall: window', () => {
  it('the sender may recall until RECALL_WINDOW_MS, not a ms later', () => {
    const message: StoredMessage = {
      uid: 1n, from: 'a', fromDevice: 'd', conversationType: 0, target: 'b', line: 0,
      timestamp: 1_000, content: { type: 1, content: 'x' },
    };
    assert.equal(senderMay(message, 'a', 1_000 + RECALL_WINDOW_MS), true);
    assert.equal(senderMay(message, 'a', 1_000 + RECALL_WINDOW_MS + 1), false);
    assert.equal(senderMay(message, 'b', 1_000), false);
  });

  it('past the window the sender gets 248 (1:1 and group); the group owner still recalls',
    async () => {
      const sender = await kit.userOn(0, 'tcp');
      const peer = await kit.userOn(1, 'ws-compat');
      const owner = await kit.userOn(1, 'tcp');
      const gid = await groupCreate(owner, [sender]);
      const direct = (await sender.client.send(to(peer.uid, 'old 1:1'))).messageUid;
      const grouped = (await sender.client.send(say(gid, 'old group'))).messageUid;
      await eventually(() => has(peer, direct), '1:1 delivered');
      await syncUntil(sender, () => has(sender, grouped), 'own group copy');
      await syncUntil(owner, () => has(owner, grouped), 'owner copy');
      kit.closeAll();
      await kit.server.stop();
      const age = RECALL_WINDOW_MS + 60_000;
      assert.equal(await copiesAge(sender, [direct, grouped], age), 2);
      assert.equal(await copiesAge(owner, [grouped], age), 1);
      await kit.server.restart();
      const senderBack = await kit.connect({ transport: 'tcp', mobile: sender.mobile });
      const ownerBack = await kit.connect({ transport: 'ws-compat', mobile: owner.mobile });
      assert.equal(await recall(senderBack, direct), 248);
      assert.equal(await recall(senderBack, grouped), 248);
      assert.equal(await recall(ownerBack, grouped), 0, 'owners and managers: at any time');
      await syncUntil(senderBack, () => recalledUid(senderBack, grouped) >= 1, 'recalled');
    });
});
