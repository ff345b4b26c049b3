// One live connection of a client: it encodes packets for the transport's profile, matches
// answers to requests by request id, keeps the connection alive with PINGs and hands pushes up.
// It never reconnects: when its socket closes, every request in flight is rejected and the owner
// (client.ts) decides what comes next.

import { ErrorCode } from '../errors.js';
import { FRAME_BODY_BYTES_MAX, FRAME_HEADER_BYTES, WS_MESSAGE_BYTES_MAX } from '../limits.js';
import type { Frame } from '../protocol/frame.js';
import { Signal, SubSignal } from '../protocol/signals.js';
import { MagpieError, errorDisconnected, errorProtocol } from './client_error.js';
import { CLIENT_REQUESTS_IN_FLIGHT_MAX } from './client_limits.js';
import type { Connection, ConnectionHandlers } from './connection.js';
import { TcpConnection } from './connection_tcp.js';
import { WsConnection } from './connection_ws.js';
import { PendingRequests } from './pending_requests.js';
import type { ClientTls, Transport } from './types.js';
import type { InPacket, WireCodec } from './wire.js';
import { wireCompat } from './wire_compat.js';
import { wireNative } from './wire_native.js';

export interface LinkTarget {
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
  readonly tls?: ClientTls | undefined;
}

export interface LinkHandlers {
  /**
   * A server push: PUBLISH (MN, FRN, …), a PUB_ACK with request id 0 (transparent), or
   * DISCONNECT (the server is about to close: replaced or logged out).
   */
  onPush(link: ClientLink, packet: InPacket): void;
  /** Once, when the socket is gone; requests in flight are already rejected. */
  onClose(link: ClientLink, code: number | null, reason: string): void;
  /** Something the server sent could not be decoded; the connection stays. */
  onError(link: ClientLink, err: MagpieError): void;
}

export interface LinkTiming {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export class ClientLink {
  private connection: Connection | null = null;
  private readonly codec: WireCodec;
  private readonly handlers: LinkHandlers;
  private readonly pending: PendingRequests<InPacket>;
  private connectId = 0;
  private pingTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The error requests in flight are rejected with when the socket closes. */
  private closeError: MagpieError = errorDisconnected('connection closed');

  private constructor(transport: Transport, handlers: LinkHandlers, timing: LinkTiming) {
    this.codec = transport === 'ws-compat' ? wireCompat : wireNative;
    this.handlers = handlers;
    this.pending = new PendingRequests(CLIENT_REQUESTS_IN_FLIGHT_MAX, timing.requestTimeoutMs);
  }

  /** Opens the socket (no CONNECT yet). Rejects with a 'disconnected' MagpieError. */
  static async open(
    target: LinkTarget,
    handlers: LinkHandlers,
    timing: LinkTiming,
  ): Promise<ClientLink> {
    const link = new ClientLink(target.transport, handlers, timing);
    const connectionHandlers: ConnectionHandlers = {
      onFrame: (frame) => link.frameReceived(frame),
      onText: (text) => link.textReceived(text),
      onClose: (code, reason) => link.connectionClosed(code, reason),
    };
    const { host, port } = target;
    try {
      link.connection =
        target.transport === 'tcp'
          ? await TcpConnection.open(
              host,
              port,
              connectionHandlers,
              timing.connectTimeoutMs,
              target.tls,
            )
          : await WsConnection.open(
              host,
              port,
              connectionHandlers,
              timing.connectTimeoutMs,
              target.tls,
            );
    } catch (err: unknown) {
      const detail = err instanceof Error ? err.message : String(err);
      throw errorDisconnected(`cannot open ${target.transport} ${host}:${port}: ${detail}`);
    }
    return link;
  }

  get profile(): WireCodec['profile'] {
    return this.codec.profile;
  }

  /** Sends CONNECT; resolves with the CONNECT_ACK, whatever its sub-signal. */
  connect(content: unknown): Promise<InPacket> {
    const started = this.pending.start(Signal.CONNECT_ACK);
    if (started instanceof MagpieError) return Promise.reject(started);
    this.connectId = started.id;
    this.write(started.id, Signal.CONNECT, SubSignal.NONE, content);
    return started.answer;
  }

  /** A request answered by `answerSignal` with the same request id (PUB_ACK for PUBLISH). */
  request(
    signal: number,
    subSignal: number,
    content: unknown,
    answerSignal: number,
  ): Promise<InPacket> {
    const started = this.pending.start(answerSignal);
    if (started instanceof MagpieError) return Promise.reject(started);
    this.write(started.id, signal, subSignal, content);
    return started.answer;
  }

  /** A packet that expects no answer (DISCONNECT, compat PING); false if it was not written. */
  post(signal: number, subSignal: number, content: unknown): boolean {
    const data = this.codec.encode({ signal, subSignal, messageId: 0, content });
    return data !== null && this.connection?.send(data) === 'ok';
  }

  /**
   * PINGs every intervalMs. Native PINGs are answered: an unanswered one means a dead path, and
   * the socket is destroyed. Compat PINGs only keep the server's idle timer from firing.
   */
  pingStart(intervalMs: number): void {
    this.pingStop();
    const content = { interval: intervalMs };
    this.pingTimer = setInterval(() => {
      if (this.codec.profile === 'compat') {
        this.post(Signal.PING, SubSignal.NONE, content);
        return;
      }
      this.request(Signal.PING, SubSignal.NONE, content, Signal.PING).catch((err: unknown) => {
        if (err instanceof MagpieError && err.kind === 'timeout') this.destroy();
      });
    }, intervalMs);
    this.pingTimer.unref();
  }

  /** Graceful close: queued bytes are flushed first. */
  close(error: MagpieError, code?: number): void {
    this.closeError = error;
    this.pingStop();
    this.connection?.close(code);
  }

  /** Hard close; requests in flight reject with `error` (default: retryable 'disconnected'). */
  destroy(error?: MagpieError): void {
    if (error !== undefined) this.closeError = error;
    this.pingStop();
    this.connection?.destroy();
  }

  private pingStop(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  private write(id: number, signal: number, subSignal: number, content: unknown): void {
    const data = this.codec.encode({ signal, subSignal, messageId: id, content });
    if (data === null) {
      const detail = `sub-signal ${subSignal} has no compat name`;
      this.pending.fail(id, new MagpieError('server', ErrorCode.NOT_IMPLEMENTED, detail));
      return;
    }
    const text = typeof data === 'string';
    const bytes = text ? Buffer.byteLength(data) : data.length - FRAME_HEADER_BYTES;
    const bytesMax = text ? WS_MESSAGE_BYTES_MAX : FRAME_BODY_BYTES_MAX;
    if (bytes > bytesMax) {
      const detail = `${bytes} bytes > ${bytesMax}`;
      this.pending.fail(id, new MagpieError('limit', ErrorCode.TOO_LARGE, detail));
      return;
    }
    const outcome = this.connection === null || this.closed ? 'closed' : this.connection.send(data);
    if (outcome === 'full') {
      this.pending.fail(id, new MagpieError('limit', ErrorCode.OVER_FREQUENCY, 'send buffer full'));
    } else if (outcome === 'closed') {
      this.pending.fail(id, errorDisconnected('connection closed'));
    }
  }

  private frameReceived(frame: Frame): void {
    const packet = this.codec.decodeFrame(frame);
    if (packet === null) return;
    if (!packet.ok) {
      const detail = `undecodable frame ${frame.signal}/${frame.subSignal}`;
      this.handlers.onError(this, errorProtocol(detail));
      return;
    }
    this.packetReceived(packet.value);
  }

  private textReceived(text: string): void {
    const packet = this.codec.decodeText(text);
    if (packet === null) return;
    if (!packet.ok) {
      this.handlers.onError(this, errorProtocol(`undecodable text (${text.length} chars)`));
      return;
    }
    this.packetReceived(packet.value);
  }

  private packetReceived(packet: InPacket): void {
    if (packet.signal === Signal.CONNECT_ACK) {
      // Matched to our one CONNECT whatever request id the server echoes.
      this.pending.settle(this.connectId, Signal.CONNECT_ACK, packet);
      return;
    }
    const push =
      packet.signal === Signal.PUBLISH ||
      packet.signal === Signal.DISCONNECT ||
      (packet.signal === Signal.PUB_ACK && packet.messageId === 0);
    if (push) {
      this.handlers.onPush(this, packet);
      return;
    }
    // An answer nobody waits for (it timed out) is dropped.
    this.pending.settle(packet.messageId, packet.signal, packet);
  }

  private connectionClosed(code: number | null, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pingStop();
    this.pending.rejectAll(this.closeError);
    this.handlers.onClose(this, code, reason);
  }
}
