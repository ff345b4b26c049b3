// The one error type the SDK rejects with. `kind` says what failed; `code` is an ErrorCode
// (src/errors.ts), except for kind 'refused' where it is the CONNECT_ACK sub-signal (3, 5, 6,
// 8, …). A compat token the SDK cannot unwrap is kind 'server', TOKEN_ERROR.

import { ErrorCode } from '../errors.js';

export type MagpieErrorKind =
  /** CONNECT_ACK refused the credentials or the device: `code` is the sub-signal. */
  | 'refused'
  /** The server answered with a non-zero code. */
  | 'server'
  /** The connection dropped or was never up: retryable (code SHARD_UNAVAILABLE, 101). */
  | 'disconnected'
  /** No answer within the request timeout (code TIMEOUT). */
  | 'timeout'
  /** A client-side bound was hit (OVER_FREQUENCY, TOO_LARGE). */
  | 'limit'
  /** The server sent something the SDK could not decode (code INVALID_DATA). */
  | 'protocol'
  /** close() or disconnect() was called. */
  | 'closed';

export class MagpieError extends Error {
  readonly kind: MagpieErrorKind;
  readonly code: number;
  /** Set on a failed send so the caller can retry with the same dedupe id. */
  readonly clientMessageId: string | null;
  /** The message without the kind and code prefix. */
  readonly detail: string;

  constructor(kind: MagpieErrorKind, code: number, detail: string, clientMessageId?: string) {
    super(`${kind} (code ${code}): ${detail}`);
    this.name = 'MagpieError';
    this.kind = kind;
    this.code = code;
    this.detail = detail;
    this.clientMessageId = clientMessageId ?? null;
  }

  /** True when the same request may succeed if tried again later. */
  get retryable(): boolean {
    return this.kind === 'disconnected' || this.kind === 'timeout' ||
      this.code === ErrorCode.MAILBOX_FULL || this.code === ErrorCode.SHARD_UNAVAILABLE ||
      this.code === ErrorCode.OVER_FREQUENCY || this.code === ErrorCode.SHUTTING_DOWN;
  }

  /** Same error with the send's dedupe id attached. */
  withClientMessageId(clientMessageId: string): MagpieError {
    return new MagpieError(this.kind, this.code, this.detail, clientMessageId);
  }
}

export function errorDisconnected(message: string): MagpieError {
  return new MagpieError('disconnected', ErrorCode.SHARD_UNAVAILABLE, message);
}

export function errorProtocol(message: string): MagpieError {
  return new MagpieError('protocol', ErrorCode.INVALID_DATA, message);
}
