// Groups on a real server (2 shards, real sockets, temp LMDB): create, fan-out to members on both
// shards over every transport, dedupe, rights, kick/quit/dismiss/mute notices, GPGI and GPGM.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GROUP_NAME_CHARS_MAX } from '../src/limits.js';
import { SubSignal } from '../src/protocol/signals.js';
import {
  bodies,
  eventually,
  groupCreate,
  GroupKit,
  groupSuite,
  noticeWait,
  ofType,
  say,
  sendRefused,
  sleep,
  syncUntil,
} from './helpers/groups.js';
import { mobileNext, type TestUser } from './helpers/users.js';

const kit = groupSuite();

const userOn = (shard: number, transport: Parameters<GroupKit['userOn']>[1]) =>
  kit.userOn(shard, transport);

describe('groups: create and fan-out', () => {
  it('GC: members on both shards get the create notice; GPGI and GPGM answer', async () => {
    const owner = await userOn(0, 'tcp');
    const b = await userOn(1, 'ws-compat');
    const c = await userOn(1, 'ws');
    const gid = await groupCreate(owner, [b, c], 'first');
    for (const user of [owner, b, c]) {
      const notice = await noticeWait(user, gid, 104);
      assert.equal(notice.g, gid);
      assert.equal(notice.o, owner.uid);
      assert.equal(notice.n, 'first');
      assert.deepEqual([...(notice.ms ?? [])].sort(), [owner.uid, b.uid, c.uid].sort());
      assert.equal(ofType(user, gid, 104)[0]?.from, owner.uid);
    }
    const infos = await b.client.request(SubSignal.GPGI, [gid, 'nosuchgroup']);
    assert.equal(infos.code, 0);
    const list = infos.result as {
      target: string;
      owner: string;
      memberCount: number;
      name: string;
    }[];
    assert.equal(list.length, 1);
    assert.equal(list[0]?.target, gid);
    assert.equal(list[0]?.owner, owner.uid);
    assert.equal(list[0]?.memberCount, 3);
    assert.equal(list[0]?.name, 'first');
    const members = await c.client.request(SubSignal.GPGM, { groupId: gid, version: 0 });
    assert.equal(members.code, 0);
    const rows = members.result as { memberId: string; type: number; updateDt: number }[];
    assert.equal(rows.length, 3);
    assert.equal(rows.find((r) => r.memberId === owner.uid)?.type, 2);
    assert.equal(rows.find((r) => r.memberId === b.uid)?.type, 0);
    // Incremental: nothing changed after the newest updateDt.
    const newest = Math.max(...rows.map((r) => r.updateDt));
    const none = await c.client.request(SubSignal.GPGM, { groupId: gid, version: String(newest) });
    assert.deepEqual(none.result, []);
  });

  it('a compat creator gets {"code":200} and learns the gid from its notice', async () => {
    const creator = await userOn(1, 'ws-compat');
    const other = await userOn(0, 'tcp');
    const gid = await groupCreate(creator, [other]);
    assert.match(gid, /^[0-9a-z]+$/);
    await noticeWait(other, gid, 104);
  });

  it('messages reach every member on both shards; the sender sees its own after sync', async () => {
    const owner = await userOn(0, 'ws');
    const members = [
      await userOn(0, 'ws-compat'),
      await userOn(1, 'tcp'),
      await userOn(1, 'ws-compat'),
    ];
    const gid = await groupCreate(owner, members);
    const ack = await owner.client.send(say(gid, 'hello all'));
    assert.match(ack.messageUid, /^\d+$/);
    const fromB = members[1] as TestUser;
    await fromB.client.send(say(gid, 'hi from b'));
    // b's own message reaches b's timeline without an MN to b's device: b pulls it.
    await syncUntil(fromB, () => bodies(fromB, gid).length >= 2, 'b sees its own');
    for (const member of members) {
      await eventually(() => bodies(member, gid).length >= 2, `${member.uid} got both`);
      assert.deepEqual(bodies(member, gid), ['hello all', 'hi from b']);
      const first = member.received.find((m) => m.content.searchableContent === 'hello all');
      assert.equal(first?.messageUid, ack.messageUid);
      assert.equal(first?.from, owner.uid);
      assert.equal(first?.target, gid);
    }
    await eventually(() => bodies(owner, gid).includes('hi from b'), 'owner got b');
    await owner.client.sync();
    assert.deepEqual(bodies(owner, gid), ['hello all', 'hi from b']);
  });

  it('the sending device gets no MN for its own message; its other device does', async () => {
    const mobile = mobileNext();
    const phone = await kit.connect({ transport: 'tcp', mobile, deviceId: 'phone' });
    const laptop = await kit.connect({
      transport: 'ws-compat',
      mobile,
      deviceId: 'laptop',
    });
    const peer = await userOn(1 - kit.partitions.shardOf(phone.uid), 'tcp');
    const gid = await groupCreate(phone, [peer]);
    await noticeWait(laptop, gid, 104);
    await phone.client.send(say(gid, 'from phone'));
    await eventually(
      () => bodies(laptop, gid).length === 1 && bodies(peer, gid).length === 1,
      'delivered',
    );
    await sleep(200);
    assert.deepEqual(bodies(phone, gid), []);
    await phone.client.sync();
    assert.deepEqual(bodies(phone, gid), ['from phone']);
  });

  it('typing (91) in a group reaches the other online members and is never stored', async () => {
    const owner = await userOn(0, 'tcp');
    const member = await userOn(1, 'ws-compat');
    const gid = await groupCreate(owner, [member]);
    const typing = new Promise<{ type: number; target: string }>((resolve) =>
      member.client.on('transparent', (m) => resolve({ type: m.content.type, target: m.target })),
    );
    await owner.client.send({
      conversation: { type: 1, target: gid, line: 0 },
      content: { type: 91 },
    });
    assert.deepEqual(await typing, { type: 91, target: gid });
    await member.client.sync();
    assert.equal(ofType(member, gid, 91).length, 0);
  });

  it('a retried group send with the same client message id is stored once, same ack', async () => {
    const owner = await userOn(1, 'tcp');
    const member = await userOn(0, 'tcp');
    const gid = await groupCreate(owner, [member]);
    const first = await owner.client.send(say(gid, 'once', 'group-retry-1'));
    const second = await owner.client.send(say(gid, 'once', 'group-retry-1'));
    assert.equal(second.messageUid, first.messageUid);
    assert.equal(second.timestamp, first.timestamp);
    await owner.client.send(say(gid, 'marker'));
    await eventually(() => bodies(member, gid).includes('marker'), 'marker');
    assert.deepEqual(bodies(member, gid), ['once', 'marker']);
  });
});

describe('groups: rights, kick, mute, dismiss', () => {
  it('a non-member send gets 9; an unknown group 253', async () => {
    const owner = await userOn(0, 'tcp');
    const outsider = await userOn(1, 'tcp');
    const member = await userOn(1, 'ws');
    const gid = await groupCreate(owner, [member]);
    assert.equal(await sendRefused(outsider, gid), 9);
    assert.equal(await sendRefused(outsider, 'nosuchgroup'), 253);
    const gpgm = await outsider.client.request(SubSignal.GPGM, { groupId: gid, version: 0 });
    assert.equal(gpgm.code, 9);
  });

  it('kick: a member gets 248; the owner kicks: 106 to the kicked, then nothing', async () => {
    const owner = await userOn(0, 'tcp');
    const plain = await userOn(1, 'tcp');
    const kicked = await userOn(1, 'ws-compat');
    const gid = await groupCreate(owner, [plain, kicked]);
    const refused = await plain.client.request(SubSignal.GKM, {
      groupId: gid,
      memberIds: [kicked.uid],
    });
    assert.equal(refused.code, 248);
    const done = await owner.client.request(SubSignal.GKM, {
      groupId: gid,
      memberIds: [kicked.uid],
    });
    assert.equal(done.code, 0);
    for (const user of [owner, plain, kicked]) {
      const notice = await noticeWait(user, gid, 106);
      assert.deepEqual(notice.ms, [kicked.uid]);
      assert.equal(notice.o, owner.uid);
    }
    await owner.client.send(say(gid, 'after the kick'));
    await eventually(() => bodies(plain, gid).length === 1, 'plain got it');
    await sleep(200);
    await kicked.client.sync();
    assert.deepEqual(bodies(kicked, gid), []);
    const rows = (await owner.client.request(SubSignal.GPGM, { groupId: gid, version: 0 }))
      .result as {
      memberId: string;
      type: number;
    }[];
    assert.equal(rows.find((r) => r.memberId === kicked.uid)?.type, 4);
    const infos = (await owner.client.request(SubSignal.GPGI, [gid])).result as {
      memberCount: number;
    }[];
    assert.equal(infos[0]?.memberCount, 2);
  });

  it('mute: a muted member gets 247; mute-all stops members, not managers', async () => {
    const owner = await userOn(1, 'tcp');
    const a = await userOn(0, 'tcp');
    const manager = await userOn(0, 'ws');
    const gid = await groupCreate(owner, [a, manager]);
    assert.equal(
      (await a.client.request(SubSignal.GMM, { groupId: gid, memberIds: [manager.uid], value: 1 }))
        .code,
      248,
    );
    assert.equal(
      (await owner.client.request(SubSignal.GMM, { groupId: gid, memberIds: [a.uid], value: 1 }))
        .code,
      0,
    );
    assert.equal((await noticeWait(a, gid, 118)).n, '1');
    assert.equal(await sendRefused(a, gid), 247);
    assert.equal(
      (await owner.client.request(SubSignal.GMM, { groupId: gid, memberIds: [a.uid], value: 0 }))
        .code,
      0,
    );
    await noticeWait(a, gid, 118, 2);
    await a.client.send(say(gid, 'unmuted'));
    assert.equal(
      (
        await owner.client.request(SubSignal.GSM, {
          groupId: gid,
          memberIds: [manager.uid],
          value: 1,
        })
      ).code,
      0,
    );
    assert.deepEqual((await noticeWait(manager, gid, 117)).ms, [manager.uid]);
    assert.equal((await a.client.request(SubSignal.GMA, { groupId: gid, value: 1 })).code, 248);
    assert.equal((await manager.client.request(SubSignal.GMA, { groupId: gid, value: 1 })).code, 0);
    await noticeWait(a, gid, 113);
    assert.equal(await sendRefused(a, gid), 247);
    await owner.client.send(say(gid, 'owner under mute-all'));
    await manager.client.send(say(gid, 'manager under mute-all'));
    await eventually(() => bodies(a, gid).length === 3, 'a got three');
    assert.deepEqual(bodies(a, gid), ['unmuted', 'owner under mute-all', 'manager under mute-all']);
  });

  it('dismiss: only the owner; every member gets 108; later sends get 253', async () => {
    const owner = await userOn(0, 'ws-compat');
    const a = await userOn(1, 'tcp');
    const b = await userOn(0, 'tcp');
    const gid = await groupCreate(owner, [a, b]);
    assert.equal((await a.client.request(SubSignal.GD, { groupId: gid })).code, 248);
    assert.equal((await owner.client.request(SubSignal.GD, { groupId: gid })).code, 0);
    for (const user of [owner, a, b]) assert.equal((await noticeWait(user, gid, 108)).o, owner.uid);
    assert.equal(await sendRefused(a, gid), 253);
    assert.deepEqual((await a.client.request(SubSignal.GPGI, [gid])).result, []);
  });

  it('GQ by the owner hands the group to the oldest manager (109 then 107)', async () => {
    const owner = await userOn(0, 'tcp');
    const early = await userOn(1, 'tcp');
    const manager = await userOn(1, 'ws');
    const gid = await groupCreate(owner, [early, manager]);
    await owner.client.request(SubSignal.GSM, { groupId: gid, memberIds: [manager.uid], value: 1 });
    assert.equal((await owner.client.request(SubSignal.GQ, { groupId: gid })).code, 0);
    assert.equal((await noticeWait(early, gid, 109)).m, manager.uid);
    await noticeWait(early, gid, 107);
    const types = early.received.filter((m) => m.target === gid).map((m) => m.content.type);
    assert.deepEqual(types.slice(-2), [109, 107]);
    const infos = (await early.client.request(SubSignal.GPGI, [gid])).result as {
      owner: string;
      memberCount: number;
    }[];
    assert.equal(infos[0]?.owner, manager.uid);
    assert.equal(infos[0]?.memberCount, 2);
    assert.equal(await sendRefused(owner, gid), 9);
    // GTO: the new owner hands it on and becomes a normal member.
    assert.equal(
      (await manager.client.request(SubSignal.GTO, { groupId: gid, memberId: early.uid })).code,
      0,
    );
    assert.equal((await noticeWait(manager, gid, 109, 2)).m, early.uid);
    assert.equal((await manager.client.request(SubSignal.GD, { groupId: gid })).code, 248);
  });

  it('GAM and GMI: notices 105 and 110; a restricted group refuses members', async () => {
    const owner = await userOn(1, 'tcp');
    const a = await userOn(0, 'ws-compat');
    const late = await userOn(0, 'tcp');
    const gid = await groupCreate(owner, [a]);
    assert.equal(
      (await a.client.request(SubSignal.GAM, { groupId: gid, groupMembers: [late.uid] })).code,
      0,
    );
    for (const user of [owner, a, late]) {
      assert.deepEqual((await noticeWait(user, gid, 105)).ms, [late.uid]);
    }
    assert.equal(
      (await late.client.request(SubSignal.GMI, { groupId: gid, type: 0, value: 'renamed' })).code,
      0,
    );
    assert.equal((await noticeWait(owner, gid, 110)).n, 'renamed');
    const infos = (await a.client.request(SubSignal.GPGI, [gid])).result as {
      name: string;
      memberCount: number;
    }[];
    assert.deepEqual([infos[0]?.name, infos[0]?.memberCount], ['renamed', 3]);
    const tooLong = 'x'.repeat(GROUP_NAME_CHARS_MAX + 1);
    assert.equal(
      (await owner.client.request(SubSignal.GMI, { groupId: gid, type: 0, value: tooLong })).code,
      251,
    );
    const exact = 'y'.repeat(GROUP_NAME_CHARS_MAX);
    assert.equal(
      (await owner.client.request(SubSignal.GMI, { groupId: gid, type: 0, value: exact })).code,
      0,
    );
    assert.equal(
      (await owner.client.request(SubSignal.GMI, { groupId: gid, type: 7, value: 'x' })).code,
      251,
    );
    const restricted = await owner.client.request(SubSignal.GC, {
      groupInfo: { name: 'r', type: 2 },
      groupMembers: [{ memberId: a.uid }],
    });
    const rgid = (restricted.result as { gid: string }).gid;
    await noticeWait(a, rgid, 104);
    assert.equal(
      (await a.client.request(SubSignal.GAM, { groupId: rgid, groupMembers: [late.uid] })).code,
      4,
    );
    assert.equal(
      (await a.client.request(SubSignal.GMI, { groupId: rgid, type: 0, value: 'no' })).code,
      4,
    );
  });
});
