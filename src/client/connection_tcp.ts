// The TCP transport: native frames over one socket, split by a FrameReader. A stream that stops
// being frames (bad magic, oversize length) destroys the socket: nothing after it can be trusted.

import * as net from 'node:net';
import * as tls from 'node:tls';
import type { ClientTls } from './types.js';
import { assert } from '../errors.js';
import { FRAME_BODY_BYTES_MAX } from '../limits.js';
import { FrameReader } from '../protocol/native_frame.js';
import { CLIENT_SEND_BUFFER_BYTES_MAX } from './client_limits.js';
import type { Connection, ConnectionHandlers, ConnectionSendOutcome } from './connection.js';

export class TcpConnection implements Connection {
  private readonly socket: net.Socket;
  private readonly reader = new FrameReader(FRAME_BODY_BYTES_MAX);
  private closed = false;

  private constructor(socket: net.Socket, handlers: ConnectionHandlers) {
    this.socket = socket;
    let closeReason = 'closed';
    socket.on('data', (chunk: Buffer) => {
      const error = this.reader.feed(chunk, (frame) => handlers.onFrame(frame));
      if (error !== null) {
        closeReason = `bad frame stream: ${error}`;
        socket.destroy();
      }
    });
    socket.on('error', (err: Error) => {
      closeReason = err.message;
    });
    socket.on('close', () => {
      this.closed = true;
      handlers.onClose(null, closeReason);
    });
  }

  /** Resolves once the socket is connected; rejects on error or after timeoutMs. */
  static open(
    host: string,
    port: number,
    handlers: ConnectionHandlers,
    timeoutMs: number,
    secure?: ClientTls,
  ): Promise<TcpConnection> {
    return new Promise((resolve, reject) => {
      const socket =
        secure === undefined
          ? net.connect({ host, port, noDelay: true })
          : tls.connect({
              host,
              port,
              ...(secure.servername !== undefined
                ? { servername: secure.servername }
                : net.isIP(host) === 0
                  ? { servername: host }
                  : {}),
              rejectUnauthorized: secure.rejectUnauthorized ?? true,
              ...(secure.ca === undefined ? {} : { ca: secure.ca }),
            });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`tcp connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
      socket.setNoDelay(true);
      socket.once(secure === undefined ? 'connect' : 'secureConnect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(new TcpConnection(socket, handlers));
      });
    });
  }

  send(data: Buffer | string): ConnectionSendOutcome {
    assert(typeof data !== 'string', 'the TCP transport carries native frames only');
    if (this.closed || this.socket.destroyed) return 'closed';
    if (this.socket.writableLength > CLIENT_SEND_BUFFER_BYTES_MAX) return 'full';
    this.socket.write(data);
    return 'ok';
  }

  close(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
