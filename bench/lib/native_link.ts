// One raw native-protocol connection for load generators: TCP (native frames on the stream) or
// WebSocket (one native frame per binary message, via ws_wire.ts), CONNECT/CONNECT_ACK, and a
// PING that declares the longest interval so a quiet bench connection is not reaped. Writes
// made in one event-loop turn leave in one syscall (cork until the next tick).

import net from 'node:net';
import { FRAME_BODY_BYTES_MAX, PING_INTERVAL_MS_MAX } from '../../src/limits.js';
import { bodyEncode } from '../../src/protocol/body_codec.js';
import type { Frame } from '../../src/protocol/frame.js';
import { FrameReader, frameDecodeOne, frameEncode } from '../../src/protocol/native_frame.js';
import { Signal, SubSignal } from '../../src/protocol/signals.js';
import { WsFrameReader, localAddressOption, wsClientFrame, wsOpen } from './ws_wire.js';
import { TurnCork } from '../../src/transport/turn_cork.js';

export type LinkTransport = 'tcp' | 'ws';

/** Request ids the link uses itself; users of the link start above them. */
export const LINK_CONNECT_ID = 1;
export const LINK_PING_ID = 2;

export class NativeLink {
  readonly transport: LinkTransport;
  private readonly socket: net.Socket;
  private readonly cork: TurnCork;
  /** Replace to receive frames; bodies are borrowed (valid until the call returns). */
  onFrame: (frame: Frame) => void = () => undefined;
  /** Called once when the connection ends, with why. */
  onClose: (reason: string) => void = () => undefined;

  private constructor(transport: LinkTransport, socket: net.Socket) {
    this.transport = transport;
    this.socket = socket;
    this.cork = new TurnCork(socket);
  }

  /** Opens the connection (no CONNECT yet). */
  static async open(transport: LinkTransport, host: string, port: number,
    timeoutMs: number, localAddress?: string): Promise<NativeLink> {
    if (transport === 'ws') {
      const { socket, rest } = await wsOpen(host, port, timeoutMs, localAddress);
      const link = new NativeLink(transport, socket);
      link.wsRead(rest);
      return link;
    }
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const opened = net.connect({ host, port, noDelay: true,
        ...localAddressOption(localAddress) });
      const timer = setTimeout(() => {
        opened.destroy();
        reject(new Error(`tcp connect timed out (${timeoutMs} ms)`));
      }, timeoutMs);
      opened.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      opened.once('connect', () => {
        clearTimeout(timer);
        resolve(opened);
      });
    });
    const link = new NativeLink(transport, socket);
    link.tcpRead();
    return link;
  }

  private closeWatch(reason: () => string): void {
    this.socket.on('error', () => undefined);
    this.socket.once('close', () => this.onClose(reason()));
  }

  private tcpRead(): void {
    const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
    let reason = 'closed by the server';
    this.socket.on('data', (chunk: Buffer) => {
      const error = reader.feed(chunk, (frame) => this.onFrame(frame));
      if (error !== null) {
        reason = `bad frame stream: ${error}`;
        this.socket.destroy();
      }
    });
    this.closeWatch(() => reason);
  }

  private wsRead(rest: Buffer): void {
    const reader = new WsFrameReader();
    let reason = 'closed by the server';
    const onMessage = (payload: Buffer, binary: boolean): void => {
      const frame = binary ? frameDecodeOne(payload, FRAME_BODY_BYTES_MAX) : 'text message';
      if (typeof frame === 'string') {
        reason = `bad message: ${frame}`;
        this.socket.destroy();
        return;
      }
      this.onFrame(frame);
    };
    const onData = (chunk: Buffer): void => {
      const error = reader.feed(chunk, onMessage);
      if (error !== null) {
        reason = error;
        this.socket.destroy();
      }
    };
    this.socket.on('data', onData);
    this.closeWatch(() => reason);
    if (rest.length > 0) onData(rest);
  }

  /** The bytes that carry `frame` on this transport. */
  wrap(frame: Buffer): Buffer {
    return this.transport === 'ws' ? wsClientFrame(frame) : frame;
  }

  /** Bytes before the native frame inside `wrap`'s output for a frame of `frameBytes`. */
  wrapOffset(frameBytes: number): number {
    return this.wrap(Buffer.alloc(frameBytes)).length - frameBytes;
  }

  /** Queues wrapped bytes; everything written in this turn goes out together. */
  write(bytes: Buffer): void {
    this.cork.write(bytes);
  }

  /** Encodes, wraps and writes one frame. */
  send(signal: number, subSignal: number, messageId: number, content: unknown): void {
    const body = content === undefined ? Buffer.alloc(0) : bodyEncode(content);
    this.write(this.wrap(frameEncode(signal, subSignal, messageId, body)));
  }

  /** CONNECT and wait for CONNECT_ACK; then a PING with the longest interval. */
  connect(uid: string, token: string, deviceId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${uid}: no CONNECT_ACK`)), timeoutMs);
      this.onClose = (reason) => {
        clearTimeout(timer);
        reject(new Error(`${uid}: closed before CONNECT_ACK: ${reason}`));
      };
      this.onFrame = (frame) => {
        if (frame.signal !== Signal.CONNECT_ACK) return;
        clearTimeout(timer);
        this.onFrame = () => undefined;
        this.onClose = () => undefined;
        if (frame.subSignal !== SubSignal.CONNECTION_ACCEPTED) {
          reject(new Error(`${uid}: CONNECT refused (${frame.subSignal})`));
          return;
        }
        this.send(Signal.PING, SubSignal.NONE, LINK_PING_ID, { interval: PING_INTERVAL_MS_MAX });
        resolve();
      };
      const content = { userName: uid, password: token, clientIdentifier: deviceId };
      this.send(Signal.CONNECT, SubSignal.NONE, LINK_CONNECT_ID, content);
    });
  }

  close(): void {
    this.onClose = () => undefined;
    this.socket.destroy();
  }
}
