// The conversation list on a real server (2 shards): last message, unread count and mention flag
// follow appends; the user's own read report resets unread on every device (CLN, and a pull by a
// device that was offline); pin, do-not-disturb and draft; pulls by version; bad settings.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Notification } from '../src/client/index.js';
import { CONVERSATION_DRAFT_CHARS_MAX } from '../src/limits.js';
import { SubSignal } from '../src/protocol/signals.js';
import { eventually, groupCreate, groupSuite, say } from './helpers/groups.js';
import { mobileNext, text, type TestUser } from './helpers/users.js';

const kit = groupSuite();

interface Row {
  conversation: { type: number; target: string; line: number };
  lastMessage: { messageId: unknown; content: { searchableContent?: string; type: number } } | null;
  unread: number;
  mentionedType: number;
  readUid: unknown;
  pinned: number;
  silent: number;
  draft: string;
  timestamp: number;
}

async function listOf(user: TestUser, version = 0): Promise<{ version: number; rows: Row[] }> {
  const answer = await user.client.request(SubSignal.CLP, { version });
  assert.equal(answer.code, 0);
  const result = answer.result as { version: number | string; conversations: Row[] };
  return { version: Number(result.version), rows: result.conversations };
}

async function rowOf(user: TestUser, target: string): Promise<Row | undefined> {
  return (await listOf(user)).rows.find((row) => row.conversation.target === target);
}

function pushesOf(user: TestUser): Notification[] {
  const pushes: Notification[] = [];
  user.client.on('notify', (push) => pushes.push(push));
  return pushes;
}

describe('conversations: list', () => {
  it('unread counts others\' messages; a read report resets it on every device', async () => {
    const mobile = mobileNext();
    const phone = await kit.connect({ transport: 'tcp', mobile, deviceId: 'phone' });
    const web = await kit.connect({ transport: 'ws-compat', mobile, deviceId: 'web' });
    const peer = await kit.userOn(1, 'ws');
    const webPushes = pushesOf(web);
    const conversation = { type: 0, target: phone.uid, line: 0 };
    await peer.client.send({ conversation, content: text('one') });
    const second = await peer.client.send({ conversation, content: text('two') });
    await eventually(() => phone.received.length === 2 && web.received.length === 2, 'delivered');
    const row = await rowOf(web, peer.uid);
    assert.equal(row?.unread, 2);
    assert.equal(row?.lastMessage?.content.searchableContent, 'two');
    assert.equal(row?.conversation.type, 0);
    // The peer's own row: its own messages are never unread.
    assert.equal((await rowOf(peer, phone.uid))?.unread, 0);
    const read = await phone.client.request(SubSignal.MRR, { messageUid: second.messageUid });
    assert.equal(read.code, 0);
    await eventually(() => webPushes.some((p) => p.subSignal === SubSignal.CLN), 'CLN on web');
    const after = await rowOf(web, peer.uid);
    assert.equal(after?.unread, 0);
    assert.equal(String(after?.readUid), second.messageUid);
    // A device that was offline learns it from a pull.
    const tablet = await kit.connect({ transport: 'ws', mobile, deviceId: 'tablet' });
    assert.equal((await rowOf(tablet, peer.uid))?.unread, 0);
  });

  it('a read report up to an older message leaves the newer ones unread', async () => {
    const user = await kit.userOn(0, 'ws');
    const peer = await kit.userOn(1, 'tcp');
    const conversation = { type: 0, target: user.uid, line: 0 };
    const first = await peer.client.send({ conversation, content: text('a') });
    await peer.client.send({ conversation, content: text('b') });
    await peer.client.send({ conversation, content: text('c') });
    await eventually(() => user.received.length === 3, 'delivered');
    const read = await user.client.request(SubSignal.MRR, { messageUid: first.messageUid });
    assert.equal(read.code, 0);
    assert.equal((await rowOf(user, peer.uid))?.unread, 2);
  });

  it('group mentions: listed users get 1, everyone gets 2', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const listed = await kit.userOn(1, 'ws-compat');
    const other = await kit.userOn(1, 'ws');
    const gid = await groupCreate(owner, [listed, other]);
    const mention = say(gid, '@listed');
    await owner.client.send({
      ...mention,
      content: { ...mention.content, mentionedType: 1, mentionedTargets: [listed.uid] },
    });
    await eventually(() => other.received.filter((m) => m.content.type === 1).length === 1, 'sent');
    assert.equal((await rowOf(listed, gid))?.mentionedType, 1);
    assert.equal((await rowOf(other, gid))?.mentionedType, 0);
    const everyone = say(gid, '@all');
    await owner.client.send({ ...everyone, content: { ...everyone.content, mentionedType: 2 } });
    await eventually(() => other.received.filter((m) => m.content.type === 1).length === 2, 'sent');
    const row = await rowOf(other, gid);
    assert.equal(row?.mentionedType, 2);
    assert.equal(row?.unread, 2);
    assert.equal(row?.conversation.type, 1);
  });

  it('pin, do-not-disturb and draft reach other devices; pulls by version', async () => {
    const mobile = mobileNext();
    const phone = await kit.connect({ transport: 'ws', mobile, deviceId: 'p' });
    const web = await kit.connect({ transport: 'ws-compat', mobile, deviceId: 'w' });
    const webPushes = pushesOf(web);
    const start = await listOf(phone);
    const conversation = { type: 0, target: 'friendx', line: 0 };
    const set = await phone.client.request(SubSignal.CLS, {
      conversation,
      pinned: 1,
      silent: true,
      draft: 'half a thought',
    });
    assert.equal(set.code, 0);
    const version = Number((set.result as { version: number }).version);
    await eventually(() => webPushes.some((p) => p.subSignal === SubSignal.CLN), 'CLN');
    const changed = await listOf(web, start.version);
    assert.equal(changed.version, version);
    assert.equal(changed.rows.length, 1);
    assert.equal(changed.rows[0]?.pinned, 1);
    assert.equal(changed.rows[0]?.silent, 1);
    assert.equal(changed.rows[0]?.draft, 'half a thought');
    assert.equal(changed.rows[0]?.lastMessage, null);
    assert.deepEqual((await listOf(web, version)).rows, []);
    const unpin = await web.client.request(SubSignal.CLS, { conversation, pinned: 0 });
    assert.equal(unpin.code, 0);
    const row = (await listOf(phone, version)).rows[0];
    assert.equal(row?.pinned, 0);
    assert.equal(row?.draft, 'half a thought');
  });

  it('bad settings are refused: 251 native, a failure over compat', async () => {
    const user = await kit.userOn(0, 'tcp');
    const conversation = { type: 0, target: 'peer', line: 0 };
    const long = 'x'.repeat(CONVERSATION_DRAFT_CHARS_MAX + 1);
    const tooLong = await user.client.request(SubSignal.CLS, { conversation, draft: long });
    assert.equal(tooLong.code, 251);
    const fits = 'x'.repeat(CONVERSATION_DRAFT_CHARS_MAX);
    assert.equal((await user.client.request(SubSignal.CLS, { conversation, draft: fits })).code, 0);
    assert.equal((await user.client.request(SubSignal.CLS, { conversation, pinned: 2 })).code, 251);
    assert.equal((await user.client.request(SubSignal.CLS, { pinned: 1 })).code, 251);
    const compat = await kit.userOn(1, 'ws-compat');
    const refused = await compat.client.request(SubSignal.CLS, { conversation, silent: 7 });
    assert.notEqual(refused.code, 0);
  });
});
