// Group join types and join requests on a real server: GMI 4–6 settings with notices 114–116,
// GJR under each join type, GJRN to the owner's and managers' devices, GJRP, GJRH accept and
// reject with their codes (a rejected requester's notice 125 on every device), GAM by a normal
// member becoming requests, the pending limit, and an offline member catching up on notices.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JOIN_REQUESTS_PENDING_MAX } from '../src/limits.js';
import { SubSignal } from '../src/protocol/signals.js';
import {
  codeOf,
  eventually,
  groupCreate,
  groupSuite,
  noticeWait,
  ofType,
  sendRefused,
  sleep,
} from './helpers/groups.js';
import type { TestUser } from './helpers/users.js';

const kit = groupSuite();

interface RequestWire {
  readonly memberId: string;
  readonly reason: string;
  readonly inviter: string;
  readonly status: number;
  readonly handler: string;
  readonly updateDt: number;
}
interface RequestsPage {
  readonly version: number;
  readonly more: boolean;
  readonly requests: RequestWire[];
}

async function requestsPull(user: TestUser, gid: string, version = 0): Promise<RequestsPage> {
  const answer = await user.client.request(SubSignal.GJRP, { groupId: gid, version });
  assert.equal(answer.code, 0);
  return answer.result as RequestsPage;
}

const joinTypeSet = (user: TestUser, gid: string, value: unknown) =>
  codeOf(user, SubSignal.GMI, { groupId: gid, type: 4, value });

describe('groups: join type and settings', () => {
  it('GMI 4–6: owner, managers set them (notices 114–116); others 248; bad 251', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const manager = await kit.userOn(1, 'ws');
    const member = await kit.userOn(1, 'tcp');
    const gid = await groupCreate(owner, [manager, member]);
    assert.equal(
      await codeOf(owner, SubSignal.GSM, { groupId: gid, memberIds: [manager.uid], value: 1 }),
      0,
    );
    assert.equal(await joinTypeSet(owner, gid, 1), 0);
    assert.deepEqual((await noticeWait(member, gid, 114)).n, '1');
    assert.equal(await codeOf(manager, SubSignal.GMI, { groupId: gid, type: 5, value: 1 }), 0);
    assert.equal((await noticeWait(member, gid, 115)).o, manager.uid);
    assert.equal(await codeOf(manager, SubSignal.GMI, { groupId: gid, type: 6, value: '1' }), 0);
    assert.equal((await noticeWait(owner, gid, 116)).n, '1');
    assert.equal(await joinTypeSet(member, gid, 2), 248);
    assert.equal(await codeOf(member, SubSignal.GMI, { groupId: gid, type: 6, value: 0 }), 248);
    for (const value of [3, -1, 'x', null]) assert.equal(await joinTypeSet(owner, gid, value), 251);
    assert.equal(await codeOf(owner, SubSignal.GMI, { groupId: gid, type: 5, value: 2 }), 251);
    assert.equal(await codeOf(owner, SubSignal.GMI, { groupId: gid, type: 7, value: 1 }), 251);
    assert.equal(await codeOf(owner, SubSignal.GMI, { groupId: gid, type: 3, value: 1 }), 0);
    assert.equal((await noticeWait(member, gid, 113)).n, '1', 'GMI 3 is mute all');
    // Setting what already is: 200 and no second notice.
    assert.equal(await joinTypeSet(owner, gid, 1), 0);
    await sleep(200);
    assert.equal(ofType(member, gid, 114).length, 1);
    const infos = (await member.client.request(SubSignal.GPGI, [gid])).result as {
      joinType: number;
      privateChat: number;
      searchable: number;
    }[];
    assert.deepEqual(
      [infos[0]?.joinType, infos[0]?.privateChat, infos[0]?.searchable],
      [1, 1, 1],
    );
  });
});

describe('groups: join requests', () => {
  it('GJR to a joinType-0 group joins at once (compat): notice 105, GMY lists it', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const joiner = await kit.userOn(1, 'ws-compat');
    const gid = await groupCreate(owner, []);
    const answer = await joiner.client.request(SubSignal.GJR, { groupId: gid, reason: 'hi' });
    assert.equal(answer.code, 0);
    assert.deepEqual(answer.result, { code: 200, status: 1 });
    const notice = await noticeWait(owner, gid, 105);
    assert.deepEqual([notice.o, notice.ms], [joiner.uid, [joiner.uid]]);
    await noticeWait(joiner, gid, 105);
    await eventually(async () => {
      const mine = (await joiner.client.request(SubSignal.GMY, {})).result as { groupId: string }[];
      return mine.some((entry) => entry.groupId === gid);
    }, 'GMY lists the group');
    // Already a member: 200, nothing new.
    assert.equal(await codeOf(joiner, SubSignal.GJR, { groupId: gid }), 0);
    assert.notEqual(await codeOf(joiner, SubSignal.GJR, { groupId: 'nosuchgroup' }), 0);
  });

  it('joinType 1: GJR is pending, GJRN reaches owner and managers, GJRH accepts', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const manager = await kit.userOn(1, 'tcp');
    const member = await kit.userOn(0, 'ws');
    const asker = await kit.userOn(1, 'ws');
    const stranger = await kit.userOn(0, 'tcp');
    const gid = await groupCreate(owner, [manager, member]);
    await codeOf(owner, SubSignal.GSM, { groupId: gid, memberIds: [manager.uid], value: 1 });
    assert.equal(await joinTypeSet(owner, gid, 1), 0);
    const answer = await asker.client.request(SubSignal.GJR, { groupId: gid, reason: 'let me in' });
    assert.deepEqual([answer.code, answer.result], [0, { code: 200, status: 0 }]);
    for (const user of [owner, manager]) {
      await eventually(() => kit.pushesOf(user, SubSignal.GJRN).length === 1, 'GJRN');
      const push = kit.pushesOf(user, SubSignal.GJRN)[0]?.content as { groupId: string };
      assert.equal(push.groupId, gid);
    }
    assert.equal(kit.pushesOf(member, SubSignal.GJRN).length, 0);
    const page = await requestsPull(manager, gid);
    assert.equal(page.requests.length, 1);
    const [request] = page.requests;
    assert.deepEqual(
      [request?.memberId, request?.reason, request?.status, request?.inviter],
      [asker.uid, 'let me in', 0, ''],
    );
    assert.equal((await requestsPull(owner, gid, page.version)).requests.length, 0);
    assert.equal(await codeOf(member, SubSignal.GJRP, { groupId: gid, version: 0 }), 248);
    assert.equal(await codeOf(stranger, SubSignal.GJRP, { groupId: gid, version: 0 }), 9);
    assert.equal(ofType(owner, gid, 105).length, 0);
    const handle = (user: TestUser, status: number, memberId = asker.uid) =>
      codeOf(user, SubSignal.GJRH, { groupId: gid, memberId, status });
    assert.equal(await handle(member, 1), 248);
    assert.equal(await handle(stranger, 1), 9);
    assert.equal(await handle(manager, 1, stranger.uid), 253);
    assert.equal(await handle(manager, 3), 251);
    assert.equal(await handle(manager, 1), 0);
    const notice = await noticeWait(asker, gid, 105);
    assert.deepEqual([notice.o, notice.ms], [manager.uid, [asker.uid]]);
    await noticeWait(member, gid, 105);
    assert.equal(await handle(owner, 1), 0, 'the same decision again is 200');
    assert.equal(await handle(owner, 2), 5, 'the other decision is 5');
    await eventually(() => kit.pushesOf(owner, SubSignal.GJRN).length === 2, 'GJRN on handle');
    const handled = await requestsPull(owner, gid, page.version);
    assert.deepEqual(
      handled.requests.map((r) => [r.memberId, r.status, r.handler]),
      [[asker.uid, 1, manager.uid]],
    );
    await sleep(100);
    assert.equal(ofType(asker, gid, 105).length, 1, 'one join notice');
  });

  it('joinType 1: GAM by a normal member becomes requests; a rejected one stays out', async () => {
    const owner = await kit.userOn(1, 'tcp');
    const member = await kit.userOn(0, 'tcp');
    const invited = await kit.userOn(0, 'ws');
    const gid = await groupCreate(owner, [member]);
    await joinTypeSet(owner, gid, 1);
    const answer = await member.client.request(SubSignal.GAM, {
      groupId: gid,
      groupMembers: [invited.uid, owner.uid],
    });
    assert.deepEqual([answer.code, answer.result], [0, { code: 200, status: 0 }]);
    const page = await requestsPull(owner, gid);
    assert.deepEqual(
      page.requests.map((r) => [r.memberId, r.inviter, r.status]),
      [[invited.uid, member.uid, 0]],
    );
    assert.equal(
      await codeOf(owner, SubSignal.GJRH, { groupId: gid, memberId: invited.uid, status: 2 }),
      0,
    );
    assert.equal(
      await codeOf(owner, SubSignal.GJRH, { groupId: gid, memberId: invited.uid, status: 1 }),
      5,
    );
    assert.equal((await requestsPull(owner, gid, page.version)).requests[0]?.status, 2);
    const members = (await owner.client.request(SubSignal.GPGM, { groupId: gid, version: 0 }))
      .result as { memberId: string }[];
    assert.equal(members.some((m) => m.memberId === invited.uid), false);
    // The owner adds directly whatever the join type.
    assert.equal(
      await codeOf(owner, SubSignal.GAM, { groupId: gid, groupMembers: [invited.uid] }),
      0,
    );
    assert.deepEqual((await noticeWait(invited, gid, 105)).ms, [invited.uid]);
  });

  it('a rejected requester gets notice 125 on every device, also one that was offline; ' +
    'members get nothing', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const member = await kit.userOn(1, 'ws-compat');
    const asker = await kit.userOn(1, 'ws-compat');
    const tablet = await kit.connect({ transport: 'tcp', mobile: asker.mobile, deviceId: 'tab' });
    const gid = await groupCreate(owner, [member]);
    assert.equal(await joinTypeSet(owner, gid, 1), 0);
    assert.equal(await codeOf(asker, SubSignal.GJR, { groupId: gid, reason: 'please' }), 0);
    tablet.client.close();
    const reject = { groupId: gid, memberId: asker.uid, status: 2 };
    assert.equal(await codeOf(owner, SubSignal.GJRH, reject), 0);
    const notice = await noticeWait(asker, gid, 125);
    assert.deepEqual([notice.g, notice.o, notice.ms], [gid, owner.uid, [asker.uid]]);
    const back = await kit.connect({ transport: 'tcp', mobile: asker.mobile, deviceId: 'tab' });
    assert.deepEqual((await noticeWait(back, gid, 125)).ms, [asker.uid]);
    assert.equal(await codeOf(owner, SubSignal.GJRH, reject), 0, 'the same decision again');
    // Members are not told; the rejected user is still out (a send gets 9).
    await sleep(200);
    for (const user of [owner, member]) assert.equal(ofType(user, gid, 125).length, 0);
    assert.equal(ofType(asker, gid, 125).length, 1, 'told once');
    assert.equal(await sendRefused(back, gid), 9);
  });

  it('joinType 2: GJR and GAM by a normal member are 248; the owner still adds', async () => {
    const owner = await kit.userOn(0, 'ws');
    const member = await kit.userOn(1, 'ws-compat');
    const outsider = await kit.userOn(1, 'tcp');
    const gid = await groupCreate(owner, [member]);
    assert.equal(await joinTypeSet(owner, gid, 2), 0);
    assert.equal(await codeOf(outsider, SubSignal.GJR, { groupId: gid }), 248);
    assert.notEqual(
      await codeOf(member, SubSignal.GAM, { groupId: gid, groupMembers: [outsider.uid] }),
      0,
    );
    assert.equal(
      await codeOf(owner, SubSignal.GAM, { groupId: gid, groupMembers: [outsider.uid] }),
      0,
    );
    await noticeWait(outsider, gid, 105);
  });

  it('GJR and GJRH bad input: 251', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const gid = await groupCreate(owner, []);
    const long = 'r'.repeat(257);
    for (const content of [{}, [], { groupId: gid, reason: long }, { groupId: gid, reason: 5 }]) {
      assert.equal(await codeOf(owner, SubSignal.GJR, content), 251);
    }
    for (const content of [{ groupId: gid }, { groupId: gid, memberId: 'a b', status: 1 }]) {
      assert.equal(await codeOf(owner, SubSignal.GJRH, content), 251);
    }
    assert.equal(await codeOf(owner, SubSignal.GJRP, { version: 0 }), 251);
  });

  it(`${JOIN_REQUESTS_PENDING_MAX} pending requests are accepted, one more is 251`, async () => {
    const owner = await kit.userOn(0, 'tcp');
    const member = await kit.userOn(1, 'tcp');
    const late = await kit.userOn(1, 'ws');
    const gid = await groupCreate(owner, [member]);
    await joinTypeSet(owner, gid, 1);
    const fakes = Array.from({ length: JOIN_REQUESTS_PENDING_MAX }, (_, i) => `fake${gid}x${i}`);
    const add = (uids: string[]) =>
      codeOf(member, SubSignal.GAM, { groupId: gid, groupMembers: uids });
    assert.equal(await add(fakes.slice(0, JOIN_REQUESTS_PENDING_MAX - 1)), 0);
    assert.equal(await add(['onemore', 'andanother']), 251);
    assert.equal(await codeOf(late, SubSignal.GJR, { groupId: gid }), 0, 'the 500th');
    assert.equal(await add(['onemore']), 251);
    // Asking again while pending renews the request; it is not one more.
    assert.equal(await codeOf(late, SubSignal.GJR, { groupId: gid, reason: 'again' }), 0);
    const first = await requestsPull(owner, gid);
    assert.equal(first.requests.length, JOIN_REQUESTS_PENDING_MAX - 1, 'one GAM is never split');
    assert.equal(first.more, true);
    let count = first.requests.length;
    let version = first.version;
    for (;;) {
      const next = await requestsPull(owner, gid, version);
      count += next.requests.length;
      version = next.version;
      if (!next.more) break;
    }
    assert.equal(count, JOIN_REQUESTS_PENDING_MAX);
    // Rejecting one frees a place.
    await codeOf(owner, SubSignal.GJRH, { groupId: gid, memberId: fakes[0], status: 2 });
    assert.equal(await add(['onemore']), 0);
  });

  it('an offline member catches up on 114–116, join and alias notices in order', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const away = await kit.userOn(1, 'tcp');
    const asker = await kit.userOn(0, 'ws');
    const gid = await groupCreate(owner, [away]);
    await noticeWait(away, gid, 104);
    await away.client.disconnect(false);
    await joinTypeSet(owner, gid, 1);
    await codeOf(owner, SubSignal.GMI, { groupId: gid, type: 5, value: 1 });
    await codeOf(owner, SubSignal.GMI, { groupId: gid, type: 6, value: 1 });
    await codeOf(asker, SubSignal.GJR, { groupId: gid });
    await codeOf(owner, SubSignal.GJRH, { groupId: gid, memberId: asker.uid, status: 1 });
    await noticeWait(asker, gid, 105);
    assert.equal(await codeOf(asker, SubSignal.GMAL, { groupId: gid, alias: 'newbie' }), 0);
    const again = await kit.connect({ transport: 'ws-compat', mobile: away.mobile });
    await eventually(() => ofType(again, gid, 111).length === 1, 'caught up');
    const seen = again.received.filter((m) => m.target === gid).map((m) => m.content.type);
    assert.deepEqual(seen, [104, 114, 115, 116, 105, 111]);
  });
});
