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
import type { Frame } from '../protocol/frame.js';
import { FrameReader } from '../protocol/native_frame.js';
import { connectAckFor } from '../protocol/answers.js';
import { SubSignal } from '../protocol/signals.js';
import { CloseCode, sessionIdNext, type Session, type SessionEvents } from './session.js';

/** How often idle TCP connections are looked for; timeouts are this coarse. */
const IDLE_SWEEP_MS = 5_000;
/** A closed socket whose peer never reads is destroyed after this long. */
const HALF_CLOSED_MS = 5_000;

// Per idle connection this edge keeps the TcpSession and its socket, nothing else: the socket's
// listeners are shared functions (the socket is `this`), the frame reader is borrowed only while
// a frame spans chunks, and the write cork is a flag.
class TcpSession implements Session {
  readonly id = sessionIdNext();
  uid: string | undefined;
  deviceId: string | undefined;
  closed = false;
  /** Only what the client sends counts as life: our own pushes must not keep a dead peer. */
  lastReadMs = Date.now();
  idleMs = NATIVE_IDLE_BEFORE_PING_MS;
  /** Set while a frame spans chunks (or after a bad one); null between whole frames. */
  reader: FrameReader | null = null;
  /** Corked for the rest of this turn: the frames written in one turn leave in one writev. */
  private corked = false;

  constructor(readonly socket: net.Socket) {}

  get profile(): 'native' {
    return 'native';
  }

  /** Read once at open (net caches it on the socket), so it outlives the connection. */
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  send(data: string | Uint8Array): void {
    if (this.closed) return;
    const socket = this.socket;
    if (socket.writableLength > SEND_BUFFER_BYTES_MAX) {
      this.closed = true;
      socket.destroy();
      return;
    }
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(uncork, this);
    }
    socket.write(data);
  }

  close(_code: CloseCode): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    // A peer that never reads would keep a half-closed socket: bound it.
    setTimeout(destroy, HALF_CLOSED_MS, this.socket).unref();
  }

  setPingInterval(intervalMs: number): void {
    this.idleMs = intervalMs + NATIVE_IDLE_GRACE_MS;
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }
}

function uncork(session: TcpSession): void {
  session.uncork();
}

function destroy(socket: net.Socket): void {
  socket.destroy();
}

function onError(this: net.Socket): void {
  this.destroy();
}

/** The edge's state and the socket listeners every connection shares. */
class TcpEdge {
  readonly sessions = new Map<net.Socket, TcpSession>();
  /** A reader with nothing pending, lent to whichever session's chunk is being read. */
  private spare: FrameReader | null = null;
  /** The session whose chunk is being read: read by the frame callback. */
  private reading: TcpSession | undefined;
  readonly onData: (this: net.Socket, chunk: Buffer) => void;
  readonly onClose: (this: net.Socket) => void;
  private readonly onFrame = (frame: Frame): void => this.frame(frame);

  constructor(private readonly events: SessionEvents) {
    const edge = this;
    this.onData = function (this: net.Socket, chunk: Buffer): void {
      edge.data(this, chunk);
    };
    this.onClose = function (this: net.Socket): void {
      edge.closed(this);
    };
  }

  opened(socket: net.Socket): void {
    const session = new TcpSession(socket);
    this.sessions.set(socket, session);
    socket.on('error', onError);
    socket.on('close', this.onClose);
    socket.on('data', this.onData);
    this.events.opened(session);
  }

  sweep(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      if (now - session.lastReadMs > session.idleMs) session.destroy();
    }
  }

  private closed(socket: net.Socket): void {
    const session = this.sessions.get(socket);
    if (session === undefined) return;
    this.sessions.delete(socket);
    session.closed = true;
    session.reader = null;
    this.events.closed(session);
  }

  private data(socket: net.Socket, chunk: Buffer): void {
    const session = this.sessions.get(socket);
    if (session === undefined) return;
    session.lastReadMs = Date.now();
    if (session.closed) return;
    const reader = session.reader ?? this.spare ?? new FrameReader(FRAME_BODY_BYTES_MAX);
    if (reader === this.spare) this.spare = null;
    const outer = this.reading;
    this.reading = session;
    const error = reader.feed(chunk, this.onFrame);
    this.reading = outer;
    // A reader mid-frame (or failed) stays with its session; an idle one goes back to the pool.
    if (reader.pending) {
      session.reader = reader;
    } else {
      session.reader = null;
      this.spare = reader;
    }
    if (error === null) return;
    if (error === 'unsupported_version') {
      session.send(connectAckFor('native', 0, SubSignal.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION));
    }
    session.close(CloseCode.PROTOCOL_ERROR);
  }

  private frame(frame: Frame): void {
    const session = this.reading;
    if (session === undefined || session.closed) return;
    const body = frame.body.length === 0 ? { ok: true as const, value: undefined } : bodyDecode(frame.body);
    if (!body.ok) return this.events.malformed(session, frame.signal, frame.subSignal, frame.messageId);
    this.events.inbound(session, {
      signal: frame.signal,
      subSignal: frame.subSignal,
      messageId: frame.messageId,
      content: body.value,
    });
  }
}

export function tcpEdgeCreate(events: SessionEvents, secure: TlsFiles | null): net.Server {
  const edge = new TcpEdge(events);
  const sweep = setInterval(() => edge.sweep(), IDLE_SWEEP_MS);
  sweep.unref();
  const onSocket = (socket: net.Socket): void => edge.opened(socket);
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
