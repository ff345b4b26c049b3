// WebSocket edge on uWS: one app per shard, listening on the shared public port and on the
// shard's direct port. Text frames are compat JSON, binary frames are native frames; the first
// frame fixes a connection's profile. Messages are decoded before the handler returns because
// uWS neuters their buffers afterwards.

import { ErrorCode } from '../errors.js';
import {
  FRAME_BODY_BYTES_MAX,
  SEND_BUFFER_BYTES_MAX,
  WS_IDLE_TIMEOUT_MS,
  WS_MESSAGE_BYTES_HARD_MAX,
  WS_MESSAGE_BYTES_MAX,
} from '../limits.js';
import { bodyDecode } from '../protocol/body_codec.js';
import { compatParse, HEARTBEAT_TEXT } from '../protocol/compat_json.js';
import { frameDecodeOne } from '../protocol/native_frame.js';
import { ackFor, connectAckFor } from '../protocol/answers.js';
import { SubSignal } from '../protocol/signals.js';
import { CloseCode, sessionIdNext, type Profile, type Session, type SessionEvents } from './session.js';
import { loadUws, type UwsListenSocket, type UwsModule } from './uws_loader.js';
import type { TemplatedApp, WebSocket } from 'uWebSockets.js';

interface WsUserData {
  session?: WsSession;
}

const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** Sessions with frames queued this turn; flushed together once the current callback ends. */
const sessionsPending: WsSession[] = [];

function sessionsFlush(): void {
  for (const session of sessionsPending.splice(0)) session.flush();
}

class WsSession implements Session {
  readonly id = sessionIdNext();
  profile: Profile = 'native';
  uid: string | undefined;
  deviceId: string | undefined;
  closed = false;
  /** The profile is fixed by the first frame; later frames of the other kind are refused. */
  profileFixed = false;
  /** Frames sent during this turn: a commit acks many sends and pushes to many devices at once,
   * so one corked write per socket per turn replaces a syscall per frame. Null while nothing is
   * queued, which is nearly always: an idle connection holds no array. */
  private pending: (string | Uint8Array)[] | null = null;

  constructor(
    private readonly ws: WebSocket<WsUserData>,
    readonly remoteAddress: string,
  ) {}

  send(data: string | Uint8Array): void {
    if (this.closed) return;
    if (this.pending === null) {
      if (sessionsPending.length === 0) process.nextTick(sessionsFlush);
      sessionsPending.push(this);
      this.pending = [data];
      return;
    }
    this.pending.push(data);
  }

  /** Write this turn's frames; uWS neither holds nor copies them past the call. */
  flush(): void {
    const frames = this.pending;
    if (frames === null) return;
    this.pending = null;
    if (this.closed) return;
    if (frames.length === 1) return this.write(frames[0] as string | Uint8Array);
    this.ws.cork(() => {
      for (const frame of frames) this.write(frame);
    });
  }

  private write(data: string | Uint8Array): void {
    if (this.closed) return;
    const status = this.ws.send(data, typeof data !== 'string');
    // 2 = dropped over maxBackpressure: uWS closes the socket itself (closeOnBackpressureLimit).
    if (status === 2) this.closed = true;
  }

  close(code: CloseCode): void {
    if (this.closed) return;
    this.flush();
    if (this.closed) return;
    this.closed = true;
    this.ws.end(code);
  }

  /** uWS closed the socket: queued frames have nowhere to go. */
  closedByPeer(): void {
    this.closed = true;
    this.pending = null;
  }

  setPingInterval(): void {
    // uWS enforces WS_IDLE_TIMEOUT_MS on every connection; native clients ping inside it.
  }
}

export interface WsEdge {
  readonly app: TemplatedApp;
  readonly sockets: UwsListenSocket[];
  readonly uws: UwsModule;
}

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export function wsEdgeCreate(events: SessionEvents, tls: TlsFiles | null): WsEdge {
  const uws = loadUws();
  const app = tls === null ? uws.App() : uws.SSLApp({ cert_file_name: tls.certFile, key_file_name: tls.keyFile });
  app.ws<WsUserData>('/*', {
    compression: uws.DISABLED,
    maxPayloadLength: WS_MESSAGE_BYTES_HARD_MAX,
    idleTimeout: WS_IDLE_TIMEOUT_MS / 1000,
    maxBackpressure: SEND_BUFFER_BYTES_MAX,
    closeOnBackpressureLimit: true,
    sendPingsAutomatically: false,
    open: (ws) => {
      const address = Buffer.from(ws.getRemoteAddressAsText()).toString();
      const session = new WsSession(ws, address);
      ws.getUserData().session = session;
      events.opened(session);
    },
    message: (ws, message, isBinary) => {
      const session = ws.getUserData().session;
      if (session === undefined || session.closed) return;
      if (message.byteLength > WS_MESSAGE_BYTES_MAX) return session.close(CloseCode.TOO_BIG);
      if (isBinary) wsBinary(session, new Uint8Array(message), events);
      else wsText(session, message, events);
    },
    close: (ws) => {
      const session = ws.getUserData().session;
      if (session === undefined) return;
      session.closedByPeer();
      events.closed(session);
    },
  });
  return { app, sockets: [], uws };
}

function fixProfile(session: WsSession, profile: Profile): boolean {
  if (!session.profileFixed) {
    session.profile = profile;
    session.profileFixed = true;
    return true;
  }
  return session.profile === profile;
}

function wsBinary(session: WsSession, bytes: Uint8Array, events: SessionEvents): void {
  const frame = frameDecodeOne(bytes, FRAME_BODY_BYTES_MAX);
  if (typeof frame === 'string') {
    // Binary data that is not a native frame is ignored on a compat connection (§4).
    if (session.profileFixed && session.profile === 'compat') return;
    if (frame === 'unsupported_version') {
      fixProfile(session, 'native');
      session.send(connectAckFor('native', 0, SubSignal.CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION));
    }
    return session.close(CloseCode.PROTOCOL_ERROR);
  }
  if (!fixProfile(session, 'native')) return;
  const body = frame.body.length === 0 ? { ok: true as const, value: undefined } : bodyDecode(frame.body);
  if (!body.ok) return events.malformed(session, frame.signal, frame.subSignal, frame.messageId);
  events.inbound(session, {
    signal: frame.signal,
    subSignal: frame.subSignal,
    messageId: frame.messageId,
    content: body.value,
  });
}

function wsText(session: WsSession, message: ArrayBuffer, events: SessionEvents): void {
  const text = textDecoder.decode(message);
  if (text === HEARTBEAT_TEXT) return;
  if (!fixProfile(session, 'compat')) return;
  const parsed = compatParse(text);
  if (!parsed.ok) {
    // Non-JSON text is ignored (§4); an unknown sub-signal is answered 254.
    if (parsed.code === ErrorCode.NOT_IMPLEMENTED) {
      // The frame was valid but names a sub-signal we do not know: answer its request id.
      const requestId = /"messageId"\s*:\s*(\d{1,10})/.exec(text)?.[1];
      const messageId = requestId === undefined ? 0 : Number(requestId) & 0xffff;
      session.send(ackFor('compat', SubSignal.NONE, messageId, ErrorCode.NOT_IMPLEMENTED));
    }
    return;
  }
  events.inbound(session, parsed.value);
}

/** Listen on `port` (0 = any); resolves with the bound port. */
export function wsEdgeListen(edge: WsEdge, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    edge.app.listen(host, port, (socket) => {
      if (socket === false) return reject(new Error(`WebSocket listen failed on ${host}:${port}`));
      edge.sockets.push(socket);
      resolve(edge.uws.us_socket_local_port(socket as unknown as Parameters<UwsModule['us_socket_local_port']>[0]));
    });
  });
}

/** Stop accepting; existing connections stay until closed. */
export function wsEdgeStopListening(edge: WsEdge): void {
  for (const socket of edge.sockets.splice(0)) edge.uws.us_listen_socket_close(socket);
}

/** Close everything at once (required before a worker thread ends: see DESIGN.md §3). */
export function wsEdgeClose(edge: WsEdge): void {
  wsEdgeStopListening(edge);
  edge.app.close();
}
