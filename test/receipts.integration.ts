// Receipts on a real server (2 shards): 1:1 delivery and read reports reach the sender's devices
// as MRN and are pulled with MRP (also after reconnecting); group read cursors answer "read by
// N of M" and who; bad and unknown reports are refused.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Notification } from '../src/client/index.js';
import { SubSignal } from '../src/protocol/signals.js';
import { eventually, groupCreate, groupSuite, say, syncUntil } from './helpers/groups.js';
import { text, type TestUser } from './helpers/users.js';

const kit = groupSuite();

function pushesOf(user: TestUser): Notification[] {
  const pushes: Notification[] = [];
  user.client.on('notify', (push) => pushes.push(push));
  return pushes;
}

interface MrpAnswer {
  cursors: { uid: string; readUid: unknown; deliveredUid: unknown }[];
  memberCount: number;
  readCount: number;
  deliveredCount: number;
  readers: string[];
}

const to = (target: string, body: string) => ({
  conversation: { type: 0, target, line: 0 },
  content: text(body),
});

describe('receipts: 1:1', () => {
  for (const [a, b] of [
    ['tcp', 'ws-compat'],
    ['ws-compat', 'ws'],
  ] as const) {
    it(`delivery then read reports (${b}) reach the sender (${a}) as MRN and MRP`, async () => {
      const sender = await kit.userOn(0, a);
      const reader = await kit.userOn(1, b);
      const pushes = pushesOf(sender);
      const ack = await sender.client.send(to(reader.uid, 'read me'));
      await eventually(() => reader.received.length === 1, 'delivered');
      const conversation = { type: 0, target: sender.uid, line: 0 };
      const report = { conversation, messageUid: ack.messageUid };
      const delivered = await reader.client.request(SubSignal.MDR, report);
      assert.equal(delivered.code, 0);
      await eventually(() => pushes.some((p) => p.subSignal === SubSignal.MRN), 'MRN delivered');
      const first = pushes.find((p) => p.subSignal === SubSignal.MRN)?.content as {
        uid: string;
        messageUid: unknown;
        type: number;
        conversation: { target: string };
      };
      assert.equal(first.uid, reader.uid);
      assert.equal(String(first.messageUid), ack.messageUid);
      assert.equal(first.type, 0);
      assert.equal(first.conversation.target, reader.uid);
      const read = await reader.client.request(SubSignal.MRR, { messageUid: ack.messageUid });
      assert.equal(read.code, 0);
      const mrns = () => pushes.filter((p) => p.subSignal === SubSignal.MRN).length;
      await eventually(() => mrns() === 2, 'MRN read');
      const pull = await sender.client.request(SubSignal.MRP, {
        conversation: { type: 0, target: reader.uid, line: 0 },
        messageUid: ack.messageUid,
      });
      assert.equal(pull.code, 0);
      const answer = pull.result as MrpAnswer;
      assert.equal(answer.readCount, 1);
      assert.deepEqual(answer.readers, [reader.uid]);
      assert.equal(String(answer.cursors[0]?.readUid), ack.messageUid);
      // A stale report moves nothing and pushes nothing.
      const before = pushes.length;
      const again = await reader.client.request(SubSignal.MDR, { messageUid: ack.messageUid });
      assert.equal(again.code, 0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(pushes.length, before);
    });
  }

  it('reports of unknown or mismatched messages are refused', async () => {
    const sender = await kit.userOn(0, 'ws');
    const reader = await kit.userOn(1, 'tcp');
    const ack = await sender.client.send(to(reader.uid, 'x'));
    await eventually(() => reader.received.length === 1, 'delivered');
    assert.equal((await reader.client.request(SubSignal.MRR, { messageUid: '777' })).code, 253);
    const elsewhere = { type: 0, target: 'someoneelse', line: 0 };
    const wrong = { conversation: elsewhere, messageUid: ack.messageUid };
    assert.equal((await reader.client.request(SubSignal.MRR, wrong)).code, 251);
    assert.equal((await reader.client.request(SubSignal.MRR, { messageUid: 'no' })).code, 251);
    assert.equal((await reader.client.request(SubSignal.MRP, {})).code, 251);
  });
});

describe('receipts: groups', () => {
  it('read by N of M and who read, pulled by the sender; MRN to the sender', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const b = await kit.userOn(1, 'ws-compat');
    const c = await kit.userOn(1, 'ws');
    const d = await kit.userOn(0, 'ws');
    const gid = await groupCreate(owner, [b, c, d]);
    const pushes = pushesOf(owner);
    const ack = await owner.client.send(say(gid, 'who reads?'));
    for (const user of [b, c, d]) {
      await eventually(() => user.received.some((m) => m.messageUid === ack.messageUid), 'fan-out');
    }
    assert.equal((await b.client.request(SubSignal.MRR, { messageUid: ack.messageUid })).code, 0);
    assert.equal((await c.client.request(SubSignal.MDR, { messageUid: ack.messageUid })).code, 0);
    await eventually(() => pushes.filter((p) => p.subSignal === SubSignal.MRN).length >= 2, 'MRNs');
    const own = () => owner.received.some((m) => m.messageUid === ack.messageUid);
    await syncUntil(owner, own, 'own');
    const conversation = { type: 1, target: gid, line: 0 };
    let answer: MrpAnswer | undefined;
    for (;;) {
      const question = { conversation, messageUid: ack.messageUid };
      const pull = await owner.client.request(SubSignal.MRP, question);
      assert.equal(pull.code, 0);
      answer = pull.result as MrpAnswer;
      if (answer.deliveredCount === 2) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(answer.memberCount, 3);
    assert.equal(answer.readCount, 1);
    assert.deepEqual(answer.readers, [b.uid]);
    // A stranger may not pull the group's receipts.
    const stranger = await kit.userOn(1, 'tcp');
    const refused = await stranger.client.request(SubSignal.MRP, { conversation });
    assert.equal(refused.code, 9);
  });
});
