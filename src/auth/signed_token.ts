// Magpie's own access token: the security boundary of login and CONNECT (PROTOCOL.md §5, `part0`).
// A token is standard Base64 of the binary layout below, signed with HMAC-SHA256 under a named key.
// Invariants: its byte length is a multiple of 4 and its last byte is never zero (the compat
// wrapping zero-pads to 4 and strips trailing zeros); no field chooses how a token is checked.
//
//   offset  bytes  field
//   0       1      version (TOKEN_VERSION)
//   1       1      key id byte length K (1..TOKEN_KEY_ID_BYTES_MAX)
//   2       K      key id, UTF-8
//   .       1      uid byte length U (1..TOKEN_FIELD_BYTES_MAX)
//   .       U      uid, UTF-8
//   .       1      device id byte length D (1..TOKEN_FIELD_BYTES_MAX)
//   .       D      device id, UTF-8
//   .       8      expiresAtMs, uint64 big-endian (at most Number.MAX_SAFE_INTEGER)
//   .       8      nonce, random
//   .       P      padding, P = 0..3 zero bytes, so that the whole length is a multiple of 4
//   .       32     HMAC-SHA256(secret of key id, every byte above)
//   .       1      end mark TOKEN_END_MARK (non-zero: a trailing-zero strip can never eat the MAC)

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ErrorCode, type Result, assert, fail, ok } from '../errors.js';
import { DEVICE_ID_CHARS_MAX, USER_ID_CHARS_MAX } from '../limits.js';
import { base64DecodeStrict } from './base64.js';

/** Layout version; a new layout takes a new number and old tokens are refused (they expire). */
const TOKEN_VERSION = 1;
/** Last byte of every token; non-zero so compat's trailing-zero strip is a no-op on tokens. */
const TOKEN_END_MARK = 0x4d;
const EXPIRY_BYTES = 8;
const NONCE_BYTES = 8;
const SIGNATURE_BYTES = 32;
/** Bytes of every token besides key id, uid, device id and padding. */
const FIXED_BYTES = 1 + 1 + 1 + 1 + EXPIRY_BYTES + NONCE_BYTES + SIGNATURE_BYTES + 1;

/** Longest key id, in UTF-8 bytes: key ids are short operator labels ('k1', '2025-06'). */
export const TOKEN_KEY_ID_BYTES_MAX = 32;
/** Longest uid or device id in a token, in UTF-8 bytes: the layout has one length byte. */
export const TOKEN_FIELD_BYTES_MAX = 255;
/** Shortest HMAC key, in bytes: SHA-256's output size (RFC 2104); shorter keys are a config bug. */
export const TOKEN_KEY_BYTES_MIN = 32;
/** Longest token, in bytes: every field at its maximum plus 3 padding bytes. */
export const TOKEN_BYTES_MAX = FIXED_BYTES + TOKEN_KEY_ID_BYTES_MAX + 2 * TOKEN_FIELD_BYTES_MAX + 3;
/** Longest token text; longer input is refused before it is decoded or allocated for. */
export const TOKEN_CHARS_MAX = Math.ceil(TOKEN_BYTES_MAX / 3) * 4;

// A UTF-16 code unit takes at most 3 UTF-8 bytes, so any valid id fits its length byte.
assert(USER_ID_CHARS_MAX * 3 <= TOKEN_FIELD_BYTES_MAX, 'a uid fits the token length byte');
assert(DEVICE_ID_CHARS_MAX * 3 <= TOKEN_FIELD_BYTES_MAX, 'a device id fits the token length byte');

export interface TokenKey {
  readonly id: string;
  readonly secret: Buffer;
}

/**
 * Signing keys. `current` signs and verifies; `verifyOnly` keys still verify, so a rotated-out
 * key keeps its tokens valid until an operator removes it. Ids are unique across both.
 */
export interface TokenKeys {
  readonly current: TokenKey;
  readonly verifyOnly: readonly TokenKey[];
}

export interface TokenClaims {
  readonly uid: string;
  readonly deviceId: string;
  readonly expiresAtMs: number;
  readonly keyId: string;
}

/** Fields located in a structurally valid token; nothing in it is trusted until the MAC is. */
interface TokenLayout {
  readonly keyId: Buffer;
  readonly uid: Buffer;
  readonly deviceId: Buffer;
  readonly expiresAtMs: number;
  readonly signed: Buffer;
  readonly signature: Buffer;
}

/** Padding that makes a token with these variable-field byte lengths a multiple of 4 long. */
function tokenPadding(fieldBytes: number): number {
  return (4 - ((FIXED_BYTES + fieldBytes) % 4)) % 4;
}

function tokenMac(secret: Buffer, signed: Buffer): Buffer {
  return createHmac('sha256', secret).update(signed).digest();
}

/** Ids are ours, not user input: a bad one is a caller bug. */
function idBytes(id: string, bytesMax: number, what: string): Buffer {
  const bytes = Buffer.from(id, 'utf8');
  assert(bytes.length >= 1 && bytes.length <= bytesMax, `${what} is 1..${bytesMax} UTF-8 bytes`);
  assert(bytes.toString('utf8') === id, `${what} is well-formed UTF-16 (no lone surrogates)`);
  return bytes;
}

/** Issues a token for (uid, deviceId) valid until nowMs + ttlMs, signed by the current key. */
export function tokenIssue(
  keys: TokenKeys,
  uid: string,
  deviceId: string,
  nowMs: number,
  ttlMs: number,
): string {
  assert(Number.isSafeInteger(nowMs) && nowMs >= 0, 'nowMs is a non-negative integer');
  assert(Number.isSafeInteger(ttlMs) && ttlMs > 0, 'ttlMs is a positive integer');
  const expiresAtMs = nowMs + ttlMs;
  assert(Number.isSafeInteger(expiresAtMs), 'expiry is a safe integer');
  assert(keys.current.secret.length >= TOKEN_KEY_BYTES_MIN, 'token key is long enough');
  const keyId = idBytes(keys.current.id, TOKEN_KEY_ID_BYTES_MAX, 'key id');
  const uidBytes = idBytes(uid, TOKEN_FIELD_BYTES_MAX, 'uid');
  const deviceBytes = idBytes(deviceId, TOKEN_FIELD_BYTES_MAX, 'device id');
  const fieldBytes = keyId.length + uidBytes.length + deviceBytes.length;
  const padding = tokenPadding(fieldBytes);
  const token = Buffer.alloc(FIXED_BYTES + fieldBytes + padding); // zero-filled: padding is 0

  let at = 0;
  token[at++] = TOKEN_VERSION;
  for (const field of [keyId, uidBytes, deviceBytes]) {
    token[at++] = field.length;
    at += field.copy(token, at);
  }
  token.writeBigUInt64BE(BigInt(expiresAtMs), at);
  at += EXPIRY_BYTES;
  at += randomBytes(NONCE_BYTES).copy(token, at);
  at += padding;
  at += tokenMac(keys.current.secret, token.subarray(0, at)).copy(token, at);
  token[at++] = TOKEN_END_MARK;
  assert(at === token.length, 'token layout filled exactly');
  assert(token.length % 4 === 0, 'token length is a multiple of 4 (PROTOCOL.md §5)');
  return token.toString('base64');
}

/** Locates the fields of a token, bounds-checking every length; null if malformed. */
function tokenParse(token: Buffer): TokenLayout | null {
  const lengthMin = FIXED_BYTES + 3;
  if (token.length < lengthMin || token.length > TOKEN_BYTES_MAX || token.length % 4 !== 0) {
    return null;
  }
  if (token[0] !== TOKEN_VERSION || token[token.length - 1] !== TOKEN_END_MARK) return null;
  let at = 1;
  const fields: Buffer[] = [];
  for (const bytesMax of [TOKEN_KEY_ID_BYTES_MAX, TOKEN_FIELD_BYTES_MAX, TOKEN_FIELD_BYTES_MAX]) {
    const length = token[at++] ?? 0;
    // `at + length` stays tiny: length is one byte and `at` is bounded by TOKEN_BYTES_MAX.
    if (length < 1 || length > bytesMax || at + length > token.length) return null;
    fields.push(token.subarray(at, at + length));
    at += length;
  }
  const [keyId, uid, deviceId] = fields;
  if (keyId === undefined || uid === undefined || deviceId === undefined) return null;
  const padding = tokenPadding(keyId.length + uid.length + deviceId.length);
  const signedEnd = at + EXPIRY_BYTES + NONCE_BYTES + padding;
  if (signedEnd + SIGNATURE_BYTES + 1 !== token.length) return null;
  const expiresAt = token.readBigUInt64BE(at);
  if (expiresAt > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  for (let i = signedEnd - padding; i < signedEnd; i++) if (token[i] !== 0) return null;
  return {
    keyId,
    uid,
    deviceId,
    expiresAtMs: Number(expiresAt),
    signed: token.subarray(0, signedEnd),
    signature: token.subarray(signedEnd, signedEnd + SIGNATURE_BYTES),
  };
}

function tokenKeyFind(keys: TokenKeys, keyId: Buffer): TokenKey | undefined {
  // Key ids are public (they are in every token), so this lookup need not be constant-time.
  if (keyId.equals(Buffer.from(keys.current.id, 'utf8'))) return keys.current;
  return keys.verifyOnly.find((key) => keyId.equals(Buffer.from(key.id, 'utf8')));
}

/**
 * True if `token` is canonical Base64 of a structurally valid layout. Says nothing about the
 * signature or expiry: only tokenVerify decides whether a token is good.
 */
export function tokenWellFormed(token: string): boolean {
  const bytes = base64DecodeStrict(token, TOKEN_CHARS_MAX);
  return bytes !== null && tokenParse(bytes) !== null;
}

/**
 * The claims of a token signed by a known key and not expired at nowMs. Every failure (encoding,
 * layout, unknown key, signature, expiry) is the same TOKEN_ERROR, so a refusal tells an attacker
 * nothing about which part was wrong. Never throws on any input.
 */
export function tokenVerify(keys: TokenKeys, token: string, nowMs: number): Result<TokenClaims> {
  // A NaN clock would make every token look unexpired: a caller bug, not input.
  assert(Number.isFinite(nowMs), 'nowMs is a finite number');
  const bytes = base64DecodeStrict(token, TOKEN_CHARS_MAX);
  if (bytes === null) return fail(ErrorCode.TOKEN_ERROR);
  const layout = tokenParse(bytes);
  if (layout === null) return fail(ErrorCode.TOKEN_ERROR);
  const key = tokenKeyFind(keys, layout.keyId);
  if (key === undefined) return fail(ErrorCode.TOKEN_ERROR);
  assert(key.secret.length >= TOKEN_KEY_BYTES_MIN, 'token key is long enough');
  // Both are SIGNATURE_BYTES long (the parser fixed the layout), as timingSafeEqual requires.
  if (!timingSafeEqual(tokenMac(key.secret, layout.signed), layout.signature)) {
    return fail(ErrorCode.TOKEN_ERROR);
  }
  if (nowMs >= layout.expiresAtMs) return fail(ErrorCode.TOKEN_ERROR);
  return ok({
    uid: layout.uid.toString('utf8'),
    deviceId: layout.deviceId.toString('utf8'),
    expiresAtMs: layout.expiresAtMs,
    keyId: key.id,
  });
}

/** A fresh random key for config generation and tests. */
export function tokenKeyGenerate(id: string): TokenKey {
  idBytes(id, TOKEN_KEY_ID_BYTES_MAX, 'key id');
  return { id, secret: randomBytes(TOKEN_KEY_BYTES_MIN) };
}
