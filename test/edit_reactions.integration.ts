// Edit (ME/MEN), reactions (MRA/MRAN) and quotes on a real server (2 shards): edits reach an
// online receiver (push + re-filed entry) and an offline one on sync, history shows the latest
// version; rights, window and type errors; reactions across shards in pulls; quote round trip.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Notification } from '../src/client/index.js';
import { ContentType, SubSignal } from '../src/protocol/signals.js';
import { editRefusal } from '../src/features/message_edit.js';
import {
  EDIT_WINDOW_MS,
  QUOTE_PREVIEW_CHARS_MAX,
  REACTIONS_PER_MESSAGE_MAX,
} from '../src/limits.js';
import { reactionsAfter } from '../src/features/reactions.js';
import type { StoredMessage } from '../src/store/records.js';
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

async function edit(user: TestUser, messageUid: string, body: string, type = 1) {
  const content = { type, searchableContent: body, content: body };
  return user.client.request(SubSignal.ME, { messageUid, content });
}

async function react(user: TestUser, messageUid: string, emoji: string, on: number) {
  return (await user.client.request(SubSignal.MRA, { messageUid, emoji, on })).code;
}

interface RawEntry {
  readonly messageId: unknown;
  readonly content: { readonly type: number; readonly content?: string; readonly quote?: unknown };
  readonly editVersion?: number;
  readonly reactions?: Record<string, string[]>;
}

/** Raw LRM entries (the SDK's decoder drops fields it does not know). */
async function rawHistory(user: TestUser, type: number, target: string): Promise<RawEntry[]> {
  const conversation = { type, target, line: 0 };
  const request = { conversation, beforeUid: '0', count: 10 };
  const answer = await user.client.request(SubSignal.LRM, request);
  assert.equal(answer.code, 0);
  return (answer.result as { messageResponseList: RawEntry[] }).messageResponseList;
}

/** Polls the newest history entry's reactions (receivers apply after the reactor's answer). */
async function reactionsSettle(
  user: TestUser,
  type: number,
  target: string,
  expected: Record<string, string[]> | undefined,
): Promise<void> {
  let last: unknown;
  for (let attempt = 0; attempt < 100; attempt++) {
    // Two users' reactions may reach a copy in either order: compare the sets.
    const raw = (await rawHistory(user, type, target))[0]?.reactions;
    last = raw === undefined
      ? undefined
      : Object.fromEntries(Object.entries(raw).map(([emoji, uids]) => [emoji, [...uids].sort()]));
    if (JSON.stringify(last) === JSON.stringify(expected)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.deepEqual(last, expected);
}

const bodiesOf = (user: TestUser, uid: string): string[] =>
  user.received.filter((m) => m.messageUid === uid).map((m) => m.content.searchableContent);

describe('edit', () => {
  it('an online receiver on the other shard gets MEN and the re-filed entry', async () => {
    const sender = await kit.userOn(0, 'tcp');
    const receiver = await kit.userOn(1, 'ws-compat');
    const pushes = pushesOf(receiver);
    const ack = await sender.client.send(to(receiver.uid, 'helo'));
    await eventually(() => bodiesOf(receiver, ack.messageUid).length === 1, 'delivered');
    const answer = await edit(sender, ack.messageUid, 'hello');
    assert.equal(answer.code, 0);
    assert.equal((answer.result as { editVersion: number }).editVersion, 1);
    await eventually(() => pushes.some((p) => p.subSignal === SubSignal.MEN), 'MEN');
    const push = pushes.find((p) => p.subSignal === SubSignal.MEN)?.content as {
      fromUser: string; messageUid: unknown; editVersion: number; content: { content: string };
    };
    assert.equal(push.fromUser, sender.uid);
    assert.equal(String(push.messageUid), ack.messageUid);
    assert.equal(push.editVersion, 1);
    assert.equal(push.content.content, 'hello');
    await eventually(() => bodiesOf(receiver, ack.messageUid).includes('hello'), 're-filed');
    assert.equal((await edit(sender, ack.messageUid, 'hello!')).code, 0);
    await eventually(() => bodiesOf(receiver, ack.messageUid).includes('hello!'), 'version 2');
    // History shows the latest version, once, in place.
    const history = await rawHistory(receiver, 0, sender.uid);
    assert.equal(history.length, 1);
    assert.equal(history[0]?.content.content, 'hello!');
    assert.equal(history[0]?.editVersion, 2);
    const own = await rawHistory(sender, 0, receiver.uid);
    assert.equal(own[0]?.editVersion, 2);
  });

  it('an offline device sees the original replaced and the edit at the head', async () => {
    const mobile = mobileNext();
    const sender = await kit.userOn(1, 'ws');
    const phone = await kit.connect({ transport: 'tcp', mobile, deviceId: 'phone' });
    const ack = await sender.client.send(to(phone.uid, 'draft'));
    await eventually(() => phone.received.length === 1, 'delivered');
    phone.client.close();
    assert.equal((await edit(sender, ack.messageUid, 'final')).code, 0);
    const options = { transport: 'ws-compat', mobile, deviceId: 'laptop' } as const;
    const laptop = await kit.connect(options);
    await syncUntil(laptop, () => laptop.received.length >= 2, 'full sync');
    assert.deepEqual(bodiesOf(laptop, ack.messageUid), ['final', 'final']);
  });

  it('refuses others (248), unknown (253), non-text (251), recalled (253)', async () => {
    const sender = await kit.userOn(0, 'ws');
    const receiver = await kit.userOn(1, 'tcp');
    const ack = await sender.client.send(to(receiver.uid, 'mine'));
    await eventually(() => receiver.received.length === 1, 'delivered');
    assert.equal((await edit(receiver, ack.messageUid, 'theirs')).code, 248);
    assert.equal((await edit(sender, '12345', 'x')).code, 253);
    assert.equal((await edit(sender, ack.messageUid, 'x', ContentType.IMAGE)).code, 251);
    assert.equal((await sender.client.request(SubSignal.ME, { messageUid: 'x' })).code, 251);
    const image = await sender.client.send({
      conversation: { type: 0, target: receiver.uid, line: 0 },
      content: { type: ContentType.IMAGE, remoteMediaUrl: 'http://x/y.png' },
    });
    assert.equal((await edit(sender, image.messageUid, 'x')).code, 251);
    const recalled = await sender.client.request(SubSignal.MR, { messageUid: ack.messageUid });
    assert.equal(recalled.code, 0);
    assert.equal((await edit(sender, ack.messageUid, 'late')).code, 253);
  });

  it('edit window: EDIT_WINDOW_MS is allowed, one ms past it is 248', () => {
    const message: StoredMessage = {
      uid: 1n, from: 'a', fromDevice: 'd', conversationType: 0, target: 'b', line: 0,
      timestamp: 1_000, content: { type: ContentType.TEXT, content: 'x' },
    };
    assert.equal(editRefusal(message, 'a', 1_000 + EDIT_WINDOW_MS), 0);
    assert.equal(editRefusal(message, 'a', 1_000 + EDIT_WINDOW_MS + 1), 248);
    assert.equal(editRefusal(message, 'b', 1_000), 248);
  });

  it('a group member edits its own message; another member may not', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const member = await kit.userOn(1, 'ws-compat');
    const other = await kit.userOn(1, 'ws');
    const gid = await groupCreate(owner, [member, other]);
    const ack = await member.client.send(say(gid, 'typo'));
    await eventually(() => bodiesOf(other, ack.messageUid).length === 1, 'fan-out');
    assert.equal((await edit(other, ack.messageUid, 'not mine')).code, 248);
    // The owner's shard files its copy after the sender's ack; edit looks the message up there.
    await syncUntil(owner, () => bodiesOf(owner, ack.messageUid).length === 1, 'owner copy');
    assert.equal((await edit(owner, ack.messageUid, 'not mine')).code, 248);
    assert.equal((await edit(member, ack.messageUid, 'fixed')).code, 0);
    await eventually(() => bodiesOf(other, ack.messageUid).includes('fixed'), 'other sees it');
    await syncUntil(owner, () => bodiesOf(owner, ack.messageUid).includes('fixed'), 'owner');
  });
});

describe('reactions', () => {
  it('add and remove across shards: MRAN and pulls show {emoji: [uid]} only when set', async () => {
    const sender = await kit.userOn(0, 'ws-compat');
    const receiver = await kit.userOn(1, 'ws');
    const senderPushes = pushesOf(sender);
    const ack = await sender.client.send(to(receiver.uid, 'react to me'));
    await eventually(() => receiver.received.length === 1, 'delivered');
    assert.equal(await react(receiver, ack.messageUid, '👍', 1), 0);
    assert.equal(await react(sender, ack.messageUid, '👍', 1), 0);
    await eventually(() => senderPushes.some((p) => p.subSignal === SubSignal.MRAN), 'MRAN');
    const push = senderPushes.find((p) => p.subSignal === SubSignal.MRAN)?.content as {
      fromUser: string; emoji: string; on: number;
    };
    assert.deepEqual([push.fromUser, push.emoji, push.on], [receiver.uid, '👍', 1]);
    for (const [user, peer] of [[sender, receiver], [receiver, sender]] as const) {
      await reactionsSettle(user, 0, peer.uid, { '👍': [receiver.uid, sender.uid].sort() });
    }
    // Adding twice changes nothing; removing both empties the set.
    assert.equal(await react(receiver, ack.messageUid, '👍', 1), 0);
    assert.equal(await react(receiver, ack.messageUid, '👍', 0), 0);
    assert.equal(await react(sender, ack.messageUid, '👍', 0), 0);
    await eventually(
      () => senderPushes.some((p) =>
        p.subSignal === SubSignal.MRAN && (p.content as { on: number }).on === 0),
      'MRAN off',
    );
    await reactionsSettle(receiver, 0, sender.uid, undefined);
    await reactionsSettle(sender, 0, receiver.uid, undefined);
  });

  it('a group reaction reaches members; bad input is 251, unknown 253', async () => {
    const owner = await kit.userOn(1, 'tcp');
    const member = await kit.userOn(0, 'ws');
    const gid = await groupCreate(owner, [member]);
    const ack = await owner.client.send(say(gid, 'vote'));
    await syncUntil(member, () => bodiesOf(member, ack.messageUid).length === 1, 'fan-out');
    assert.equal(await react(member, ack.messageUid, '🎉', 1), 0);
    await reactionsSettle(owner, 1, gid, { '🎉': [member.uid] });
    await reactionsSettle(member, 1, gid, { '🎉': [member.uid] });
    assert.equal(await react(member, ack.messageUid, '', 1), 251);
    assert.equal(await react(member, ack.messageUid, 'x'.repeat(17), 1), 251);
    assert.equal(await react(member, ack.messageUid, '🎉', 2), 251);
    assert.equal(await react(member, '12345', '🎉', 1), 253);
  });

  it('reactionsAfter: stops adding at REACTIONS_PER_MESSAGE_MAX', () => {
    const first = { messageUid: 1n, uid: 'u0', emoji: 'a', on: true };
    let set = reactionsAfter(undefined, first) ?? [];
    for (let i = 1; i < REACTIONS_PER_MESSAGE_MAX; i++) {
      set = reactionsAfter(set, { messageUid: 1n, uid: `u${i}`, emoji: 'a', on: true }) ?? set;
    }
    assert.equal(set[0]?.uids.length, REACTIONS_PER_MESSAGE_MAX);
    const over = { messageUid: 1n, uid: 'z', emoji: 'b', on: true };
    assert.equal(reactionsAfter(set, over), undefined);
    const removed = reactionsAfter(set, { messageUid: 1n, uid: 'u0', emoji: 'a', on: false });
    assert.equal(removed?.[0]?.uids.length, REACTIONS_PER_MESSAGE_MAX - 1);
  });
});

describe('quote', () => {
  for (const transport of ['ws-compat', 'tcp'] as const) {
    it(`${transport}: a reply's quote is stored and returned as sent`, async () => {
      const sender = await kit.userOn(0, transport);
      const receiver = await kit.userOn(1, 'ws');
      const quote = { messageUid: '98765', from: receiver.uid, preview: 'the original' };
      const body = (preview: string) => ({
        conversationType: 0, target: receiver.uid, line: 0,
        content: { type: 1, searchableContent: 'agreed', quote: { ...quote, preview } },
      });
      const sent = await sender.client.request(SubSignal.MS, body(quote.preview));
      assert.equal(sent.code, 0);
      await eventually(() => receiver.received.length === 1, 'delivered');
      for (const [user, peer] of [[receiver, sender], [sender, receiver]] as const) {
        const [entry] = await rawHistory(user, 0, peer.uid);
        assert.deepEqual(entry?.content.quote, quote);
      }
      const longBody = body('x'.repeat(QUOTE_PREVIEW_CHARS_MAX + 1));
      const long = await sender.client.request(SubSignal.MS, longBody);
      assert.notEqual(long.code, 0);
      const exactBody = body('x'.repeat(QUOTE_PREVIEW_CHARS_MAX));
      const exact = await sender.client.request(SubSignal.MS, exactBody);
      assert.equal(exact.code, 0);
    });
  }
});
