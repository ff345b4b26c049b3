// The core chat path on a real server (2 shards, real sockets, real LMDB in a temp dir):
// 1:1 across shards over every transport, offline catch-up, multi-device, retries.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PartitionMap } from '../src/router/partition_map.js';
import type { Transport } from '../src/client/index.js';
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

/** Two users owned by different shards, connected over the given transports. */
async function pairOnTwoShards(a: Transport, b: Transport): Promise<[TestUser, TestUser]> {
  const partitions = new PartitionMap(server.ports.shards);
  const first = await userConnect(server, { transport: a });
  for (let attempt = 0; attempt < 50; attempt++) {
    const second = await userConnect(server, { transport: b });
    if (partitions.shardOf(second.uid) !== partitions.shardOf(first.uid)) return [first, second];
    second.client.close();
  }
  throw new Error('no user on the other shard in 50 tries');
}

async function converse(a: TestUser, b: TestUser): Promise<void> {
  const aBefore = a.received.length;
  const bBefore = b.received.length;
  const ack = await a.client.send({ conversation: { type: 0, target: b.uid, line: 0 }, content: text('hello b') });
  assert.match(ack.messageUid, /^\d+$/);
  // b answers once it has a's message, as a person would: the order is then the same for both.
  await b.waitFor(bBefore + 1);
  await b.client.send({ conversation: { type: 0, target: a.uid, line: 0 }, content: text('hello a') });
  // The receiver is notified (MN); the sending device is not (it has the ack) and sees its own
  // message in its timeline at its next pull.
  await a.waitFor(aBefore + 1);
  await b.waitFor(bBefore + 1);
  await a.client.sync();
  await b.client.sync();
  const atB = await b.waitFor(bBefore + 2);
  const atA = await a.waitFor(aBefore + 2);
  // Each side sees both messages (its own send included) in the same order.
  const bodies = (list: typeof atA) => list.slice(-2).map((m) => m.content.searchableContent);
  assert.deepEqual(bodies(atB), ['hello b', 'hello a']);
  assert.deepEqual(bodies(atA), ['hello b', 'hello a']);
  const fromA = atB.find((m) => m.messageUid === ack.messageUid);
  assert.ok(fromA, 'b received a message with the uid a was acked');
  assert.equal(fromA.from, a.uid);
  assert.equal(fromA.target, b.uid);
}

describe('1:1 chat across shards', () => {
  for (const [a, b] of [
    ['ws-compat', 'ws-compat'],
    ['tcp', 'tcp'],
    ['ws', 'tcp'],
    ['ws-compat', 'tcp'],
  ] as const) {
    it(`${a} ↔ ${b}: both directions delivered, acked uid matches`, async () => {
      const [userA, userB] = await pairOnTwoShards(a, b);
      try {
        await converse(userA, userB);
      } finally {
        userA.client.close();
        userB.client.close();
      }
    });
  }

  it('public ports: users that land on a non-owner shard are proxied and still chat', async () => {
    const partitions = new PartitionMap(server.ports.shards);
    const a = await userConnect(server, { transport: 'tcp', publicPort: true });
    let b: TestUser | undefined;
    for (let i = 0; i < 50 && b === undefined; i++) {
      const candidate = await userConnect(server, { transport: 'ws', publicPort: true });
      if (partitions.shardOf(candidate.uid) !== partitions.shardOf(a.uid)) b = candidate;
      else candidate.client.close();
    }
    assert.ok(b);
    try {
      await converse(a, b);
    } finally {
      a.client.close();
      b.client.close();
    }
  });
});

describe('offline, devices, retries', () => {
  it('an offline user receives everything on reconnect, in seq order', async () => {
    const [a, b] = await pairOnTwoShards('tcp', 'tcp');
    const bMobile = b.mobile;
    await b.client.disconnect(false);
    const sent: string[] = [];
    for (let i = 0; i < 30; i++) {
      sent.push(`offline ${i}`);
      await a.client.send({ conversation: { type: 0, target: b.uid, line: 0 }, content: text(`offline ${i}`) });
    }
    const again = await userConnect(server, { transport: 'tcp', mobile: bMobile });
    const got = await again.waitFor(30);
    assert.deepEqual(
      got.map((m) => m.content.searchableContent),
      sent,
    );
    const seqs = got.map((m) => m.seq ?? -1);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
    assert.equal(new Set(seqs).size, seqs.length);
    a.client.close();
    again.client.close();
  });

  it('two devices of one user both see every message, including sends from the other', async () => {
    const mobile = mobileNext();
    const phone = await userConnect(server, { transport: 'tcp', mobile, deviceId: 'phone' });
    const laptop = await userConnect(server, { transport: 'ws-compat', mobile, deviceId: 'laptop' });
    const peer = await userConnect(server, { transport: 'ws' });
    await phone.client.send({ conversation: { type: 0, target: peer.uid, line: 0 }, content: text('from phone') });
    await peer.client.send({ conversation: { type: 0, target: phone.uid, line: 0 }, content: text('from peer') });
    await laptop.client.send({ conversation: { type: 0, target: peer.uid, line: 0 }, content: text('from laptop') });
    const expected = ['from phone', 'from peer', 'from laptop'];
    await phone.waitFor(3);
    await laptop.waitFor(2);
    await laptop.client.sync();
    for (const device of [phone, laptop]) {
      const got = await device.waitFor(3);
      assert.deepEqual(got.map((m) => m.content.searchableContent), expected);
    }
    phone.client.close();
    laptop.client.close();
    peer.client.close();
  });

  it('a retried MS with the same client message id is stored once and gets the same ack', async () => {
    const [a, b] = await pairOnTwoShards('ws', 'tcp');
    const message = {
      conversation: { type: 0, target: b.uid, line: 0 },
      content: text('only once'),
      clientMessageId: 'retry-me-1',
    };
    const first = await a.client.send(message);
    const second = await a.client.send(message);
    assert.equal(second.messageUid, first.messageUid);
    assert.equal(second.timestamp, first.timestamp);
    await a.client.send({ conversation: message.conversation, content: text('marker') });
    await b.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(b.received.map((m) => m.content.searchableContent), ['only once', 'marker']);
    a.client.close();
    b.client.close();
  });
});

describe('sessions and transient messages', () => {
  it('a second connection of the same device replaces the first; other devices stay', async () => {
    const mobile = mobileNext();
    const first = await userConnect(server, { transport: 'tcp', mobile, deviceId: 'phone' });
    const other = await userConnect(server, { transport: 'ws', mobile, deviceId: 'tablet' });
    const closed = new Promise<boolean>((resolve) =>
      first.client.on('disconnected', (info) => resolve(info.willReconnect)),
    );
    const second = await userConnect(server, { transport: 'tcp', mobile, deviceId: 'phone' });
    assert.equal(await closed, false, 'the replaced connection does not reconnect');
    const peer = await userConnect(server, { transport: 'tcp' });
    await peer.client.send({ conversation: { type: 0, target: second.uid, line: 0 }, content: text('to both') });
    assert.equal((await second.waitFor(1))[0]?.content.searchableContent, 'to both');
    assert.equal((await other.waitFor(1))[0]?.content.searchableContent, 'to both');
    assert.equal(first.client.connected, false);
    second.client.close();
    other.client.close();
    peer.client.close();
  });

  it('DISCONNECT with clearSession logs the device out: its token no longer connects', async () => {
    const { login, MagpieClient } = await import('../src/client/index.js');
    const result = await login(server.httpBase, mobileNext(), 'leaving');
    const options = {
      transport: 'tcp' as const,
      host: '127.0.0.1',
      port: result.endpoints.tcpPort,
      uid: result.userId,
      token: result.token,
      deviceId: 'leaving',
      autoReconnect: false,
    };
    const client = new MagpieClient(options);
    await client.connect();
    await client.disconnect(true);
    const again = new MagpieClient(options);
    await assert.rejects(again.connect(), (error: { code?: number }) => error.code === 8);
  });

  it('typing (91) is pushed to online devices only, without a seq, and never stored', async () => {
    const [a, b] = await pairOnTwoShards('tcp', 'ws-compat');
    const typing = new Promise<{ type: number; from: string }>((resolve) =>
      b.client.on('transparent', (m) => resolve({ type: m.content.type, from: m.from })),
    );
    await a.client.send({ conversation: { type: 0, target: b.uid, line: 0 }, content: { type: 91 } });
    assert.deepEqual(await typing, { type: 91, from: a.uid });
    await b.client.sync();
    await a.client.sync();
    assert.equal(b.received.length, 0);
    assert.equal(a.received.length, 0);
    a.client.close();
    b.client.close();
  });
});

describe('content types', () => {
  const samples = [
    { type: 2, remoteMediaUrl: 'https://example.com/v.amr', mediaType: 2, content: '3' },
    { type: 3, binaryContent: Buffer.from('thumb').toString('base64'), mediaType: 1,
      remoteMediaUrl: 'https://example.com/i.jpg' },
    { type: 4, searchableContent: 'Home', content: '{"lat":1.5,"long":2.5}',
      binaryContent: Buffer.from('map').toString('base64') },
    { type: 5, searchableContent: 'a.pdf', remoteMediaUrl: 'https://example.com/a.pdf',
      mediaType: 4, content: '1024' },
    { type: 6, remoteMediaUrl: 'https://example.com/v.mp4', mediaType: 3 },
    { type: 7, remoteMediaUrl: 'https://example.com/s.gif', content: '{"w":64,"h":64}' },
    { type: 8, searchableContent: 'news', content: '{"articles":[]}' },
    { type: 400, content: 'call-1', pushContent: 'Incoming call' },
    { type: 1000, content: '{"card":true}', extra: 'x' },
    { type: 2_147_483_647, binaryContent: Buffer.from([0, 1, 2, 255]).toString('base64') },
  ];
  for (const [a, b] of [
    ['tcp', 'ws-compat'],
    ['ws-compat', 'ws'],
  ] as const) {
    it(`${a} → ${b}: every content type, custom ones too, arrives as sent; a forward keeps it`,
      async () => {
        const [sender, receiver] = await pairOnTwoShards(a, b);
        const third = await userConnect(server, { transport: a });
        for (const content of samples) {
          await sender.client.send({ conversation: { type: 0, target: receiver.uid, line: 0 },
            content });
        }
        const got = await receiver.waitFor(samples.length);
        samples.forEach((sample, i) => {
          const content = got[i]?.content as unknown as Record<string, unknown>;
          for (const [key, value] of Object.entries(sample)) {
            assert.deepEqual(content[key], value, `type ${sample.type}: ${key}`);
          }
        });
        // Forward: the client re-sends the content it holds; the server stores it as new.
        const original = got[2];
        assert.ok(original !== undefined);
        const forward = await receiver.client.send({
          conversation: { type: 0, target: third.uid, line: 0 },
          content: original.content,
        });
        const [forwarded] = await third.waitFor(1);
        assert.equal(forwarded?.messageUid, forward.messageUid);
        assert.notEqual(forwarded?.messageUid, original.messageUid);
        assert.deepEqual(forwarded?.content, original.content);
        assert.equal(forwarded?.from, receiver.uid);
        for (const user of [sender, receiver, third]) user.client.close();
      });
  }
});
