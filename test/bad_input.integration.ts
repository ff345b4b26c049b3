// Bad input against a real server over raw sockets: every malformed, oversize or out-of-order
// frame gets the protocol's code or a close, and other users carry on unharmed.

import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { ErrorCode } from '../src/errors.js';
import { FRAME_BODY_BYTES_MAX, WS_MESSAGE_BYTES_MAX } from '../src/limits.js';
import { ackDecode, bodyEncode } from '../src/protocol/body_codec.js';
import { FrameReader, frameEncode } from '../src/protocol/native_frame.js';
import type { Frame } from '../src/protocol/frame.js';
import { Signal, SubSignal } from '../src/protocol/signals.js';
import { login } from '../src/client/index.js';
import { serverStart, type TestServer } from './helpers/server.js';
import { mobileNext, text, userConnect } from './helpers/users.js';

let server: TestServer;
before(async () => {
  server = await serverStart();
});
after(async () => {
  await server.stop();
  server.cleanup();
});

/** A raw TCP connection that collects frames and notices the close. */
async function rawTcp(): Promise<{
  socket: net.Socket;
  frames: Frame[];
  closed: Promise<void>;
  next(): Promise<Frame>;
}> {
  const socket = net.connect(server.ports.tcp, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const frames: Frame[] = [];
  const waiting: ((frame: Frame) => void)[] = [];
  const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
  socket.on('data', (chunk) => {
    reader.feed(chunk, (frame) => {
      const copy = { ...frame, body: Buffer.from(frame.body) };
      const waiter = waiting.shift();
      if (waiter !== undefined) waiter(copy);
      else frames.push(copy);
    });
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    socket,
    frames,
    closed,
    next: () => {
      const ready = frames.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function rawConnected(): Promise<Awaited<ReturnType<typeof rawTcp>>> {
  const deviceId = 'raw-device';
  const result = await login(server.httpBase, mobileNext(), deviceId);
  // Public TCP port is shard 0: connect directly to the owner to stay unproxied.
  const raw = await rawTcp();
  raw.socket.write(
    frameEncode(
      Signal.CONNECT,
      0,
      1,
      bodyEncode({ userName: result.userId, password: result.token, clientIdentifier: deviceId }),
    ),
  );
  const ack = await raw.next();
  assert.equal(ack.signal, Signal.CONNECT_ACK);
  assert.equal(ack.subSignal, SubSignal.CONNECTION_ACCEPTED);
  return raw;
}

describe('bad input', () => {
  it('bad magic closes the TCP connection; others carry on', async () => {
    const a = await userConnect(server, { transport: 'tcp' });
    const b = await userConnect(server, { transport: 'ws' });
    const raw = await rawTcp();
    raw.socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await withTimeout(raw.closed, 5_000, 'close after bad magic');
    await a.client.send({
      conversation: { type: 0, target: b.uid, line: 0 },
      content: text('still here'),
    });
    const got = await b.waitFor(1);
    assert.equal(got[0]?.content.searchableContent, 'still here');
    a.client.close();
    b.client.close();
  });

  it('a declared length of 2^31-1 closes the connection before any body is sent', async () => {
    const raw = await rawTcp();
    const header = Buffer.alloc(10);
    header.writeUInt8(0xf8, 0);
    header.writeUInt8(3, 1);
    header.writeUInt8(Signal.PUBLISH, 2);
    header.writeInt32BE(0x7fffffff, 3);
    raw.socket.write(header);
    await withTimeout(raw.closed, 5_000, 'close after oversize length');
  });

  it('a negative length closes the connection', async () => {
    const raw = await rawTcp();
    const header = Buffer.alloc(10);
    header.writeUInt8(0xf8, 0);
    header.writeUInt8(3, 1);
    header.writeUInt8(Signal.PUBLISH, 2);
    header.writeInt32BE(-5, 3);
    raw.socket.write(header);
    await withTimeout(raw.closed, 5_000, 'close after negative length');
  });

  it('protocol version 2 gets CONNECT_ACK UNACCEPTABLE_PROTOCOL_VERSION, then close', async () => {
    const raw = await rawTcp();
    const frame = frameEncode(Signal.CONNECT, 0, 1, Buffer.alloc(0));
    frame.writeUInt8(2, 1);
    raw.socket.write(frame);
    const ack = await withTimeout(raw.next(), 5_000, 'connect ack');
    assert.equal(ack.signal, Signal.CONNECT_ACK);
    assert.equal(ack.subSignal, SubSignal.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION);
    await withTimeout(raw.closed, 5_000, 'close after version 2');
  });

  it('PUBLISH before CONNECT gets NOT_CONNECTED', async () => {
    const raw = await rawTcp();
    raw.socket.write(frameEncode(Signal.PUBLISH, SubSignal.MS, 7, bodyEncode({ target: 'x' })));
    const answer = await withTimeout(raw.next(), 5_000, 'answer');
    assert.equal(answer.signal, Signal.PUB_ACK);
    assert.equal(answer.messageId, 7);
    const ack = ackDecode(answer.body);
    assert.ok(ack.ok);
    assert.equal(ack.value.code, ErrorCode.NOT_CONNECTED);
    raw.socket.destroy();
  });

  it('a forged token is refused with BAD_USER_NAME_OR_PASSWORD and a close', async () => {
    const result = await login(server.httpBase, mobileNext(), 'forger');
    const forged =
      result.token.slice(0, 10) + (result.token[10] === 'A' ? 'B' : 'A') + result.token.slice(11);
    const raw = await rawTcp();
    raw.socket.write(
      frameEncode(
        Signal.CONNECT,
        0,
        1,
        bodyEncode({ userName: result.userId, password: forged, clientIdentifier: 'forger' }),
      ),
    );
    const ack = await withTimeout(raw.next(), 5_000, 'connect ack');
    assert.equal(ack.subSignal, SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD);
    await withTimeout(raw.closed, 5_000, 'close after refusal');
  });

  it('a malformed body gets PUB_ACK INVALID_DATA and the connection stays', async () => {
    const raw = await rawConnected();
    raw.socket.write(frameEncode(Signal.PUBLISH, SubSignal.MS, 9, Buffer.from([0xc1, 0xc1, 0xff])));
    const answer = await withTimeout(raw.next(), 5_000, 'answer');
    assert.equal(answer.messageId, 9);
    const ack = ackDecode(answer.body);
    assert.ok(ack.ok);
    assert.equal(ack.value.code, ErrorCode.INVALID_DATA);
    raw.socket.write(frameEncode(Signal.PING, 0, 10, bodyEncode({ interval: 30_000 })));
    const pong = await withTimeout(raw.next(), 5_000, 'pong');
    assert.equal(pong.signal, Signal.PING);
    assert.equal(pong.messageId, 10);
    // An unknown sub-signal is answered 254, the connection stays.
    raw.socket.write(frameEncode(Signal.PUBLISH, 60, 11, bodyEncode({})));
    const unknown = await withTimeout(raw.next(), 5_000, 'unknown');
    const code = ackDecode(unknown.body);
    assert.ok(code.ok);
    assert.equal(code.value.code, ErrorCode.NOT_IMPLEMENTED);
    // A send with a bad field is refused with a code, not a crash.
    raw.socket.write(
      frameEncode(
        Signal.PUBLISH,
        SubSignal.MS,
        12,
        bodyEncode({ conversationType: 9, target: 'x', content: { type: 1 } }),
      ),
    );
    const bad = ackDecode((await withTimeout(raw.next(), 5_000, 'bad ms')).body);
    assert.ok(bad.ok);
    assert.equal(bad.value.code, ErrorCode.INVALID_PARAMETER);
    raw.socket.destroy();
  });

  it('a WebSocket message over the frame limit is closed with 1009', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.ports.ws}/`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(Buffer.alloc(WS_MESSAGE_BYTES_MAX + 1));
    assert.equal(await withTimeout(closed, 5_000, 'ws close'), 1009);
  });

  it('compat: non-JSON text and the heartbeat text are ignored; the connection stays', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.ports.ws}/`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const messages: string[] = [];
    socket.on('message', (data) => messages.push(String(data)));
    socket.send('心跳内容');
    socket.send('{not json');
    socket.send(
      '{"__proto__":{"polluted":1},"signal":"PING","subSignal":"NONE","messageId":3,"content":""}',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(socket.readyState, WebSocket.OPEN);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
    assert.ok(
      messages.some((m) => m.includes('"signal":"PING"') && m.includes('"messageId":3')),
      messages.join('\n'),
    );
    socket.close();
  });
});

describe('bad input: slow, repeated and out-of-range', () => {
  it('a connection that never authenticates (1 byte/s) is closed at AUTH_DEADLINE_MS', async () => {
    const { AUTH_DEADLINE_MS } = await import('../src/limits.js');
    const raw = await rawTcp();
    const started = Date.now();
    // A well-formed CONNECT, one byte a second: never complete before the deadline.
    const frame = frameEncode(
      Signal.CONNECT,
      0,
      1,
      bodyEncode({ userName: 'slow', password: 'x'.repeat(64), clientIdentifier: 'd' }),
    );
    let sent = 0;
    const dribble = setInterval(() => {
      if (!raw.socket.destroyed && sent < frame.length)
        raw.socket.write(frame.subarray(sent, ++sent));
    }, 1_000);
    try {
      await withTimeout(raw.closed, AUTH_DEADLINE_MS + 15_000, 'slowloris close');
    } finally {
      clearInterval(dribble);
    }
    assert.ok(Date.now() - started >= AUTH_DEADLINE_MS - 100, 'not before the deadline');
  });

  it('a second CONNECT on a live session is refused with a code; the session stays', async () => {
    const raw = await rawConnected();
    raw.socket.write(
      frameEncode(
        Signal.CONNECT,
        0,
        21,
        bodyEncode({ userName: 'x', password: 'y', clientIdentifier: 'z' }),
      ),
    );
    const answer = await withTimeout(raw.next(), 5_000, 'double connect answer');
    assert.equal(answer.signal, Signal.PUB_ACK);
    const code = ackDecode(answer.body);
    assert.ok(code.ok);
    assert.equal(code.value.code, ErrorCode.INVALID_DATA);
    raw.socket.write(frameEncode(Signal.PING, 0, 22, bodyEncode({ interval: 30_000 })));
    assert.equal((await withTimeout(raw.next(), 5_000, 'pong')).signal, Signal.PING);
    raw.socket.destroy();
  });

  it('a pull from a future seq answers an empty page with the real head', async () => {
    const raw = await rawConnected();
    raw.socket.write(
      frameEncode(
        Signal.PUBLISH,
        SubSignal.MP,
        23,
        bodyEncode({ messageId: 1_000_000, type: 0, pullType: 1, sendMessageCount: 0 }),
      ),
    );
    const answer = await withTimeout(raw.next(), 5_000, 'pull answer');
    const page = ackDecode(answer.body);
    assert.ok(page.ok);
    assert.equal(page.value.code, 0);
    const result = page.value.result as {
      head: number;
      messageCount: number;
      messageResponseList: unknown[];
    };
    assert.equal(result.messageCount, 0);
    assert.deepEqual(result.messageResponseList, []);
    assert.equal(result.head, 0);
    raw.socket.destroy();
  });

  it('invalid UTF-8 (compat text, native string) is refused or ignored, no crash', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.ports.ws}/`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    // ws will not send invalid UTF-8 as a text frame (browsers cannot either); the native
    // equivalent is a msgpack string holding invalid UTF-8 inside a binary frame.
    const bad = Buffer.from([0xa3, 0xff, 0xfe, 0xfd]);
    socket.send(frameEncode(Signal.PUBLISH, SubSignal.MS, 24, bad));
    await new Promise((resolve) => setTimeout(resolve, 300));
    socket.close();
    await withTimeout(closed, 5_000, 'close');
    // The server still serves others.
    const a = await userConnect(server, { transport: 'ws' });
    a.client.close();
  });
});

it('compat: an unknown sub-signal name answers 254 (content "") with the request id', async () => {
  const socket = new WebSocket(`ws://127.0.0.1:${server.ports.ws}/`);
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const answer = new Promise<string>((resolve) =>
    socket.once('message', (data) => resolve(String(data))),
  );
  socket.send('{"signal":"PUBLISH","subSignal":"NO_SUCH_THING","messageId":77,"content":{}}');
  const parsed = JSON.parse(await withTimeout(answer, 5_000, 'answer')) as {
    signal: string;
    messageId: number;
    content: string;
  };
  assert.equal(parsed.signal, 'PUB_ACK');
  assert.equal(parsed.messageId, 77);
  assert.equal(parsed.content, '');
  socket.close();
});
