// The private-chat barrier on a real server (2 shards, users on both): once a group's
// `privateChat` is 1 (GMI type 5), two normal members who are not friends get 248 on 1:1 sends
// to each other (native; compat gets its failure ""); the owner and managers write and are
// written to; friends, strangers and removed members are untouched; turning it off, a
// restart, and a kick each take effect.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MagpieError } from '../src/client/index.js';
import { SubSignal } from '../src/protocol/signals.js';
import { codeOf, eventually, groupCreate, groupSuite } from './helpers/groups.js';
import { text, type TestUser } from './helpers/users.js';

const kit = groupSuite();

/** The code of a 1:1 send (0 = delivered; compat failures show as the SDK's failure code). */
async function dmCode(from: TestUser, to: TestUser): Promise<number> {
  try {
    const conversation = { type: 0, target: to.uid, line: 0 };
    await from.client.send({ conversation, content: text('hi') });
    return 0;
  } catch (error) {
    if (error instanceof MagpieError) return error.code;
    throw error;
  }
}

/** The barrier reaches other shards through the outbox, a moment after the change's ack. */
async function dmSettles(from: TestUser, to: TestUser, refused: boolean): Promise<void> {
  await eventually(async () => ((await dmCode(from, to)) !== 0) === refused, 'barrier settled');
}

const privateChatSet = (owner: TestUser, gid: string, value: number) =>
  codeOf(owner, SubSignal.GMI, { groupId: gid, type: 5, value });

describe('groups: private chat barrier', () => {
  it('normal members may not write each other; owner, managers, strangers may', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const manager = await kit.userOn(1, 'tcp');
    const a = await kit.userOn(1, 'tcp');
    const b = await kit.userOn(0, 'ws-compat');
    const stranger = await kit.userOn(1, 'tcp');
    const gid = await groupCreate(owner, [manager, a, b]);
    assert.equal(await codeOf(owner, SubSignal.GSM, { groupId: gid, memberIds: [manager.uid],
      value: 1 }), 0);
    assert.equal(await dmCode(a, b), 0, 'allowed before the setting');
    assert.equal(await privateChatSet(owner, gid, 1), 0);
    // Each direction is checked on the sender's shard, which learns it on its own time.
    await dmSettles(a, b, true);
    await dmSettles(b, a, true);
    assert.equal(await dmCode(a, b), 248);
    assert.notEqual(await dmCode(b, a), 0, 'compat: a failure');
    for (const [from, to] of [[a, owner], [owner, a], [a, manager], [manager, b], [stranger, a],
      [a, stranger], [a, a]] as const) {
      assert.equal(await dmCode(from, to), 0, `${from.uid} → ${to.uid}`);
    }
    // A transparent message (typing) is refused alike.
    const typing = { conversation: { type: 0, target: b.uid, line: 0 }, content: { type: 91 } };
    await assert.rejects(a.client.send(typing), (error: MagpieError) => error.code === 248);
    assert.equal(await privateChatSet(owner, gid, 0), 0);
    await dmSettles(a, b, false);
    await dmSettles(b, a, false);
  });

  it('friends are exempt; a kicked member and a new manager are free', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const a = await kit.userOn(0, 'tcp');
    const b = await kit.userOn(1, 'tcp');
    const c = await kit.userOn(1, 'tcp');
    const gid = await groupCreate(owner, [a, b, c]);
    assert.equal(await privateChatSet(owner, gid, 1), 0);
    await dmSettles(a, b, true);
    await dmSettles(c, a, true);
    assert.equal(await codeOf(a, SubSignal.FAR, { targetUserId: b.uid, reason: '' }), 0);
    await eventually(async () =>
      (await codeOf(b, SubSignal.FHR, { targetUid: a.uid, status: 1 })) === 0, 'FHR');
    await dmSettles(a, b, false);
    await dmSettles(b, a, false);
    assert.equal(await dmCode(c, b), 248, 'others still barred');
    assert.equal(await codeOf(owner, SubSignal.GKM, { groupId: gid, memberIds: [c.uid] }), 0);
    await dmSettles(c, a, false);
    await dmSettles(a, c, false);
    const d = await kit.userOn(0, 'tcp');
    assert.equal(await codeOf(owner, SubSignal.GAM, { groupId: gid, groupMembers: [d.uid] }), 0);
    await dmSettles(d, b, true);
    assert.equal(await codeOf(owner, SubSignal.GSM, { groupId: gid, memberIds: [d.uid],
      value: 1 }), 0);
    await dmSettles(d, b, false);
    await dmSettles(b, d, false);
  });
});

describe('groups: private chat barrier survives a restart', () => {
  it('the replica is reloaded from LMDB', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const a = await kit.userOn(1, 'tcp');
    const b = await kit.userOn(0, 'tcp');
    const gid = await groupCreate(owner, [a, b]);
    assert.equal(await privateChatSet(owner, gid, 1), 0);
    await dmSettles(a, b, true);
    await dmSettles(b, a, true);
    kit.closeAll();
    await kit.server.stop();
    await kit.server.restart();
    const a2 = await kit.connect({ transport: 'tcp', mobile: a.mobile });
    const b2 = await kit.connect({ transport: 'tcp', mobile: b.mobile });
    assert.equal(await dmCode(a2, b2), 248);
    assert.equal(await dmCode(b2, a2), 248);
  });
});
