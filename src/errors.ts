// One table of error codes (PROTOCOL.md §8). Codes travel as the first byte of a native PUB_ACK
// body and as `code` in compat JSON. Protocol codes are 0–99 and 240–255; Magpie's own are
// 100–199. Never renumber; add at the end of a range.

export const ErrorCode = {
  OK: 0,
  INVALID_DATA: 2,
  SERVER_ERROR: 4,
  NOT_MODIFIED: 5,
  TOKEN_ERROR: 6,
  USER_FORBIDDEN: 8,
  NOT_IN_GROUP: 9,
  INVALID_MESSAGE: 10,
  GROUP_EXISTS: 11,
  FRIEND_REQUEST_ALREADY_SENT: 16,
  FRIEND_REQUEST_BLOCKED: 18,
  FRIEND_REQUEST_OVERTIME: 19,
  NOT_IN_CHATROOM: 20,
  // Magpie's own (100–199).
  /** The user's actor mailbox is full; retry after a short back-off. */
  MAILBOX_FULL: 100,
  /** The shard that owns the user or conversation is restarting; retry. */
  SHARD_UNAVAILABLE: 101,
  /** A value exceeds its named size limit (limits.ts). */
  TOO_LARGE: 102,
  /** The store is full (LMDB map or disk); the message was not stored; retry later. */
  STORE_FULL: 103,
  /** The operation needs a CONNECT first. */
  NOT_CONNECTED: 104,
  /** The server is draining for shutdown; reconnect elsewhere or later. */
  SHUTTING_DOWN: 105,
  SENSITIVE_WORD: 242,
  SIGN_EXPIRED: 243,
  AUTH_FAILURE: 244,
  TOO_MANY_CLIENTS: 245,
  IN_BLACKLIST: 246,
  FORBIDDEN_TO_SEND: 247,
  NO_RIGHT: 248,
  TIMEOUT: 249,
  OVER_FREQUENCY: 250,
  INVALID_PARAMETER: 251,
  NOT_EXIST: 253,
  NOT_IMPLEMENTED: 254,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** An expected failure as a value: `{ ok: false, code }`. Errors cross ports as codes. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: ErrorCode };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}
export function fail<T = never>(code: ErrorCode): Result<T> {
  return { ok: false, code };
}

export function assertNever(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}

/** Assertions catch our own bugs, never bad input: a failed one crashes the worker. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
