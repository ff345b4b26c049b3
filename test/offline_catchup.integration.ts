// One user's devices that were offline catch up on every kind of change at once (2 shards, the
// peers on the other shard): messages, a recall, an edit, a reaction, the user's own sends from
// another device, a read receipt, the read position and a pin set on another device, a friend
// request accepted elsewhere (greeting, tips, FP, FRP), group notices and messages, and a kick
// from another group. A native device resumes from its last seq; a compat one pulls from zero.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReceivedMessage } from '../src/client/index.js';
import { SubSignal } from '../src/protocol/signals.js';
import {
  codeOf,
  eventually,
  groupCreate,
  groupSuite,
  noticeWait,
  say,
  syncUntil,
} from './helpers/groups.js';
import { text, type TestUser } from './helpers/users.js';

const kit = groupSuite();

const to = (target: string, body: string) => ({
  conversation: { type: 0, target, line: 0 },
  content: text(body),
});

interface Row {
  conversation: { target: string };
  unread: number;
  readUid: unknown;
  pinned: number;
}

interface Scene {
  readonly me: string;
  readonly peer: TestUser;
  readonly friend: TestUser;
  readonly recalled: string;
  readonly edited: string;
  readonly last: string;
  readonly mine: string;
  readonly gid: string;
  readonly left: string;
}

/** Everything that happens while two of `phone`'s user's devices are offline. */
async function changesWhileAway(phone: TestUser): Promise<Scene> {
  const peer = await kit.userOn(1, 'tcp');
  const friend = await kit.userOn(1, 'ws');
  const owner = await kit.userOn(1, 'tcp');
  const me = phone.uid;
  const recalled = (await peer.client.send(to(me, 'oops'))).messageUid;
  const edited = (await peer.client.send(to(me, 'typo'))).messageUid;
  assert.equal(await codeOf(peer, SubSignal.MR, { messageUid: recalled }), 0);
  const fixed = { type: 1, searchableContent: 'fixed', content: 'fixed' };
  assert.equal(await codeOf(peer, SubSignal.ME, { messageUid: edited, content: fixed }), 0);
  assert.equal(await codeOf(peer, SubSignal.MRA, { messageUid: edited, emoji: '👍', on: 1 }), 0);
  const mine = (await phone.client.send(to(peer.uid, 'from my phone'))).messageUid;
  await eventually(() => peer.received.some((m) => m.messageUid === mine), 'peer got mine');
  assert.equal(await codeOf(peer, SubSignal.MRR, { messageUid: mine }), 0);
  const last = (await peer.client.send(to(me, 'last one'))).messageUid;
  await eventually(() => phone.received.some((m) => m.messageUid === last), 'phone got last');
  assert.equal(await codeOf(phone, SubSignal.MRR, { messageUid: last }), 0);
  const pin = { conversation: { type: 0, target: peer.uid, line: 0 }, pinned: 1 };
  assert.equal(await codeOf(phone, SubSignal.CLS, pin), 0);

  assert.equal(await codeOf(friend, SubSignal.FAR, { targetUserId: me, reason: 'hi me' }), 0);
  assert.equal(await codeOf(phone, SubSignal.FHR, { targetUid: friend.uid, status: 1 }), 0);

  const gid = await groupCreate(owner, [me], 'club');
  assert.equal(await codeOf(owner, SubSignal.GMI, { groupId: gid, type: 0, value: 'the club' }), 0);
  await owner.client.send(say(gid, 'welcome'));
  const managers = { groupId: gid, memberIds: [me], value: 1 };
  assert.equal(await codeOf(owner, SubSignal.GSM, managers), 0);
  const left = await groupCreate(owner, [me], 'brief');
  assert.equal(await codeOf(owner, SubSignal.GKM, { groupId: left, memberIds: [me] }), 0);
  await noticeWait(phone, gid, 117);
  await noticeWait(phone, left, 106);
  await eventually(() => phone.received.filter((m) => m.content.type === 90).length === 2, 'tips');
  const scene = { me, peer, friend, recalled, edited, last, mine, gid, left };
  await landed(phone, scene);
  return scene;
}

/** Changes from several shards land in no fixed order: wait until the online phone has them
 * all, so that what the returning devices must show is already there. */
async function landed(phone: TestUser, scene: Scene): Promise<void> {
  const seen = (uid: string, ok: (m: ReceivedMessage) => boolean): boolean =>
    phone.received.some((m) => m.messageUid === uid && ok(m));
  await eventually(() => seen(scene.recalled, (m) => m.content.type === 80), 'recall landed');
  await eventually(() => seen(scene.edited, (m) => m.content.searchableContent === 'fixed'),
    'edit landed');
  await eventually(async () => (await reactionsOf(phone, scene)) !== undefined, 'reaction');
  await eventually(async () => (await readersOf(phone, scene)).length === 1, 'receipt landed');
}

async function reactionsOf(device: TestUser, scene: Scene): Promise<unknown> {
  const history = await device.client.request(SubSignal.LRM, {
    conversation: { type: 0, target: scene.peer.uid, line: 0 }, beforeUid: '0', count: 10 });
  const entries = (history.result as { messageResponseList: { messageId: unknown;
    reactions?: Record<string, string[]> }[] }).messageResponseList;
  return entries.find((e) => String(e.messageId) === scene.edited)?.reactions;
}

async function readersOf(device: TestUser, scene: Scene): Promise<string[]> {
  const receipts = await device.client.request(SubSignal.MRP, {
    conversation: { type: 0, target: scene.peer.uid, line: 0 }, messageUid: scene.mine });
  return (receipts.result as { readers: string[] }).readers;
}

/** What a device that was away must show once synced. */
async function caughtUp(device: TestUser, scene: Scene): Promise<void> {
  const { peer, friend, gid, left } = scene;
  await syncUntil(device, () => device.received.some((m) => m.target === left &&
    m.content.type === 106), 'synced to the kick');
  const of = (uid: string): ReceivedMessage[] =>
    device.received.filter((m) => m.messageUid === uid);
  assert.ok(of(scene.recalled).length > 0);
  assert.ok(of(scene.recalled).every((m) => m.content.type === 80), 'the recall');
  assert.ok(of(scene.edited).length > 0);
  assert.ok(of(scene.edited).every((m) => m.content.searchableContent === 'fixed'), 'the edit');
  assert.equal(of(scene.mine)[0]?.from, scene.me, 'own send from another device');
  assert.equal(of(scene.last)[0]?.content.searchableContent, 'last one');
  const withFriend = device.received.filter(
    (m) => m.from === friend.uid || m.target === friend.uid,
  );
  assert.deepEqual(withFriend.map((m) => m.content.type), [1, 90, 90]);
  const inGroup = (target: string): number[] =>
    device.received.filter((m) => m.target === target).map((m) => m.content.type);
  assert.deepEqual(inGroup(gid), [104, 110, 1, 117]);
  assert.deepEqual(inGroup(left), [104, 106]);

  assert.deepEqual(await reactionsOf(device, scene), { '👍': [peer.uid] });
  const list = await device.client.request(SubSignal.CLP, { version: 0 });
  const rows = (list.result as { conversations: Row[] }).conversations;
  const row = rows.find((r) => r.conversation.target === peer.uid);
  assert.deepEqual([row?.unread, String(row?.readUid), row?.pinned], [0, scene.last, 1]);
  assert.deepEqual(await readersOf(device, scene), [peer.uid]);
  const friends = (await device.client.request(SubSignal.FP, { version: 0 })).result as
    { friendUid: string; state: number }[];
  assert.deepEqual(friends.map((f) => [f.friendUid, f.state]), [[friend.uid, 0]]);
  const requests = (await device.client.request(SubSignal.FRP, { version: 0 })).result as
    { from: string; status: number }[];
  assert.deepEqual(requests.map((r) => [r.from, r.status]), [[friend.uid, 1]]);
  const infos = (await device.client.request(SubSignal.GPGI, [gid])).result as { name: string }[];
  assert.equal(infos[0]?.name, 'the club');
  const members = (await device.client.request(SubSignal.GPGM, { groupId: gid, version: 0 }))
    .result as { memberId: string; type: number }[];
  assert.equal(members.find((m) => m.memberId === scene.me)?.type, 1);
}

describe('offline catch-up', () => {
  it('devices that were away see every kind of change: native resumes, compat from zero',
    async () => {
      // The user on shard 0, its peers on shard 1: every change crosses shards.
      const phone = await kit.userOn(0, 'tcp');
      await awayAndBack(phone, phone.mobile);
    });
});

async function awayAndBack(phone: TestUser, mobile: string): Promise<void> {
  const tablet = await kit.connect({ transport: 'ws', mobile, deviceId: 'tablet' });
  const laptop = await kit.connect({ transport: 'ws-compat', mobile, deviceId: 'laptop' });
  const starter = await kit.userOn(1, 'tcp');
  await starter.client.send(to(phone.uid, 'before'));
  for (const device of [phone, tablet, laptop]) {
    await eventually(() => device.received.length === 1, 'everyone has the first message');
  }
  const lastSeq = tablet.client.lastSeq;
  tablet.client.close();
  laptop.client.close();
  const scene = await changesWhileAway(phone);
  const tabletBack = await kit.connect({ transport: 'ws', mobile, deviceId: 'tablet', lastSeq });
  await caughtUp(tabletBack, scene);
  assert.equal(tabletBack.received.some((m) => m.content.searchableContent === 'before'), false);
  const laptopBack = await kit.connect({ transport: 'ws-compat', mobile, deviceId: 'laptop' });
  await caughtUp(laptopBack, scene);
}
