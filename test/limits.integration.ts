// Limits under load on a real server: a flooding sender gets 250 while others are served; a
// reader that stops reading is cut at its send budget and resumes from its cursor; SIGTERM
// drains: /readyz turns 503, clients get a non-terminal close, every ack is durable.

import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import { USER_SENDS_BURST_SECONDS, USER_SENDS_PER_SECOND } from '../src/limits.js';
import { MagpieError } from '../src/client/index.js';
import { login } from '../src/client/index.js';
import { bodyEncode } from '../src/protocol/body_codec.js';
import { frameEncode } from '../src/protocol/native_frame.js';
import { Signal, SubSignal } from '../src/protocol/signals.js';
import { serverStart } from './helpers/server.js';
import { mobileNext, text, userConnect } from './helpers/users.js';

describe('limits under load', () => {
  it('a user over its send rate gets 250; another user is served meanwhile', async () => {
    const server = await serverStart();
    try {
      const flooder = await userConnect(server, { transport: 'tcp' });
      const target = await userConnect(server, { transport: 'tcp' });
      const calm = await userConnect(server, { transport: 'ws' });
      const friend = await userConnect(server, { transport: 'tcp' });
      const attempts = USER_SENDS_PER_SECOND * USER_SENDS_BURST_SECONDS * 2;
      const results = await Promise.allSettled(
        Array.from({ length: attempts }, (_, i) =>
          flooder.client.send({
            conversation: { type: 0, target: target.uid, line: 0 },
            content: text(`f${i}`),
          }),
        ),
      );
      const limited = results.filter(
        (r) =>
          r.status === 'rejected' &&
          r.reason instanceof MagpieError &&
          r.reason.code === ErrorCode.OVER_FREQUENCY,
      ).length;
      assert.ok(limited > 0, 'some sends were refused with 250');
      const started = Date.now();
      await calm.client.send({
        conversation: { type: 0, target: friend.uid, line: 0 },
        content: text('calm'),
      });
      await friend.waitFor(1);
      assert.ok(Date.now() - started < 2_000, 'the calm user is served promptly');
      for (const user of [flooder, target, calm, friend]) user.client.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  it('config userSendsPerSecond sets the rate: 50/s refuses part of 300 sent at once', async () => {
    const perSecond = 50;
    const server = await serverStart({ env: { MAGPIE_USER_SENDS_PER_SECOND: String(perSecond) } });
    const users: { client: { close(): void } }[] = [];
    try {
      const sender = await userConnect(server, { transport: 'tcp' });
      users.push(sender);
      const target = await userConnect(server, { transport: 'tcp' });
      users.push(target);
      const results = await Promise.allSettled(Array.from({ length: 300 }, (_, i) =>
        sender.client.send({ conversation: { type: 0, target: target.uid, line: 0 },
          content: text(`r${i}`) })));
      const refused = results.filter((r) => r.status === 'rejected' &&
        r.reason instanceof MagpieError && r.reason.code === ErrorCode.OVER_FREQUENCY).length;
      const accepted = results.filter((r) => r.status === 'fulfilled').length;
      // The burst is USER_SENDS_BURST_SECONDS of the rate, plus what refills meanwhile; the
      // default rate would take all 300.
      assert.ok(accepted >= perSecond * USER_SENDS_BURST_SECONDS, `accepted ${accepted}`);
      assert.ok(refused > 0 && refused + accepted === 300, `refused ${refused}`);
    } finally {
      for (const user of users) user.client.close();
      await server.stop();
      server.cleanup();
    }
  });

  it('a reader that stops reading is cut at its budget, and resumes from its cursor', async () => {
    const server = await serverStart();
    try {
      const sender = await userConnect(server, { transport: 'tcp' });
      const mobile = mobileNext();
      const result = await login(server.httpBase, mobile, 'slow');
      // Fill the reader's timeline with large messages, then ask for pages and never read.
      const big = 'x'.repeat(30_000);
      for (let i = 0; i < 40; i++) {
        await sender.client.send({
          conversation: { type: 0, target: result.userId, line: 0 },
          content: text(`${i}:${big}`),
        });
      }
      const socket = net.connect(result.endpoints.tcpPort, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.pause();
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => undefined);
      socket.write(
        frameEncode(
          Signal.CONNECT,
          0,
          1,
          bodyEncode({ userName: result.userId, password: result.token, clientIdentifier: 'slow' }),
        ),
      );
      for (let i = 0; i < 400; i++) {
        const pull = { messageId: 1, type: 0, pullType: 1, sendMessageCount: 0 };
        socket.write(frameEncode(Signal.PUBLISH, SubSignal.MP, 2 + i, bodyEncode(pull)));
      }
      // A paused socket cannot see its close; read what the kernel holds after a while.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      socket.resume();
      await Promise.race([
        closed,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('slow reader was not cut')), 15_000),
        ),
      ]);
      const requestedBytes = 400 * 1_000_000;
      assert.ok(
        received < requestedBytes / 10,
        `cut early: got ${received} bytes of ~${requestedBytes}`,
      );
      // Nothing was lost: a proper client gets every message from its cursor.
      const again = await userConnect(server, { transport: 'tcp', mobile, deviceId: 'slow' });
      const got = await again.waitFor(40);
      assert.deepEqual(
        got.map((m) => m.content.searchableContent?.split(':')[0]),
        Array.from({ length: 40 }, (_, i) => String(i)),
      );
      sender.client.close();
      again.client.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });

  it('SIGTERM under load: readyz 503, clients told to go away, every ack durable', async () => {
    const server = await serverStart();
    try {
      const a = await userConnect(server, { transport: 'ws' });
      const b = await userConnect(server, { transport: 'tcp' });
      const closes: number[] = [];
      a.client.on('disconnected', (info) => {
        if (info.code !== null) closes.push(info.code);
      });
      const acked: string[] = [];
      let stop = false;
      const sender = async (): Promise<void> => {
        for (let i = 0; !stop; i++) {
          try {
            const ack = await a.client.send({
              conversation: { type: 0, target: b.uid, line: 0 },
              content: text(`t${i}`),
            });
            acked.push(ack.messageUid);
          } catch {
            return;
          }
        }
      };
      const senders = Array.from({ length: 8 }, () => sender());
      while (acked.length < 100) await new Promise((resolve) => setTimeout(resolve, 5));
      const exited = server.stop();
      // The signal takes a moment to arrive: poll until readiness changes (503, or closed).
      let ready = 200;
      for (let i = 0; i < 200 && ready === 200; i++) {
        ready = await fetch(`${server.httpBase}/readyz`).then(
          (r) => r.status,
          () => 0,
        );
        if (ready === 200) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const code = await exited;
      stop = true;
      await Promise.all(senders);
      a.client.close();
      b.client.close();
      assert.equal(code, 0);
      assert.ok(ready === 503 || ready === 0, `readyz during drain answered ${ready}`);
      assert.ok(closes.includes(1001), `a WebSocket client got 1001 (got ${closes.join(',')})`);
      await server.restart();
      const b2 = await userConnect(server, { transport: 'tcp', mobile: b.mobile });
      const deadline = Date.now() + 10_000;
      const has = (): number => b2.received.filter((m) => acked.includes(m.messageUid)).length;
      while (has() < acked.length && Date.now() < deadline) {
        await b2.client.sync();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(has(), acked.length, 'every acked message survived the drain');
      b2.client.close();
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
