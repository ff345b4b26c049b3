// The WebSocket transport: binary messages are whole native frames, text messages compat JSON.
// `ws` enforces the message size limit (closing with 1009) before a byte reaches us.

import type { ClientTls } from './types.js';
import WebSocket from 'ws';
import { FRAME_BODY_BYTES_MAX, WS_MESSAGE_BYTES_MAX } from '../limits.js';
import { frameDecodeOne } from '../protocol/native_frame.js';
import { CLIENT_SEND_BUFFER_BYTES_MAX } from './client_limits.js';
import type { Connection, ConnectionHandlers, ConnectionSendOutcome } from './connection.js';

/** WebSocket close code for a peer that broke the protocol (RFC 6455 §7.4.1). */
const WS_CLOSE_PROTOCOL_ERROR = 1002;

export class WsConnection implements Connection {
  private readonly ws: WebSocket;

  private constructor(ws: WebSocket, handlers: ConnectionHandlers) {
    this.ws = ws;
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const bytes = rawToBuffer(data);
      if (!isBinary) {
        handlers.onText(bytes.toString('utf8'));
        return;
      }
      const frame = frameDecodeOne(bytes, FRAME_BODY_BYTES_MAX);
      if (typeof frame === 'string') {
        ws.close(WS_CLOSE_PROTOCOL_ERROR, `bad frame: ${frame}`);
        return;
      }
      handlers.onFrame(frame);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      handlers.onClose(code, reason.toString('utf8'));
    });
    // Errors are followed by 'close'; the listener keeps them from being thrown.
    ws.on('error', () => undefined);
  }

  /** Resolves once the handshake is done; rejects on error or after timeoutMs. */
  static open(
    host: string,
    port: number,
    handlers: ConnectionHandlers,
    timeoutMs: number,
    secure?: ClientTls,
  ): Promise<WsConnection> {
    return new Promise((resolve, reject) => {
      const hostPart = host.includes(':') ? `[${host}]` : host;
      const scheme = secure === undefined ? 'ws' : 'wss';
      const ws = new WebSocket(`${scheme}://${hostPart}:${port}/`, {
        maxPayload: WS_MESSAGE_BYTES_MAX,
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
        ...(secure === undefined
          ? {}
          : {
              rejectUnauthorized: secure.rejectUnauthorized ?? true,
              ...(secure.ca === undefined ? {} : { ca: secure.ca }),
              ...(secure.servername === undefined ? {} : { servername: secure.servername }),
            }),
      });
      ws.binaryType = 'nodebuffer';
      const onError = (err: Error): void => reject(err);
      ws.once('error', onError);
      ws.once('open', () => {
        ws.off('error', onError);
        resolve(new WsConnection(ws, handlers));
      });
    });
  }

  send(data: Buffer | string): ConnectionSendOutcome {
    if (this.ws.readyState !== WebSocket.OPEN) return 'closed';
    if (this.ws.bufferedAmount > CLIENT_SEND_BUFFER_BYTES_MAX) return 'full';
    this.ws.send(data, { binary: typeof data !== 'string' });
    return 'ok';
  }

  close(code = 1000, reason = ''): void {
    this.ws.close(code, reason);
  }

  destroy(): void {
    this.ws.terminate();
  }
}

/** With binaryType 'nodebuffer' data is a Buffer; fragmented messages may still be an array. */
function rawToBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
