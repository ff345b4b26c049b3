// The client SDK against a small fake server that speaks both profiles (native frames over TCP
// and WebSocket binary, compat JSON over WebSocket text). The real server's tests are the lead's
// *.integration.ts; these pin down the client's own behaviour: sync, MN, reconnect, redirect.

import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { compatPasswordOpen, compatTokenWrap } from '../src/auth/compat_token.js';
import { MagpieClient, MagpieError, textMessage } from '../src/client/index.js';
import type { ClientOptions, ReceivedMessage, Transport } from '../src/client/index.js';
import { FRAME_BODY_BYTES_MAX } from '../src/limits.js';
import { ackEncode, bodyDecode, bodyEncode } from '../src/protocol/body_codec.js';
import { compatEncode, compatParse } from '../src/protocol/compat_json.js';
import { FrameReader, frameDecodeOne, frameEncode } from '../src/protocol/native_frame.js';
import { Signal, SubSignal } from '../src/protocol/signals.js';

const TOKEN = 'dG9rZW4x';
const SECRET = 'abcdefghijklmnopqrstuvwxyz012345';
const COMPAT_TOKEN = compatTokenWrap(TOKEN, SECRET, 'db', Date.now());
const PAGE_ENTRIES = 2;

interface Entry { seq: number; uid: bigint; from: string; target: string; text: string }

interface FakeConn {
  readonly profile: 'native' | 'compat';
  uid: string | null;
  out(signal: number, subSignal: number, id: number, content: unknown, code?: number): void;
  drop(): void;
}

class FakeServer {
  readonly inboxes = new Map<string, Entry[]>();
  readonly conns = new Set<FakeConn>();
  readonly sent = new Map<string, { uid: bigint; timestamp: number }>();
  redirectTo: { host: string; wsPort: number; tcpPort: number } | null = null;
  /** MS requests are swallowed (never answered) while true. */
  silent = false;
  /** A transparent push follows every CONNECT_ACK at once (same TCP write burst). */
  typingAfterAck = false;
  connects = 0;
  private uidNext = 1n << 60n;
  private readonly tcp = net.createServer((socket) => this.tcpAccept(socket));
  private readonly wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  private readonly wssListening = new Promise<void>((resolve) => {
    this.wss.once('listening', resolve);
  });

  async start(): Promise<{ tcpPort: number; wsPort: number }> {
    await new Promise<void>((resolve) => this.tcp.listen(0, '127.0.0.1', resolve));
    await this.wssListening;
    this.wss.on('connection', (ws) => this.wsAccept(ws));
    return {
      tcpPort: (this.tcp.address() as AddressInfo).port,
      wsPort: (this.wss.address() as AddressInfo).port,
    };
  }

  stop(): void {
    for (const conn of this.conns) conn.drop();
    this.tcp.close();
    this.wss.close();
  }

  store(from: string, target: string, text: string): Entry {
    const uid = this.uidNext++;
    let last: Entry | undefined;
    for (const owner of new Set([from, target])) {
      const inbox = this.inboxes.get(owner) ?? [];
      this.inboxes.set(owner, inbox);
      last = { seq: inbox.length + 1, uid, from, target, text };
      inbox.push(last);
    }
    return last!;
  }

  notify(owner: string, except: FakeConn | null): void {
    const head = this.inboxes.get(owner)?.length ?? 0;
    for (const conn of this.conns) {
      if (conn.uid !== owner || conn === except) continue;
      const headText = conn.profile === 'compat' ? String(head) : head;
      conn.out(Signal.PUBLISH, SubSignal.MN, 0, { messageHead: headText, type: 0 });
    }
  }

  private tcpAccept(socket: net.Socket): void {
    const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
    const conn: FakeConn = {
      profile: 'native', uid: null,
      out: (signal, subSignal, id, content, code) =>
        socket.write(frameEncode(signal, subSignal, id, nativeBody(signal, content, code))),
      drop: () => socket.destroy(),
    };
    this.conns.add(conn);
    socket.on('close', () => this.conns.delete(conn));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => reader.feed(chunk, (frame) => {
      const body = bodyDecode(frame.body);
      assert.ok(body.ok);
      this.handle(conn, frame.signal, frame.subSignal, frame.messageId, body.value);
    }));
  }

  private wsAccept(ws: WebSocket): void {
    const conn: FakeConn = {
      profile: 'native', uid: null,
      out: (signal, subSignal, id, content, code) => {
        if (conn.profile === 'native') {
          ws.send(frameEncode(signal, subSignal, id, nativeBody(signal, content, code)));
        } else {
          const failed = code !== undefined && code !== 0;
          ws.send(compatEncode(signal, subSignal, id, failed ? '' : content));
        }
      },
      drop: () => ws.terminate(),
    };
    this.conns.add(conn);
    ws.on('close', () => this.conns.delete(conn));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        const frame = frameDecodeOne(data, FRAME_BODY_BYTES_MAX);
        assert.ok(typeof frame !== 'string');
        const body = bodyDecode(frame.body);
        assert.ok(body.ok);
        this.handle(conn, frame.signal, frame.subSignal, frame.messageId, body.value);
        return;
      }
      (conn as { profile: 'native' | 'compat' }).profile = 'compat';
      const parsed = compatParse(data.toString('utf8'));
      assert.ok(parsed.ok);
      const { signal, subSignal, messageId, content } = parsed.value;
      this.handle(conn, signal, subSignal, messageId, content);
    });
  }

  private handle(conn: FakeConn, signal: number, subSignal: number, id: number, content: unknown) {
    const fields = (content ?? {}) as Record<string, unknown>;
    if (signal === Signal.CONNECT) return this.connect(conn, id, fields);
    if (signal === Signal.PING) return conn.out(Signal.PING, 0, id, undefined);
    if (signal === Signal.DISCONNECT) return conn.drop();
    assert.equal(signal, Signal.PUBLISH);
    assert.ok(conn.uid !== null);
    if (subSignal === SubSignal.MP) return this.pull(conn, id, Number(fields['messageId']));
    if (subSignal === SubSignal.MS) return this.send(conn, id, fields);
    conn.out(Signal.PUB_ACK, subSignal, id, undefined, 254);
  }

  private connect(conn: FakeConn, id: number, fields: Record<string, unknown>): void {
    this.connects += 1;
    if (this.redirectTo !== null) {
      conn.out(Signal.CONNECT_ACK, SubSignal.CONNECTION_REFUSED_UNEXPECT_NODE, id, this.redirectTo);
      return conn.drop();
    }
    const password = String(fields['password']);
    const part0 = conn.profile === 'compat' ? compatPasswordOpen(password, SECRET) : null;
    const good = part0 === null ? password === TOKEN : part0.ok && part0.value === TOKEN;
    if (!good) {
      const refusal = SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
      conn.out(Signal.CONNECT_ACK, refusal, id, undefined);
      return conn.drop();
    }
    conn.uid = String(fields['userName']);
    const head = this.inboxes.get(conn.uid)?.length ?? 0;
    conn.out(Signal.CONNECT_ACK, SubSignal.CONNECTION_ACCEPTED, id, conn.profile === 'compat'
      ? { messageHead: String(head), friendHead: 0 }
      : { msg_head: head, friend_head: 0, friend_rq_head: 0, server_time: Date.now() });
    if (this.typingAfterAck) conn.out(Signal.PUB_ACK, SubSignal.MP, 0, typingPage(conn.uid));
  }

  private pull(conn: FakeConn, id: number, from: number): void {
    const inbox = this.inboxes.get(conn.uid!) ?? [];
    const page = inbox.filter((e) => e.seq >= from).slice(0, PAGE_ENTRIES);
    const compat = conn.profile === 'compat';
    const list = page.map((e) => ({
      messageId: compat ? e.uid.toString() : e.uid, ...(compat ? {} : { seq: e.seq }),
      from: e.from, conversationType: 0, target: e.target, line: 0, timestamp: 1,
      content: { type: 1, searchableContent: e.text },
    }));
    const current = page.at(-1)?.seq ?? from - 1;
    const head = inbox.length;
    const answer = { current, head, messageCount: list.length, messageResponseList: list };
    conn.out(Signal.PUB_ACK, SubSignal.MP, id, compat
      ? { ...answer, current: String(current), head: String(inbox.length) } : answer);
  }

  private send(conn: FakeConn, id: number, fields: Record<string, unknown>): void {
    if (this.silent) return;
    const key = `${conn.uid}:${String(fields['messageId'])}`;
    let ack = this.sent.get(key);
    if (ack === undefined) {
      const target = String(fields['target']);
      const text = String((fields['content'] as Record<string, unknown>)['searchableContent']);
      const entry = this.store(conn.uid!, target, text);
      ack = { uid: entry.uid, timestamp: Date.now() };
      this.sent.set(key, ack);
      this.notify(conn.uid!, conn);
      if (target !== conn.uid) this.notify(target, null);
    }
    const uid = conn.profile === 'compat' ? ack.uid.toString() : ack.uid;
    conn.out(Signal.PUB_ACK, SubSignal.MS, id, { messageId: uid, timestamp: ack.timestamp });
  }
}

function typingPage(target: string): unknown {
  return { current: 0, head: 0, messageCount: 1, messageResponseList: [{ messageId: 9,
    from: 's1', conversationType: 0, target, line: 0, timestamp: 1, content: { type: 91 } }] };
}

function nativeBody(signal: number, content: unknown, code?: number): Uint8Array {
  if (signal === Signal.PUB_ACK) return ackEncode(code ?? 0, code ? undefined : content);
  return content === undefined ? new Uint8Array(0) : bodyEncode(content);
}

const server = new FakeServer();
const ports = await server.start();
const clients: MagpieClient[] = [];
after(() => {
  for (const client of clients) client.close();
  server.stop();
});

function clientMake(transport: Transport, uid: string, extra: Partial<ClientOptions> = {}) {
  const client = new MagpieClient({
    transport, host: '127.0.0.1', port: transport === 'tcp' ? ports.tcpPort : ports.wsPort,
    uid, token: transport === 'ws-compat' ? COMPAT_TOKEN : TOKEN, deviceId: `d-${uid}`,
    reconnectDelayMs: 5, ...extra,
  });
  const received: ReceivedMessage[] = [];
  client.on('message', (m) => received.push(m));
  clients.push(client);
  return { client, received };
}

function until(check: () => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 3000;
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() > deadline) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(tick, 2);
    };
    tick();
  });
}

function texts(received: readonly ReceivedMessage[]): string[] {
  return received.map((m) => m.content.searchableContent);
}

test('client (tcp): connect syncs stored entries in seq order, page by page', async () => {
  for (let i = 1; i <= 5; i++) server.store('s1', 'a1', `m${i}`);
  const { client, received } = clientMake('tcp', 'a1');
  const info = await client.connect();
  assert.equal(info.messageHead, 5);
  assert.deepEqual(texts(received), ['m1', 'm2', 'm3', 'm4', 'm5']);
  assert.deepEqual(received.map((m) => m.seq), [1, 2, 3, 4, 5]);
  assert.equal(client.lastSeq, 5);
  client.close();
});

test('client (tcp): a refused CONNECT rejects, kind refused, the sub-signal as code', async () => {
  const { client } = clientMake('tcp', 'a2', { token: 'wrong' });
  await assert.rejects(client.connect(), (err: unknown) => err instanceof MagpieError &&
    err.kind === 'refused' && err.code === SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD);
});

for (const transport of ['tcp', 'ws', 'ws-compat'] as const) {
  test(`client (${transport}): send is acked, the peer gets it once, a retry dedupes`, async () => {
    const { client: alice } = clientMake(transport, `alice-${transport}`);
    const { client: bob, received } = clientMake(transport, `bob-${transport}`);
    await alice.connect();
    await bob.connect();
    const message = { ...textMessage(`bob-${transport}`, 'hello'), clientMessageId: 'c1' };
    const ack = await alice.send(message);
    assert.match(ack.messageUid, /^\d+$/);
    assert.ok(BigInt(ack.messageUid) > 2n ** 53n, 'uid beyond 2^53 stays exact');
    const again = await alice.send(message);
    assert.equal(again.messageUid, ack.messageUid);
    await until(() => received.length === 1, 'the MN pull');
    assert.equal(received[0]?.messageUid, ack.messageUid);
    assert.equal(received[0]?.seq, transport === 'ws-compat' ? undefined : 1);
    await bob.sync();
    assert.equal(received.length, 1);
    alice.close();
    bob.close();
  });
}

test('client (tcp): a drop rejects requests retryable; reconnect emits only new ones', async () => {
  const { client, received } = clientMake('tcp', 'r1');
  server.store('s1', 'r1', 'before');
  await client.connect();
  const disconnected: boolean[] = [];
  client.on('disconnected', (d) => disconnected.push(d.willReconnect));
  server.silent = true;
  const pending = client.send(textMessage('s1', 'lost'));
  await new Promise((resolve) => setTimeout(resolve, 10));
  for (const conn of server.conns) if (conn.uid === 'r1') conn.drop();
  await assert.rejects(pending, (err: unknown) =>
    err instanceof MagpieError && err.retryable && err.clientMessageId !== null);
  server.silent = false;
  server.store('s1', 'r1', 'while away');
  await until(() => received.length === 2, 'the resync after reconnect');
  assert.deepEqual(texts(received), ['before', 'while away']);
  assert.deepEqual(disconnected, [true]);
  assert.ok(client.connected);
  await client.disconnect();
  assert.equal(client.connected, false);
});

test('client (tcp): UNEXPECT_NODE is followed to the named endpoint, at most 3 times', async () => {
  const owner = new FakeServer();
  const ownerPorts = await owner.start();
  owner.store('s1', 'x1', 'on the owner');
  server.redirectTo = { host: '127.0.0.1', ...ownerPorts };
  try {
    const { client, received } = clientMake('tcp', 'x1');
    await client.connect();
    assert.deepEqual(texts(received), ['on the owner']);
    client.close();
    // A redirect loop: the owner redirects to itself.
    owner.redirectTo = { host: '127.0.0.1', ...ownerPorts };
    const { client: looped } = clientMake('tcp', 'x1');
    const connectsBefore = owner.connects;
    await assert.rejects(looped.connect(), (err: unknown) => err instanceof MagpieError &&
      err.kind === 'refused' && err.code === SubSignal.CONNECTION_REFUSED_UNEXPECT_NODE);
    assert.equal(owner.connects - connectsBefore, 3);
  } finally {
    server.redirectTo = null;
    owner.stop();
  }
});

test('client (tcp): a transparent push is emitted as such and leaves lastSeq alone', async () => {
  const { client } = clientMake('tcp', 't1');
  await client.connect();
  const got: ReceivedMessage[] = [];
  client.on('transparent', (m) => got.push(m));
  for (const conn of server.conns) {
    if (conn.uid === 't1') conn.out(Signal.PUB_ACK, SubSignal.MP, 0, typingPage('t1'));
  }
  await until(() => got.length === 1, 'the transparent push');
  assert.equal(got[0]?.content.type, 91);
  assert.equal(client.lastSeq, 0);
  client.close();
});

test('client (tcp): a push right behind CONNECT_ACK is not lost', async () => {
  const { client } = clientMake('tcp', 't2');
  const got: ReceivedMessage[] = [];
  client.on('transparent', (m) => got.push(m));
  server.typingAfterAck = true;
  try {
    await client.connect();
  } finally {
    server.typingAfterAck = false;
  }
  await until(() => got.length === 1, 'the transparent push');
  client.close();
});

test('client (tcp): a server DISCONNECT before the close stops reconnecting', async () => {
  const { client } = clientMake('tcp', 'k1');
  await client.connect();
  const events: boolean[] = [];
  client.on('disconnected', (d) => events.push(d.willReconnect));
  for (const conn of server.conns) {
    if (conn.uid !== 'k1') continue;
    conn.out(Signal.DISCONNECT, SubSignal.NONE, 0, { clearSession: 0 });
    setTimeout(() => conn.drop(), 5);
  }
  await until(() => events.length === 1, 'the close');
  assert.deepEqual(events, [false]);
  assert.equal(client.connected, false);
});

test('client: close() emits disconnected without reconnecting', async () => {
  const { client } = clientMake('ws', 'k2');
  await client.connect();
  const events: boolean[] = [];
  client.on('disconnected', (d) => events.push(d.willReconnect));
  client.close();
  await until(() => events.length === 1, 'the close');
  assert.deepEqual(events, [false]);
});

test('client: requests while disconnected reject at once, retryable', async () => {
  const { client } = clientMake('tcp', 'n1');
  await assert.rejects(client.request(SubSignal.FP, { version: 0 }), (err: unknown) =>
    err instanceof MagpieError && err.kind === 'disconnected' && err.retryable);
});
