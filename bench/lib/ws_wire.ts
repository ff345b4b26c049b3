// A minimal WebSocket client at the byte level, for load generators that must cost less than
// the server they load: the HTTP upgrade, client frames masked with an all-zero key (legal, and
// the payload then goes out as is, so frames can be built once and reused), and a reader for
// the server's unmasked frames. Binary and text messages only; the server (uWS) never fragments.

import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** An upgrade answer longer than this is not a WebSocket server's. */
const UPGRADE_ANSWER_BYTES_MAX = 16 * 1024;
const OPCODE_TEXT = 0x1;
const OPCODE_BINARY = 0x2;
const OPCODE_CLOSE = 0x8;
/** A ping control frame: uWS answers it (pong) in C++ and resets the idle timer; no JS runs. */
export const OPCODE_PING = 0x9;

export interface WsOpened {
  readonly socket: net.Socket;
  /** Bytes after the upgrade answer (frames the server sent at once). */
  readonly rest: Buffer;
}

/**
 * Connects (from `localAddress` when given: one source address has only so many ports) and
 * upgrades; rejects on refusal, a non-101 answer or after timeoutMs.
 */
export function wsOpen(host: string, port: number, timeoutMs: number,
  localAddress?: string): Promise<WsOpened> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true, ...localAddressOption(localAddress) });
    let answer = Buffer.alloc(0);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error(`ws upgrade timed out (${timeoutMs} ms)`)),
      timeoutMs);
    const onData = (chunk: Buffer): void => {
      answer = Buffer.concat([answer, chunk]);
      const end = answer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (answer.length > UPGRADE_ANSWER_BYTES_MAX) fail(new Error('ws upgrade answer too long'));
        return;
      }
      const head = answer.subarray(0, end).toString('latin1');
      if (!/^HTTP\/1\.1 101 /.test(head)) {
        fail(new Error(`ws upgrade refused: ${head.split('\r\n')[0] ?? ''}`));
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', fail);
      resolve({ socket, rest: answer.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\n` +
        'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
      );
    });
  });
}

/** net.connect's option for a source address; none when not given. */
export function localAddressOption(localAddress: string | undefined):
  { localAddress?: string } {
  return localAddress === undefined ? {} : { localAddress };
}

/** Bytes of the client frame header for a payload of `length` bytes. */
export function wsClientHeaderBytes(length: number): number {
  return 2 + (length < 126 ? 0 : length <= 0xffff ? 2 : 8) + 4;
}

/** A final binary client frame around `payload`, zero mask key (payload bytes unchanged). */
export function wsClientFrame(payload: Uint8Array, opcode: number = OPCODE_BINARY): Buffer {
  const length = payload.length;
  const headerBytes = wsClientHeaderBytes(length);
  const frame = Buffer.allocUnsafe(headerBytes + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = 0x80 | length;
  } else if (length <= 0xffff) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  frame.writeUInt32BE(0, headerBytes - 4);
  frame.set(payload, headerBytes);
  return frame;
}

export type WsMessageHandler = (payload: Buffer, binary: boolean) => void;

/**
 * Splits the server's byte stream into messages. Payloads are views into the chunk (or into
 * one joined buffer when a frame spans chunks). Returns an error text when the stream is not
 * one this client understands, or when the server sent a close frame.
 */
export class WsFrameReader {
  private parts: Buffer[] = [];
  private have = 0;
  /** Bytes needed before parsing can progress (a whole header, then a whole frame). */
  private need = 2;

  feed(chunk: Buffer, onMessage: WsMessageHandler): string | null {
    this.parts.push(chunk);
    this.have += chunk.length;
    if (this.have < this.need) return null;
    const bytes = this.parts.length === 1 ? chunk : Buffer.concat(this.parts, this.have);
    let at = 0;
    let error: string | null = null;
    for (;;) {
      const left = bytes.length - at;
      if (left < 2) {
        this.need = 2;
        break;
      }
      const b0 = bytes[at]!;
      const b1 = bytes[at + 1]!;
      if ((b1 & 0x80) !== 0) return 'masked server frame';
      if ((b0 & 0x80) === 0) return 'fragmented server message';
      let length = b1 & 0x7f;
      let headerBytes = 2;
      if (length === 126) headerBytes = 4;
      else if (length === 127) headerBytes = 10;
      if (left < headerBytes) {
        this.need = headerBytes;
        break;
      }
      if (length === 126) length = bytes.readUInt16BE(at + 2);
      else if (length === 127) {
        length = bytes.readUInt32BE(at + 2) * 2 ** 32 + bytes.readUInt32BE(at + 6);
      }
      if (left < headerBytes + length) {
        this.need = headerBytes + length;
        break;
      }
      const opcode = b0 & 0x0f;
      const payload = bytes.subarray(at + headerBytes, at + headerBytes + length);
      at += headerBytes + length;
      if (opcode === OPCODE_BINARY || opcode === OPCODE_TEXT) {
        onMessage(payload, opcode === OPCODE_BINARY);
      } else if (opcode === OPCODE_CLOSE) {
        const code = payload.length >= 2 ? payload.readUInt16BE(0) : 'no code';
        error = `server closed (${code})`;
      }
      // Ping and pong: uWS sends none to a client that talks; ignored.
    }
    const rest = bytes.subarray(at);
    this.parts = rest.length === 0 ? [] : [rest];
    this.have = rest.length;
    return error;
  }
}
