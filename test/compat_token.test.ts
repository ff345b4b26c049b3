// The original clients' token wrapping: known-answer vectors (made with the openssl CLI), the
// full web-client round trip down to tokenVerify, and malformed input failing cleanly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { ErrorCode } from '../src/errors.js';
import {
  SECRET_CHARS,
  compatPasswordDerive,
  compatPasswordOpen,
  compatTokenUnwrap,
  compatTokenWrap,
  passwordToPart0,
  secretGenerate,
} from '../src/auth/compat_token.js';
import {
  type TokenKeys,
  tokenIssue,
  tokenKeyGenerate,
  tokenVerify,
} from '../src/auth/signed_token.js';

const NOW_MS = 1_700_000_000_000;
const keys: TokenKeys = { current: tokenKeyGenerate('k1'), verifyOnly: [] };
const COMPAT_KEY = Buffer.from('001122334455667778797a7b7c7d7e7f', 'hex');
const REFUSED = { ok: false, code: ErrorCode.TOKEN_ERROR };

function issue(): { part0: string; secret: string; compat: string } {
  const part0 = tokenIssue(keys, 'u42', 'web-1', NOW_MS, 3600_000);
  const secret = secretGenerate();
  return { part0, secret, compat: compatTokenWrap(part0, secret, secretGenerate(), NOW_MS) };
}

test('compat_token: wrap matches the openssl known answer (hour prefix, key = IV)', () => {
  // printf '\x00\x07\x34\x9e%s' 'cGFydDA=|0123456789abcdefXYZ|db' | openssl enc -aes-128-cbc
  //   -K 001122334455667778797a7b7c7d7e7f -iv 001122334455667778797a7b7c7d7e7f | base64
  const token = compatTokenWrap('cGFydDA=', '0123456789abcdefXYZ', 'db', NOW_MS);
  assert.equal(token, '7PY5bBSUpIEKwaFGBMYXmaxYooeXlssHNWbhNoc5cyVcBlF/pwMGXE7HvD8f00zA');
});

test('compat_token: the prefix is big-endian hours since epoch', () => {
  const token = compatTokenWrap('cGFydDA=', '0123456789abcdef', '', NOW_MS);
  const decipher = createDecipheriv('aes-128-cbc', COMPAT_KEY, COMPAT_KEY);
  const plain = Buffer.concat([decipher.update(Buffer.from(token, 'base64')), decipher.final()]);
  assert.equal(plain.readUInt32BE(0), Math.floor(NOW_MS / 3600_000));
  assert.equal(plain.subarray(4).toString(), 'cGFydDA=|0123456789abcdef|');
});

test('compat_token: unwrap returns the three parts', () => {
  const { part0, secret } = issue();
  const token = compatTokenWrap(part0, secret, 'dbs', NOW_MS);
  const expected = { ok: true, value: { part0, secret, dbSecret: 'dbs' } };
  assert.deepEqual(compatTokenUnwrap(token), expected);
});

test('compat_token: derive matches the openssl known answer (zero-padded part0)', () => {
  // printf '\xde\xad\xbe\xefpart0\x00\x00\x00' | openssl enc -aes-128-cbc
  //   -K <hex of 0123456789abcdef> -iv <same> | base64
  const token = compatTokenWrap('cGFydDA=', '0123456789abcdefXYZ', 'db', NOW_MS);
  const password = compatPasswordDerive(token, Uint8Array.of(0xde, 0xad, 0xbe, 0xef));
  assert.deepEqual(password, { ok: true, value: 'AFF2MLH4uzd6TM1eyeiUvA==' });
  // part0 'part0' is 5 bytes: the server strips the client's 3 zero bytes and gets it back.
  assert.deepEqual(compatPasswordOpen('AFF2MLH4uzd6TM1eyeiUvA==', '0123456789abcdefXYZ'), {
    ok: true,
    value: 'cGFydDA=',
  });
});

test('compat_token: web round trip — wrap, derive with garbage prefix, open, verify', () => {
  const prefixes = [
    Uint8Array.of(0, 0, 0, 0),
    Uint8Array.of(0xff, 0xff, 0xff, 0xff),
    Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
    undefined,
  ];
  for (let round = 0; round < 50; round++) {
    const { part0, secret, compat } = issue();
    for (const prefix of prefixes) {
      const password = compatPasswordDerive(compat, prefix);
      assert.ok(password.ok);
      const opened = compatPasswordOpen(password.value, secret);
      assert.deepEqual(opened, { ok: true, value: part0 });
      assert.deepEqual(passwordToPart0(password.value, secret), { ok: true, value: part0 });
      const claims = tokenVerify(keys, part0, NOW_MS);
      assert.ok(claims.ok);
      assert.equal(claims.value.uid, 'u42');
      assert.equal(claims.value.deviceId, 'web-1');
    }
  }
});

test('compat_token: a native client password (part0 itself) is accepted as is', () => {
  const { part0, secret } = issue();
  assert.deepEqual(passwordToPart0(part0, secret), { ok: true, value: part0 });
});

test('compat_token: a wrong secret fails cleanly and never yields a verifying part0', () => {
  const { compat, secret } = issue();
  const password = compatPasswordDerive(compat);
  assert.ok(password.ok);
  for (let i = 0; i < 200; i++) {
    const wrong = secretGenerate();
    if (wrong.slice(0, 16) === secret.slice(0, 16)) continue;
    const opened = compatPasswordOpen(password.value, wrong);
    if (opened.ok) assert.deepEqual(tokenVerify(keys, opened.value, NOW_MS), REFUSED);
    const part0 = passwordToPart0(password.value, wrong);
    if (part0.ok) assert.deepEqual(tokenVerify(keys, part0.value, NOW_MS), REFUSED);
  }
});

test('compat_token: a forged password (flipped bit) never yields a verifying part0', () => {
  const { compat, secret } = issue();
  const password = compatPasswordDerive(compat);
  assert.ok(password.ok);
  const sealed = Buffer.from(password.value, 'base64');
  for (let i = 0; i < sealed.length; i++) {
    const forged = Buffer.from(sealed);
    forged[i] = (forged[i] ?? 0) ^ 0x01;
    const part0 = passwordToPart0(forged.toString('base64'), secret);
    if (part0.ok) assert.deepEqual(tokenVerify(keys, part0.value, NOW_MS), REFUSED);
  }
});

test('compat_token: malformed passwords and secrets give TOKEN_ERROR, never throw', () => {
  const secret = secretGenerate();
  const cases: [string, string][] = [
    ['', secret],
    ['abc', secret],
    ['!!!!', secret],
    ['AAAA', secret], // 3 bytes: not a whole AES block
    [randomBytes(16).toString('base64'), 'short'], // secret under 16 chars
    [randomBytes(16).toString('base64'), 'é'.repeat(16)], // non-ASCII secret
    ['A'.repeat(1 << 20), secret], // oversized
  ];
  for (const [password, key] of cases) {
    assert.deepEqual(compatPasswordOpen(password, key), REFUSED);
    assert.deepEqual(passwordToPart0(password, key), REFUSED);
  }
  for (let i = 0; i < 500; i++) {
    const password = randomBytes(16 * (1 + (i % 4))).toString('base64');
    const opened = compatPasswordOpen(password, secret);
    if (opened.ok) assert.deepEqual(tokenVerify(keys, opened.value, NOW_MS), REFUSED);
  }
});

test('compat_token: malformed compat tokens give TOKEN_ERROR, never throw', () => {
  const tokens = ['', '!!!!', 'AAAA', randomBytes(32).toString('base64'), 'A'.repeat(1 << 20)];
  for (const token of tokens) {
    assert.deepEqual(compatTokenUnwrap(token), REFUSED);
    assert.deepEqual(compatPasswordDerive(token), REFUSED);
  }
  const twoParts = compatTokenWrap('cGFydDA=', '0123456789abcdef', '', NOW_MS);
  assert.ok(compatTokenUnwrap(twoParts).ok, 'an empty dbSecret is still three parts');
});

test('compat_token: a compat token with a short secret cannot derive a password', () => {
  // Unwrap accepts any secret; the password layer needs 16 ASCII chars for its key.
  assert.throws(() => compatTokenWrap('cGFydDA=', 'short', '', NOW_MS));
});

test('compat_token: generated secrets are long, [A-Za-z0-9] only and distinct', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const secret = secretGenerate();
    assert.ok(secret.length >= 24 && secret.length === SECRET_CHARS);
    assert.match(secret, /^[A-Za-z0-9]+$/);
    seen.add(secret);
  }
  assert.equal(seen.size, 1000);
});

test('compat_token: wrap asserts that no part contains the | separator', () => {
  assert.throws(() => compatTokenWrap('a|b', '0123456789abcdef', '', NOW_MS));
  assert.throws(() => compatTokenWrap('ab', '0123456789abcdef|', '', NOW_MS));
  assert.throws(() => compatTokenWrap('ab', '0123456789abcdef', 'x|y', NOW_MS));
});
