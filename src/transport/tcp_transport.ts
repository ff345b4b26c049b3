// TCP edge on node:net: native frames only. The frame reader refuses an oversize length from
// the header alone, before buffering; a reader whose unsent bytes pass SEND_BUFFER_BYTES_MAX is
// cut. Idle: NATIVE_IDLE_BEFORE_PING_MS until the first PING, then interval + grace.

import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { TlsFiles } from './ws_transport.js';
import {
  FRAME_BODY_BYTES_MAX,
  NATIVE_IDLE_BEFORE_PING_MS,
  NATIVE_IDLE_GRACE_MS,
  SEND_BUFFER_BYTES_MAX,
} from '../limits.js';
import { bodyDecode } from '../protocol/body_codec.js';
import { FrameReader } from '../protocol/native_frame.js';
import { connectAckFor } from '../protocol/answers.js';
import { SubSignal } from '../protocol/signals.js';
import { CloseCode, sessionIdNext, type Session, type SessionEvents } from './session.js';
import { TurnCork } from './turn_cork.js';

/** How often idle TCP connections are looked for; timeouts are this coarse. */
const IDLE_SWEEP_MS = 5_000;

class TcpSession implements Session {
  readonly id = sessionIdNext();
  readonly profile = 'native' as const;
  uid: string | undefined;
  deviceId: string | undefined;
  closed = false;
  /** Only what the client sends counts as life: our own pushes must not keep a dead peer. */
  lastReadMs = Date.now();
  idleMs = NATIVE_IDLE_BEFORE_PING_MS;
  private readonly output: TurnCork;

  constructor(
    private readonly socket: net.Socket,
    readonly remoteAddress: string,
  ) {
    this.output = new TurnCork(socket);
  }

  send(data: string | Uint8Array): void {
    if (this.closed) return;
    if (this.socket.writableLength > SEND_BUFFER_BYTES_MAX) {
      this.closed = true;
      this.socket.destroy();
      return;
    }
    this.output.write(data);
  }

  close(_code: CloseCode): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    // A peer that never reads would keep a half-closed socket: bound it.
    setTimeout(() => this.socket.destroy(), 5_000).unref();
  }

  setPingInterval(intervalMs: number): void {
    this.idleMs = intervalMs + NATIVE_IDLE_GRACE_MS;
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}

export function tcpEdgeCreate(events: SessionEvents, secure: TlsFiles | null): net.Server {
  const sessions = new Set<TcpSession>();
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const session of sessions) {
      if (now - session.lastReadMs > session.idleMs) session.destroy();
    }
  }, IDLE_SWEEP_MS);
  sweep.unref();
  const onSocket = (socket: net.Socket): void => {
    const session = new TcpSession(socket, socket.remoteAddress ?? '');
    const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
    sessions.add(session);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sessions.delete(session);
      session.closed = true;
      events.closed(session);
    });
    socket.on('data', (chunk: Buffer) => {
      session.lastReadMs = Date.now();
      if (session.closed) return;
      const error = reader.feed(chunk, (frame) => {
        if (session.closed) return;
        const body = frame.body.length === 0 ? { ok: true as const, value: undefined } : bodyDecode(frame.body);
        if (!body.ok) return events.malformed(session, frame.signal, frame.subSignal, frame.messageId);
        events.inbound(session, {
          signal: frame.signal,
          subSignal: frame.subSignal,
          messageId: frame.messageId,
          content: body.value,
        });
      });
      if (error === null) return;
      if (error === 'unsupported_version') {
        session.send(connectAckFor('native', 0, SubSignal.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION));
      }
      session.close(CloseCode.PROTOCOL_ERROR);
    });
    events.opened(session);
  };
  const server =
    secure === null
      ? net.createServer({ noDelay: true }, onSocket)
      : tls.createServer(
          { cert: fs.readFileSync(secure.certFile), key: fs.readFileSync(secure.keyFile), noDelay: true },
          onSocket,
        );
  server.on('close', () => clearInterval(sweep));
  return server;
}

export function tcpEdgeListen(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog: 4096 }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}
