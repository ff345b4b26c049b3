// MN with inline entries (PROTOCOL.md §8.1) on a real server: native devices get small new
// entries inside the MN, compat devices get the head only, large entries are pulled, and the
// SDK's inbox emits every message once, in seq order, whichever way it arrived.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MN_INLINE_BYTES_MAX } from '../src/limits.js';
import { SubSignal } from '../src/protocol/signals.js';
import type { Notification } from '../src/client/index.js';
import { serverStart, type TestServer } from './helpers/server.js';
import { mobileNext, text, userConnect, type TestUser } from './helpers/users.js';

let server: TestServer;

before(async () => {
  server = await serverStart({ shards: 2 });
});
after(async () => {
  await server.stop();
  server.cleanup();
});

/** Every MN content the device receives, in order. */
function notifiesOf(user: TestUser): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  user.client.on('notify', (notification: Notification) => {
    if (notification.subSignal !== SubSignal.MN) return;
    out.push(notification.content as Record<string, unknown>);
  });
  return out;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(check(), `timeout: ${what}`);
}

describe('MN inline entries', () => {
  it('native devices get a small entry inside the MN, compat devices the head only', async () => {
    const mobile = mobileNext();
    const native = await userConnect(server, { transport: 'tcp', mobile, deviceId: 'native' });
    const compat = await userConnect(server, { transport: 'ws-compat', mobile, deviceId: 'web' });
    const peer = await userConnect(server, { transport: 'ws' });
    const nativeNotifies = notifiesOf(native);
    const compatNotifies = notifiesOf(compat);
    try {
      const ack = await peer.client.send({
        conversation: { type: 0, target: native.uid, line: 0 }, content: text('inline me'),
      });
      await until(() => nativeNotifies.length > 0 && compatNotifies.length > 0, 'both MN');
      const mn = nativeNotifies[0]!;
      assert.equal(typeof mn['messageHead'], 'number');
      const list = mn['messageResponseList'] as Record<string, unknown>[];
      assert.equal(list.length, 1);
      assert.equal(list[0]!['seq'], mn['messageHead']);
      assert.equal(String(list[0]!['messageId']), ack.messageUid);
      assert.equal((list[0]!['content'] as Record<string, unknown>)['searchableContent'],
        'inline me');
      assert.deepEqual(Object.keys(compatNotifies[0]!).sort(), ['messageHead', 'type']);
      assert.equal(typeof compatNotifies[0]!['messageHead'], 'string');
      for (const device of [native, compat]) {
        const got = await device.waitFor(1);
        assert.equal(got[0]?.messageUid, ack.messageUid);
        assert.equal(got[0]?.content.searchableContent, 'inline me');
      }
    } finally {
      for (const user of [native, compat, peer]) user.client.close();
    }
  });

  it('an entry over MN_INLINE_BYTES_MAX is announced by head only and pulled', async () => {
    const [receiver, peer] = await Promise.all([
      userConnect(server, { transport: 'ws' }),
      userConnect(server, { transport: 'tcp' }),
    ]);
    const notifies = notifiesOf(receiver);
    try {
      const big = 'y'.repeat(MN_INLINE_BYTES_MAX);
      await peer.client.send({ conversation: { type: 0, target: receiver.uid, line: 0 },
        content: text(big) });
      const got = await receiver.waitFor(1);
      assert.equal(got[0]?.content.searchableContent, big);
      assert.equal(notifies.length, 1);
      assert.equal(notifies[0]!['messageResponseList'], undefined);
    } finally {
      receiver.client.close();
      peer.client.close();
    }
  });

  it('a burst mixing inline and pulled entries reaches the SDK once each, in seq order',
    async () => {
      const [receiver, peer] = await Promise.all([
        userConnect(server, { transport: 'tcp' }),
        userConnect(server, { transport: 'ws' }),
      ]);
      try {
        const sent: string[] = [];
        const sends: Promise<unknown>[] = [];
        for (let i = 0; i < 60; i++) {
          // Every seventh is too big to go inline: the receiver has to pull around it.
          const body = i % 7 === 3 ? `big ${i} ${'z'.repeat(MN_INLINE_BYTES_MAX)}` : `small ${i}`;
          sent.push(body);
          sends.push(peer.client.send({ conversation: { type: 0, target: receiver.uid, line: 0 },
            content: text(body) }));
        }
        await Promise.all(sends);
        const got = await receiver.waitFor(60);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(receiver.received.length, 60);
        assert.deepEqual(got.map((m) => m.content.searchableContent), sent);
        const seqs = got.map((m) => m.seq ?? -1);
        assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i));
      } finally {
        receiver.client.close();
        peer.client.close();
      }
    });
});
