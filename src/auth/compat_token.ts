// The original clients' token wrapping (PROTOCOL.md §5): compatibility only, NOT security. Its
// AES key is public and `secret` travels inside the token, so anyone can unwrap and rewrap; the
// boundary is the HMAC of `part0` (signed_token.ts), checked after every path here.

import { createCipheriv, createDecipheriv, randomBytes, randomInt } from 'node:crypto';
import { ErrorCode, type Result, assert, fail, ok } from '../errors.js';
import { base64DecodeStrict } from './base64.js';
import { TOKEN_BYTES_MAX, TOKEN_CHARS_MAX, tokenWellFormed } from './signed_token.js';

/** The clients' fixed key, also used as IV: bytes 00 11 22 … 77 78 79 … 7F. */
const COMPAT_KEY = Buffer.from('001122334455667778797a7b7c7d7e7f', 'hex');
const CIPHER = 'aes-128-cbc'; // PKCS#7 padding is Node's default (autoPadding)
const AES_BLOCK_BYTES = 16;
/** Both AES layers start with a 4-byte prefix: hours since epoch (token) or garbage (password). */
const PREFIX_BYTES = 4;
const HOUR_MS = 3_600_000;
/** The password layer's key (and IV) is the first 16 chars of `secret`, as ASCII bytes. */
const SECRET_KEY_CHARS = 16;
const SEPARATOR = '|';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Length of a generated secret: 32 chars of 62 symbols ≈ 190 bits (≥ 24 required). */
export const SECRET_CHARS = 32;
/** Longest secret or dbSecret we wrap: room for any generated one, small enough to bound tokens. */
export const COMPAT_SECRET_CHARS_MAX = 128;
/** Longest compat token text: part0 plus two secrets, AES-padded, Base64; refused beyond it. */
export const COMPAT_TOKEN_CHARS_MAX = base64Chars(
  aesPaddedBytes(PREFIX_BYTES + TOKEN_CHARS_MAX + 2 + 2 * COMPAT_SECRET_CHARS_MAX),
);
/** Longest compat password text: a maximal part0's bytes (+3 zero pad), AES-padded, Base64. */
export const COMPAT_PASSWORD_CHARS_MAX = base64Chars(
  aesPaddedBytes(PREFIX_BYTES + TOKEN_BYTES_MAX + 3),
);

function aesPaddedBytes(plainBytes: number): number {
  return (Math.floor(plainBytes / AES_BLOCK_BYTES) + 1) * AES_BLOCK_BYTES; // PKCS#7 always pads
}
function base64Chars(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

function aesEncrypt(key: Buffer, plain: Buffer): Buffer {
  const cipher = createCipheriv(CIPHER, key, key);
  return Buffer.concat([cipher.update(plain), cipher.final()]);
}

/** Null when the ciphertext is not whole blocks or its padding is bad (wrong key, forged). */
function aesDecrypt(key: Buffer, sealed: Buffer): Buffer | null {
  if (sealed.length === 0 || sealed.length % AES_BLOCK_BYTES !== 0) return null;
  const decipher = createDecipheriv(CIPHER, key, key);
  try {
    return Buffer.concat([decipher.update(sealed), decipher.final()]);
  } catch {
    return null; // OpenSSL's "bad decrypt": expected for input that is not ours
  }
}

/** The password layer's key: the first 16 chars of `secret`, which must be ASCII. */
function secretKey(secret: string): Buffer | null {
  if (secret.length < SECRET_KEY_CHARS) return null;
  const head = secret.slice(0, SECRET_KEY_CHARS);
  for (let i = 0; i < head.length; i++) if (head.charCodeAt(i) > 0x7f) return null;
  return Buffer.from(head, 'latin1');
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** The compat `token` for a login answer: Base64(AES(hours ‖ `part0|secret|dbSecret`)). */
export function compatTokenWrap(
  part0: string,
  secret: string,
  dbSecret: string,
  nowMs: number,
): string {
  assert(part0.length > 0 && !part0.includes(SEPARATOR), 'part0 is non-empty, without |');
  assert(secret.length >= SECRET_KEY_CHARS && secret.length <= COMPAT_SECRET_CHARS_MAX,
    'secret is 16..COMPAT_SECRET_CHARS_MAX chars');
  assert(isAscii(secret) && !secret.includes(SEPARATOR), 'secret is ASCII, without |');
  assert(dbSecret.length <= COMPAT_SECRET_CHARS_MAX, 'dbSecret is at most the secret bound');
  assert(!dbSecret.includes(SEPARATOR), 'dbSecret has no |');
  assert(Number.isSafeInteger(nowMs) && nowMs >= 0, 'nowMs is a non-negative integer');
  const plain = Buffer.concat([
    Buffer.alloc(PREFIX_BYTES),
    Buffer.from(`${part0}${SEPARATOR}${secret}${SEPARATOR}${dbSecret}`, 'utf8'),
  ]);
  // The hour count wraps at 2^32 hours (year ~490,000); clients ignore it anyway.
  plain.writeUInt32BE(Math.floor(nowMs / HOUR_MS) % 2 ** 32, 0);
  const token = aesEncrypt(COMPAT_KEY, plain).toString('base64');
  assert(token.length <= COMPAT_TOKEN_CHARS_MAX, 'compat token within its bound');
  return token;
}

/** What a client does with the compat token: the three parts, whatever the hour prefix. */
export function compatTokenUnwrap(
  token: string,
): Result<{ part0: string; secret: string; dbSecret: string }> {
  const sealed = base64DecodeStrict(token, COMPAT_TOKEN_CHARS_MAX);
  if (sealed === null) return fail(ErrorCode.TOKEN_ERROR);
  const plain = aesDecrypt(COMPAT_KEY, sealed);
  if (plain === null || plain.length <= PREFIX_BYTES) return fail(ErrorCode.TOKEN_ERROR);
  const parts = plain.subarray(PREFIX_BYTES).toString('utf8').split(SEPARATOR);
  const [part0, secret, dbSecret] = parts;
  if (parts.length !== 3 || part0 === undefined || secret === undefined) {
    return fail(ErrorCode.TOKEN_ERROR);
  }
  if (dbSecret === undefined || part0.length === 0) return fail(ErrorCode.TOKEN_ERROR);
  return ok({ part0, secret, dbSecret });
}

/**
 * Exactly what the original web client does to log in: unwrap, then password =
 * Base64(AES(key = IV = secret[0..16), prefix ‖ Base64-decode(part0) zero-padded to 4)).
 * The web client's prefix is garbage; the default here is random. Used by the SDK and tests.
 */
export function compatPasswordDerive(compatToken: string, prefix?: Uint8Array): Result<string> {
  const prefixBytes = prefix === undefined ? randomBytes(PREFIX_BYTES) : Buffer.from(prefix);
  assert(prefixBytes.length === PREFIX_BYTES, 'password prefix is 4 bytes');
  const unwrapped = compatTokenUnwrap(compatToken);
  if (!unwrapped.ok) return unwrapped;
  const key = secretKey(unwrapped.value.secret);
  if (key === null) return fail(ErrorCode.TOKEN_ERROR);
  const raw = Buffer.from(unwrapped.value.part0, 'base64');
  const padded = Buffer.alloc(Math.ceil(raw.length / 4) * 4); // zero-filled tail
  raw.copy(padded);
  return ok(aesEncrypt(key, Buffer.concat([prefixBytes, padded])).toString('base64'));
}

/**
 * The server side of compatPasswordDerive: decrypt with secret[0..16), drop the 4-byte prefix
 * (any value: the web client's is garbage), strip up to 3 trailing zero bytes (the client's
 * padding; a Magpie part0 never ends in zero) and return the rest as Base64 — part0, still to be
 * checked by tokenVerify. Malformed input or a wrong secret gives TOKEN_ERROR; never throws.
 */
export function compatPasswordOpen(password: string, secret: string): Result<string> {
  const key = secretKey(secret);
  if (key === null) return fail(ErrorCode.TOKEN_ERROR);
  const sealed = base64DecodeStrict(password, COMPAT_PASSWORD_CHARS_MAX);
  if (sealed === null) return fail(ErrorCode.TOKEN_ERROR);
  const plain = aesDecrypt(key, sealed);
  if (plain === null) return fail(ErrorCode.TOKEN_ERROR);
  let end = plain.length;
  const endMin = Math.max(PREFIX_BYTES, end - 3);
  while (end > endMin && plain[end - 1] === 0) end--;
  if (end <= PREFIX_BYTES) return fail(ErrorCode.TOKEN_ERROR);
  return ok(plain.subarray(PREFIX_BYTES, end).toString('base64'));
}

/**
 * part0 from a CONNECT password of either form: native clients send part0 itself, compat clients
 * the AES-wrapped form. Accepting both is safe because neither form is a credential by itself:
 * the AES key is public and `secret` is handed to the client inside its token, so every path
 * yields only a candidate part0, and the caller must pass it to tokenVerify, whose HMAC
 * (compared with timingSafeEqual) is the boundary. An attacker without a validly signed part0
 * gains nothing from either path. A compat password is random-looking bytes, so mistaking it for
 * a well-formed part0 layout (version byte, end mark, consistent lengths, zero padding) has a
 * chance of about 2^-33; it would then fail tokenVerify, never pass it.
 */
export function passwordToPart0(password: string, secret: string): Result<string> {
  if (tokenWellFormed(password)) return ok(password);
  return compatPasswordOpen(password, secret);
}

/** A per-(user, device) secret: SECRET_CHARS uniform random chars from [A-Za-z0-9]. */
export function secretGenerate(): string {
  let secret = '';
  for (let i = 0; i < SECRET_CHARS; i++) {
    secret += SECRET_ALPHABET[randomInt(SECRET_ALPHABET.length)] ?? '';
  }
  assert(secret.length === SECRET_CHARS, 'secret has SECRET_CHARS chars');
  return secret;
}
