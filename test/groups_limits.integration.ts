// Groups on a real server, continued: offline catch-up of every change in order, the member and
// groups-per-user limits (limit and limit + 1), bad input, and a 500-member group.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { login } from '../src/client/index.js';
import { GROUP_MEMBERS_MAX, GROUPS_PER_USER_MAX } from '../src/limits.js';
import { SubSignal } from '../src/protocol/signals.js';
import {
  bodies,
  eventually,
  groupCreate,
  GroupKit,
  groupSuite,
  noticeWait,
  say,
} from './helpers/groups.js';
import { mobileNext, type TestUser } from './helpers/users.js';

const kit = groupSuite();

const userOn = (shard: number, transport: Parameters<GroupKit['userOn']>[1]) =>
  kit.userOn(shard, transport);

describe('groups: catch-up and limits', () => {
  it('an offline member catches up on every change and message in order', async () => {
    const owner = await userOn(0, 'tcp');
    const away = await userOn(1, 'tcp');
    const other = await userOn(1, 'ws');
    const gid = await groupCreate(owner, [away, other]);
    await noticeWait(away, gid, 104);
    await away.client.disconnect(false);
    const late = await userOn(0, 'ws');
    await owner.client.request(SubSignal.GAM, { groupId: gid, groupMembers: [late.uid] });
    await owner.client.send(say(gid, 'one'));
    await owner.client.request(SubSignal.GMI, { groupId: gid, type: 0, value: 'new name' });
    await other.client.send(say(gid, 'two'));
    await owner.client.request(SubSignal.GMA, { groupId: gid, value: 1 });
    await owner.client.request(SubSignal.GMA, { groupId: gid, value: 0 });
    await owner.client.request(SubSignal.GKM, { groupId: gid, memberIds: [other.uid] });
    await owner.client.send(say(gid, 'three'));
    const again = await kit.connect({ transport: 'ws-compat', mobile: away.mobile });
    await eventually(() => bodies(again, gid).includes('three'), 'caught up');
    const seen = again.received
      .filter((m) => m.target === gid)
      .map((m) => (m.content.type === 1 ? m.content.searchableContent : m.content.type));
    assert.deepEqual(seen, [104, 105, 'one', 110, 'two', 113, 113, 106, 'three']);
  });

  it(`GC and GAM: ${GROUP_MEMBERS_MAX} members are accepted, one more is 251`, async () => {
    const owner = await userOn(0, 'tcp');
    const fake = (i: number) => `fake${owner.uid}x${i}`;
    const tooMany = Array.from({ length: GROUP_MEMBERS_MAX }, (_, i) => fake(i));
    const refused = await owner.client.request(SubSignal.GC, {
      groupInfo: { name: 'big' },
      groupMembers: tooMany.map((memberId) => ({ memberId })),
    });
    assert.equal(refused.code, 251);
    const gid = await groupCreate(owner, tooMany.slice(0, GROUP_MEMBERS_MAX - 1), 'full');
    const infos = (await owner.client.request(SubSignal.GPGI, [gid])).result as {
      memberCount: number;
    }[];
    assert.equal(infos[0]?.memberCount, GROUP_MEMBERS_MAX);
    assert.equal(
      (await owner.client.request(SubSignal.GAM, { groupId: gid, groupMembers: ['onemore'] })).code,
      251,
    );
  });

  it(`a user in ${GROUPS_PER_USER_MAX} groups cannot join one more (251)`, async () => {
    const busy = await userOn(0, 'tcp');
    const other = await userOn(1, 'tcp');
    const creates = Array.from({ length: GROUPS_PER_USER_MAX }, (_, i) =>
      busy.client.request(SubSignal.GC, { groupInfo: { name: `mine ${i}` }, groupMembers: [] }),
    );
    for (const answer of await Promise.all(creates)) assert.equal(answer.code, 0);
    // A group on the other shard joins busy's own list in the same delivery as its notice.
    const created = () => busy.received.filter((m) => m.content.type === 104).length;
    await eventually(() => created() === GROUPS_PER_USER_MAX, 'every create notice');
    const oneMore = await busy.client.request(SubSignal.GC, { groupInfo: { name: 'one more' } });
    assert.equal(oneMore.code, 251);
    const gid = await groupCreate(other, []);
    const add = await other.client.request(SubSignal.GAM, {
      groupId: gid,
      groupMembers: [busy.uid],
    });
    assert.equal(add.code, 251);
  });

  it('bad input: malformed requests get 251 (native) and GPGI answers []', async () => {
    const user = await userOn(1, 'tcp');
    assert.equal((await user.client.request(SubSignal.GC, { groupInfo: 'no' })).code, 251);
    assert.equal(
      (await user.client.request(SubSignal.GKM, { groupId: 'x', memberIds: [] })).code,
      251,
    );
    assert.equal(
      (await user.client.request(SubSignal.GAM, { groupId: 'a b', groupMembers: ['u'] })).code,
      251,
    );
    assert.equal((await user.client.request(SubSignal.GMA, { groupId: 'x', value: 7 })).code, 251);
    assert.deepEqual((await user.client.request(SubSignal.GPGI, { not: 'a list' })).result, []);
    assert.deepEqual((await user.client.request(SubSignal.GPGI, [{ bad: 1 }])).result, []);
    assert.equal((await user.client.request(SubSignal.GQ, { groupId: 'nosuchgroup' })).code, 253);
  });

  it('a 500-member group: messages reach members on both shards quickly', async () => {
    const connected = [
      await userOn(0, 'tcp'),
      await userOn(1, 'tcp'),
      await userOn(0, 'ws-compat'),
      await userOn(1, 'ws'),
    ];
    const owner = connected[0] as TestUser;
    const uids: string[] = [];
    const logins = Array.from({ length: 500 - connected.length }, () => mobileNext());
    for (let i = 0; i < logins.length; i += 25) {
      const batch = logins
        .slice(i, i + 25)
        .map((mobile) => login(kit.server.httpBase, mobile, 'idle'));
      for (const result of await Promise.all(batch)) uids.push(result.userId);
    }
    const started = Date.now();
    const gid = await groupCreate(owner, [...connected.slice(1), ...uids], 'five hundred');
    const count = 20;
    for (let i = 0; i < count; i++) await owner.client.send(say(gid, `m${i}`));
    for (const user of connected.slice(1)) {
      await eventually(
        () => bodies(user, gid).length === count,
        `${user.uid} got ${count}`,
        20_000,
      );
      assert.deepEqual(
        bodies(user, gid),
        Array.from({ length: count }, (_, i) => `m${i}`),
      );
    }
    const elapsedMs = Date.now() - started;
    assert.ok(elapsedMs < 10_000, `500 members × ${count} messages took ${elapsedMs} ms`);
    const infos = (await owner.client.request(SubSignal.GPGI, [gid])).result as {
      memberCount: number;
    }[];
    assert.equal(infos[0]?.memberCount, 500);
  });
});
