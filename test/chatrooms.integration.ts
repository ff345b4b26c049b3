// Chat rooms on a real server (2 shards, temp LMDB): join, inline delivery to online members on
// both shards (native and compat) without touching personal timelines, non-members refused
// with 20, the history window bounded at CHATROOM_HISTORY_MAX, quit, and a restart.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MagpieError, type ReceivedMessage, type Transport } from '../src/client/index.js';
import { CHATROOM_HISTORY_MAX } from '../src/limits.js';
import { SubSignal } from '../src/protocol/signals.js';
import { eventually, groupSuite, sleep } from './helpers/groups.js';
import { text, type TestUser } from './helpers/users.js';

const kit = groupSuite();

interface Member {
  readonly user: TestUser;
  /** Room messages pushed inline (transparent frames). */
  readonly pushed: ReceivedMessage[];
}

function listen(user: TestUser): Member {
  const pushed: ReceivedMessage[] = [];
  user.client.on('transparent', (message) => pushed.push(message));
  return { user, pushed };
}

async function memberOn(shard: number, transport: Transport): Promise<Member> {
  return listen(await kit.userOn(shard, transport));
}

const roomNew = (): string => `room-${Math.random().toString(36).slice(2, 10)}`;

async function join(member: Member, roomId: string): Promise<void> {
  const answer = await member.user.client.request(SubSignal.CRJ, { roomId });
  assert.equal(answer.code, 0);
}

const roomSay = (roomId: string, body: string, clientMessageId?: string) => ({
  conversation: { type: 2, target: roomId, line: 0 },
  content: text(body),
  ...(clientMessageId === undefined ? {} : { clientMessageId }),
});

async function sendCode(member: Member, roomId: string): Promise<number> {
  try {
    await member.user.client.send(roomSay(roomId, 'refused?'));
  } catch (error) {
    if (error instanceof MagpieError) return error.code;
    throw error;
  }
  return 0;
}

interface HistoryPage {
  readonly messageCount: number;
  readonly messageResponseList: { messageId: string | bigint; content: { content: string } }[];
}

async function history(member: Member, roomId: string, beforeUid: string, count: number) {
  const answer = await member.user.client.request(SubSignal.CRH, { roomId, beforeUid, count });
  return { code: answer.code, page: answer.result as HistoryPage };
}

const bodiesOf = (page: HistoryPage): string[] =>
  page.messageResponseList.map((m) => m.content.content);

const pushedBodies = (member: Member, roomId: string): string[] =>
  member.pushed.filter((m) => m.target === roomId).map((m) => m.content.searchableContent);

describe('chatrooms', () => {
  it('members on both shards get room messages inline; timelines stay untouched', async () => {
    const a = await memberOn(0, 'tcp');
    const b = await memberOn(1, 'ws-compat');
    const c = await memberOn(1, 'tcp');
    const roomId = roomNew();
    for (const member of [a, b, c]) await join(member, roomId);
    await join(a, roomId); // Joining twice is fine.
    const info = await b.user.client.request(SubSignal.CRI, { roomId });
    assert.equal(info.code, 0);
    assert.equal((info.result as { memberCount: number }).memberCount, 3);
    const before = [a, b, c].map((m) => m.user.received.length);
    const ack = await a.user.client.send(roomSay(roomId, 'hello room'));
    await b.user.client.send(roomSay(roomId, 'hi from compat'));
    for (const member of [b, c]) {
      await eventually(() => pushedBodies(member, roomId).includes('hello room'), 'pushed');
      const first = member.pushed.find((m) => m.content.searchableContent === 'hello room');
      assert.equal(first?.messageUid, ack.messageUid);
      assert.equal(first?.from, a.user.uid);
      assert.equal(first?.conversationType, 2);
    }
    await eventually(() => pushedBodies(c, roomId).includes('hi from compat'), 'c got b');
    await eventually(() => pushedBodies(a, roomId).includes('hi from compat'), 'a got b');
    // The sender's device has the ack and is not pushed its own message.
    assert.deepEqual(pushedBodies(a, roomId), ['hi from compat']);
    assert.deepEqual(pushedBodies(b, roomId), ['hello room']);
    // Rooms are read-fan-out: nothing was written to anyone's personal timeline.
    await sleep(100);
    for (const [i, member] of [a, b, c].entries()) {
      await member.user.client.sync();
      assert.equal(member.user.received.length, before[i]);
    }
    const { code, page } = await history(c, roomId, '0', 10);
    assert.equal(code, 0);
    assert.deepEqual(bodiesOf(page), ['hi from compat', 'hello room']);
  });

  it('a retry with the same client message id gets the same ack, stores nothing new', async () => {
    const a = await memberOn(0, 'ws');
    const roomId = roomNew();
    await join(a, roomId);
    const first = await a.user.client.send(roomSay(roomId, 'once', 'cid-1'));
    const again = await a.user.client.send(roomSay(roomId, 'once', 'cid-1'));
    assert.equal(again.messageUid, first.messageUid);
    const { page } = await history(a, roomId, '0', 10);
    assert.deepEqual(bodiesOf(page), ['once']);
  });

  it('non-members get 20 for MS, CRH and CRQ; bad input gets 251; unknown rooms 253', async () => {
    const a = await memberOn(0, 'tcp');
    const outsider = await memberOn(1, 'tcp');
    const roomId = roomNew();
    await join(a, roomId);
    assert.equal(await sendCode(outsider, roomId), 20);
    assert.equal(await sendCode(outsider, roomNew()), 20);
    assert.equal((await history(outsider, roomId, '0', 5)).code, 20);
    const quit = await outsider.user.client.request(SubSignal.CRQ, { roomId });
    assert.equal(quit.code, 20);
    for (const content of [{}, { roomId: '' }, { roomId: 'a b' }, { roomId: 'x'.repeat(65) }, 7]) {
      const answer = await a.user.client.request(SubSignal.CRJ, content);
      assert.equal(answer.code, 251);
    }
    assert.equal((await history(a, roomId, 'nope', 5)).code, 251);
    assert.equal((await history(a, roomId, '0', 0)).code, 251);
    const info = await a.user.client.request(SubSignal.CRI, { roomId: roomNew() });
    assert.equal(info.code, 253);
    assert.equal(outsider.pushed.length, 0);
  });

  it(`the history window keeps the last ${CHATROOM_HISTORY_MAX} messages`, async () => {
    const a = await memberOn(1, 'tcp');
    const roomId = roomNew();
    await join(a, roomId);
    const total = CHATROOM_HISTORY_MAX + 5;
    for (let i = 0; i < total; i++) await a.user.client.send(roomSay(roomId, `m${i}`));
    const { code, page } = await history(a, roomId, '0', CHATROOM_HISTORY_MAX + 50);
    assert.equal(code, 0);
    assert.equal(page.messageCount, CHATROOM_HISTORY_MAX);
    const bodies = bodiesOf(page);
    assert.equal(bodies[0], `m${total - 1}`);
    assert.equal(bodies.at(-1), `m${total - CHATROOM_HISTORY_MAX}`);
    // Paging before a uid: the next older ones, newest first.
    const tenth = page.messageResponseList[9]?.messageId;
    const older = await history(a, roomId, String(tenth), 3);
    const expected = [11, 12, 13].map((back) => `m${total - back}`);
    assert.deepEqual(bodiesOf(older.page), expected);
  });

  it('quit stops delivery and sending', async () => {
    const a = await memberOn(0, 'tcp');
    const b = await memberOn(1, 'ws-compat');
    const c = await memberOn(0, 'ws');
    const roomId = roomNew();
    for (const member of [a, b, c]) await join(member, roomId);
    const quit = await b.user.client.request(SubSignal.CRQ, { roomId });
    assert.equal(quit.code, 0);
    const info = await a.user.client.request(SubSignal.CRI, { roomId });
    assert.equal((info.result as { memberCount: number }).memberCount, 2);
    await a.user.client.send(roomSay(roomId, 'after b left'));
    await eventually(() => pushedBodies(c, roomId).includes('after b left'), 'c got it');
    await sleep(200);
    assert.deepEqual(pushedBodies(b, roomId), []);
    const native = await memberOn(1, 'tcp');
    await join(native, roomId);
    const left = await native.user.client.request(SubSignal.CRQ, { roomId });
    assert.equal(left.code, 0);
    assert.equal(await sendCode(native, roomId), 20);
  });
});

describe('chatrooms: restart', () => {
  it('joins and the history window survive a restart', async () => {
    const a = await memberOn(0, 'tcp');
    const b = await memberOn(1, 'tcp');
    const roomId = roomNew();
    await join(a, roomId);
    await join(b, roomId);
    for (let i = 0; i < 3; i++) await a.user.client.send(roomSay(roomId, `keep ${i}`));
    kit.closeAll();
    assert.equal(await kit.server.stop(), 0);
    await kit.server.restart();
    const a2 = listen(await kit.connect({ transport: 'tcp', mobile: a.user.mobile }));
    const b2 = listen(await kit.connect({ transport: 'ws-compat', mobile: b.user.mobile }));
    const { code, page } = await history(b2, roomId, '0', 10);
    assert.equal(code, 0);
    assert.deepEqual(bodiesOf(page), ['keep 2', 'keep 1', 'keep 0']);
    // Still members without joining again: delivery goes to their new sessions.
    await a2.user.client.send(roomSay(roomId, 'after restart'));
    await eventually(() => pushedBodies(b2, roomId).includes('after restart'), 'b2 got it');
  });
});
