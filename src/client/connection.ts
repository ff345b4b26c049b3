// One interface over the client's transports: a Connection carries native frames (TCP, WebSocket
// binary) or compat JSON text (WebSocket text). It owns nothing but its socket: request matching,
// CONNECT and pings live in client_link.ts.

import type { Frame } from '../protocol/frame.js';

export interface ConnectionHandlers {
  /** One inbound native frame; its body is borrowed (valid only during the call). */
  onFrame(frame: Frame): void;
  /** One inbound WebSocket text message. */
  onText(text: string): void;
  /** Called once when the connection is gone, whoever closed it. `code` is null for TCP. */
  onClose(code: number | null, reason: string): void;
}

/** 'full': more than CLIENT_SEND_BUFFER_BYTES_MAX is waiting to be written (slow network). */
export type ConnectionSendOutcome = 'ok' | 'full' | 'closed';

export interface Connection {
  /** Binary (one whole native frame) or text (compat JSON; WebSocket only). */
  send(data: Buffer | string): ConnectionSendOutcome;
  /** Closes after flushing what is queued; `code` is a WebSocket close code (ignored by TCP). */
  close(code?: number, reason?: string): void;
  /** Closes at once, dropping what is queued. */
  destroy(): void;
}
