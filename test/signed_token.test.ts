// Magpie's signed token: issue/verify, every forgery refused with the one TOKEN_ERROR, key
// rotation, and the layout invariants the compat wrapping relies on.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../src/errors.js';
import {
  TOKEN_BYTES_MAX,
  TOKEN_CHARS_MAX,
  type TokenKeys,
  tokenIssue,
  tokenKeyGenerate,
  tokenVerify,
  tokenWellFormed,
} from '../src/auth/signed_token.js';

const NOW_MS = 1_700_000_000_000;
const TTL_MS = 3600_000;
const keyA = tokenKeyGenerate('a');
const keyB = tokenKeyGenerate('b');
const keys: TokenKeys = { current: keyA, verifyOnly: [] };

function assertRefused(token: string, using: TokenKeys = keys, nowMs = NOW_MS): void {
  const result = tokenVerify(using, token, nowMs);
  assert.deepEqual(result, { ok: false, code: ErrorCode.TOKEN_ERROR }, `accepted: ${token}`);
}

test('signed_token: issue then verify returns uid, device id, expiry and key id', () => {
  const token = tokenIssue(keys, 'u123', 'device-1', NOW_MS, TTL_MS);
  assert.deepEqual(tokenVerify(keys, token, NOW_MS), {
    ok: true,
    value: { uid: 'u123', deviceId: 'device-1', expiresAtMs: NOW_MS + TTL_MS, keyId: 'a' },
  });
});

test('signed_token: non-ASCII ids round-trip', () => {
  const token = tokenIssue(keys, '用户😀', 'téléphone', NOW_MS, TTL_MS);
  const result = tokenVerify(keys, token, NOW_MS);
  assert.ok(result.ok);
  assert.equal(result.value.uid, '用户😀');
  assert.equal(result.value.deviceId, 'téléphone');
});

test('signed_token: two tokens for the same claims differ (random nonce)', () => {
  const first = tokenIssue(keys, 'u', 'd', NOW_MS, TTL_MS);
  const second = tokenIssue(keys, 'u', 'd', NOW_MS, TTL_MS);
  assert.notEqual(first, second);
});

test('signed_token: every issued layout is a multiple of 4 bytes and ends non-zero', () => {
  for (let keyIdLength = 1; keyIdLength <= 32; keyIdLength += 7) {
    const sized: TokenKeys = { current: tokenKeyGenerate('k'.repeat(keyIdLength)), verifyOnly: [] };
    for (let uidLength = 1; uidLength <= 12; uidLength++) {
      for (let deviceLength = 1; deviceLength <= 12; deviceLength++) {
        const token = tokenIssue(sized, 'u'.repeat(uidLength), 'd'.repeat(deviceLength), 0, 1);
        const bytes = Buffer.from(token, 'base64');
        assert.equal(bytes.length % 4, 0, 'part0 raw length is a multiple of 4');
        assert.notEqual(bytes[bytes.length - 1], 0, 'a trailing-zero strip cannot shorten it');
        assert.ok(token.length <= TOKEN_CHARS_MAX && bytes.length <= TOKEN_BYTES_MAX);
        assert.ok(!token.includes('|'));
        assert.ok(tokenWellFormed(token));
      }
    }
  }
});

test('signed_token: the largest ids fit TOKEN_BYTES_MAX', () => {
  const big: TokenKeys = { current: tokenKeyGenerate('k'.repeat(32)), verifyOnly: [] };
  const token = tokenIssue(big, 'u'.repeat(255), 'd'.repeat(255), NOW_MS, TTL_MS);
  assert.ok(Buffer.from(token, 'base64').length <= TOKEN_BYTES_MAX);
  assert.ok(tokenVerify(big, token, NOW_MS).ok);
});

test('signed_token: issue asserts on caller bugs (short key, empty or oversized ids)', () => {
  const weak: TokenKeys = { current: { id: 'w', secret: randomBytes(16) }, verifyOnly: [] };
  assert.throws(() => tokenIssue(weak, 'u', 'd', NOW_MS, TTL_MS));
  assert.throws(() => tokenIssue(keys, '', 'd', NOW_MS, TTL_MS));
  assert.throws(() => tokenIssue(keys, 'u', 'd'.repeat(256), NOW_MS, TTL_MS));
  assert.throws(() => tokenIssue(keys, 'u', 'd', NOW_MS, 0));
});

test('signed_token: flipping any bit of any byte is refused', () => {
  const token = tokenIssue(keys, 'u123', 'device-1', NOW_MS, TTL_MS);
  const bytes = Buffer.from(token, 'base64');
  for (let i = 0; i < bytes.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const forged = Buffer.from(bytes);
      forged[i] = (forged[i] ?? 0) ^ (1 << bit);
      assertRefused(forged.toString('base64'));
    }
  }
});

test('signed_token: expired at expiresAtMs, valid one millisecond before', () => {
  const token = tokenIssue(keys, 'u', 'd', NOW_MS, TTL_MS);
  assert.ok(tokenVerify(keys, token, NOW_MS + TTL_MS - 1).ok);
  assertRefused(token, keys, NOW_MS + TTL_MS);
  assertRefused(token, keys, Number.MAX_SAFE_INTEGER);
});

test('signed_token: a token signed by another secret under the same key id is refused', () => {
  const impostor: TokenKeys = { current: { id: 'a', secret: randomBytes(32) }, verifyOnly: [] };
  assertRefused(tokenIssue(impostor, 'u', 'd', NOW_MS, TTL_MS));
});

test('signed_token: an unknown key id is refused', () => {
  assertRefused(tokenIssue({ current: keyB, verifyOnly: [] }, 'u', 'd', NOW_MS, TTL_MS));
});

test('signed_token: rotation — a verifyOnly key verifies until it is removed', () => {
  const oldToken = tokenIssue({ current: keyA, verifyOnly: [] }, 'u', 'd', NOW_MS, TTL_MS);
  const rotated: TokenKeys = { current: keyB, verifyOnly: [keyA] };
  const result = tokenVerify(rotated, oldToken, NOW_MS);
  assert.ok(result.ok);
  assert.equal(result.value.keyId, 'a');
  const newToken = tokenIssue(rotated, 'u', 'd', NOW_MS, TTL_MS);
  const fresh = tokenVerify(rotated, newToken, NOW_MS);
  assert.ok(fresh.ok);
  assert.equal(fresh.value.keyId, 'b');
  assertRefused(oldToken, { current: keyB, verifyOnly: [] });
});

test('signed_token: truncated at every length is refused', () => {
  const token = tokenIssue(keys, 'u123', 'device-1', NOW_MS, TTL_MS);
  const bytes = Buffer.from(token, 'base64');
  for (let length = 0; length < bytes.length; length++) {
    assertRefused(bytes.subarray(0, length).toString('base64'));
  }
  for (let length = 0; length < token.length; length++) assertRefused(token.slice(0, length));
});

test('signed_token: extended (trailing bytes or text) is refused', () => {
  const token = tokenIssue(keys, 'u', 'd', NOW_MS, TTL_MS);
  const bytes = Buffer.from(token, 'base64');
  for (const tail of [[0], [0, 0, 0, 0], [0x4d, 0x4d, 0x4d, 0x4d], [1, 2, 3]]) {
    assertRefused(Buffer.concat([bytes, Buffer.from(tail)]).toString('base64'));
  }
  for (const tail of ['AAAA', '=', ' ', '\n', '|x', 'A']) assertRefused(token + tail);
  assertRefused(` ${token}`);
});

test('signed_token: empty, non-Base64, URL-safe and non-canonical text are refused', () => {
  for (const text of ['', '!!!!', '====', 'A===', '😀😀', 'AB==', 'AB=A']) assertRefused(text);
  let token = tokenIssue(keys, 'u', 'd', NOW_MS, TTL_MS);
  while (!/[+/]/.test(token)) token = tokenIssue(keys, 'u', 'd', NOW_MS, TTL_MS);
  assertRefused(token.replaceAll('+', '-').replaceAll('/', '_'));
  // Same bytes, different text: Node would decode it, the strict decoder must not.
  const bytes = Buffer.from(token, 'base64');
  assertRefused(`${bytes.toString('base64').slice(0, 8)}\n${token.slice(8)}`);
});

test('signed_token: a JWT-looking alg:none token is refused', () => {
  const header = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
  const payload = Buffer.from('{"uid":"u","deviceId":"d","exp":99999999999}').toString('base64url');
  assertRefused(`${header}.${payload}.`);
  assertRefused(`${header}.${payload}`);
  // The same JSON in standard Base64, padded to a multiple of 4 bytes.
  const json = Buffer.from('{"alg":"none","typ":"JWT","uid":"u"}   ');
  assertRefused(json.toString('base64'));
});

test('signed_token: length fields pointing past the end are refused without allocating', () => {
  const token = tokenIssue(keys, 'u', 'd', NOW_MS, TTL_MS);
  for (const at of [1, 3, 5]) {
    for (const length of [0, 0x7f, 0xff]) {
      const forged = Buffer.from(token, 'base64');
      forged[at] = length;
      assertRefused(forged.toString('base64'));
    }
  }
  // A 2^31 big-endian length where a field would be, and a maximal expiry.
  const huge = Buffer.alloc(64);
  huge.writeUInt8(1, 0);
  huge.writeUInt32BE(2 ** 31, 1);
  assertRefused(huge.toString('base64'));
  const forged = Buffer.from(token, 'base64');
  forged.fill(0xff, 7, 15); // expiry of a token with 1-byte ids: beyond MAX_SAFE_INTEGER
  assertRefused(forged.toString('base64'));
  // Oversized text is refused by its length before it is decoded.
  assertRefused('A'.repeat(TOKEN_CHARS_MAX + 4));
  assertRefused('A'.repeat(16 * 1024 * 1024));
});

test('signed_token: random bytes of every length never verify and never throw', () => {
  for (let i = 0; i < 5000; i++) {
    const text = randomBytes(i % (TOKEN_BYTES_MAX + 8)).toString('base64');
    assertRefused(text);
  }
});
