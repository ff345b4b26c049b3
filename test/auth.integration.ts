// Authentication against a real server over raw sockets: every forged, stale, misdirected or
// revoked credential is refused with 5 (or 8 when the device has no session) and a close, with
// nothing else said; signing keys rotate without logging anyone out until the old key is dropped.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  compatPasswordDerive,
  compatTokenUnwrap,
  compatTokenWrap,
  secretGenerate,
} from '../src/auth/compat_token.js';
import { tokenIssue, tokenKeyGenerate, type TokenKeys } from '../src/auth/signed_token.js';
import { tokenKeysParse } from '../src/auth/token_keys.js';
import { compatLogin, login } from '../src/client/index.js';
import { FRAME_BODY_BYTES_MAX, TOKEN_TTL_MS } from '../src/limits.js';
import { bodyEncode } from '../src/protocol/body_codec.js';
import type { Frame } from '../src/protocol/frame.js';
import { FrameReader, frameEncode } from '../src/protocol/native_frame.js';
import { Signal, SubSignal } from '../src/protocol/signals.js';
import { compatConnect, tcpConnect, timeout, type Attempt } from './helpers/raw_connect.js';
import { serverStart, type TestServer } from './helpers/server.js';
import { mobileNext } from './helpers/users.js';

const ACCEPTED = SubSignal.CONNECTION_ACCEPTED;
const BAD_PASSWORD = SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
const NO_SESSION = SubSignal.CONNECTION_REFUSED_SESSION_NOT_EXIST;

/** A refusal with `result`, no body, nothing else sent, and a close. */
function assertRefused(attempt: Attempt, result: number, what: string): void {
  assert.equal(attempt.result, result, `${what}: sub-signal`);
  assert.equal(attempt.frames.length, 1, `${what}: one frame, nothing more`);
  assert.equal(attempt.frames[0]!.body.length, 0, `${what}: a refusal carries no detail`);
  assert.ok(attempt.closed, `${what}: closed`);
}

/** The dev-mode signing keys of a server (MAGPIE_TOKEN_KEYS unset), read from its data dir. */
function devKeys(server: TestServer): TokenKeys {
  return tokenKeysParse(fs.readFileSync(path.join(server.dataDir, 'dev-token-key'), 'utf8'));
}

function bitFlipped(token: string, byteAt: number, bit: number): string {
  const bytes = Buffer.from(token, 'base64');
  const at = ((byteAt % bytes.length) + bytes.length) % bytes.length;
  bytes[at] = bytes[at]! ^ (1 << bit);
  return bytes.toString('base64');
}

describe('auth: refusals', () => {
  let server: TestServer;
  before(async () => {
    server = await serverStart();
  });
  after(async () => {
    await server.stop();
    server.cleanup();
  });

  it('a token with one bit flipped anywhere is refused with 5 and a close', async () => {
    const result = await login(server.httpBase, mobileNext(), 'flip-device');
    const port = server.ports.tcp;
    // Version, key id, uid, device id, expiry, nonce, MAC and end mark: every field is covered.
    const positions = [0, 1, 2, 6, 10, 14, 20, 26, -33, -20, -2, -1];
    for (const [i, at] of positions.entries()) {
      const forged = bitFlipped(result.token, at, i % 8);
      assertRefused(
        await tcpConnect(port, result.userId, forged, 'flip-device'),
        BAD_PASSWORD,
        `flip at ${at}`,
      );
    }
    const text =
      result.token.slice(0, 12) + (result.token[12] === 'A' ? 'B' : 'A') + result.token.slice(13);
    assertRefused(
      await tcpConnect(port, result.userId, text, 'flip-device'),
      BAD_PASSWORD,
      'Base64 char changed',
    );
    assert.equal(
      (await tcpConnect(port, result.userId, result.token, 'flip-device')).result,
      ACCEPTED,
    );
  });

  it('an expired token, signed with the real key, is refused with 5', async () => {
    const result = await login(server.httpBase, mobileNext(), 'exp-device');
    const keys = devKeys(server);
    const port = server.ports.tcp;
    // Control: a token made here with the server's key, valid now, is accepted ...
    const fresh = tokenIssue(keys, result.userId, 'exp-device', Date.now(), TOKEN_TTL_MS);
    assert.equal((await tcpConnect(port, result.userId, fresh, 'exp-device')).result, ACCEPTED);
    // ... and the same made to expire a minute ago, or a millisecond ago, is not.
    const expired = tokenIssue(
      keys,
      result.userId,
      'exp-device',
      Date.now() - TOKEN_TTL_MS - 60_000,
      TOKEN_TTL_MS,
    );
    assertRefused(
      await tcpConnect(port, result.userId, expired, 'exp-device'),
      BAD_PASSWORD,
      'expired a minute ago',
    );
    const justExpired = tokenIssue(keys, result.userId, 'exp-device', Date.now() - 1_000, 999);
    assertRefused(
      await tcpConnect(port, result.userId, justExpired, 'exp-device'),
      BAD_PASSWORD,
      'expired just now',
    );
  });

  it("another user's token, or another device's, is refused with 5", async () => {
    const aliceMobile = mobileNext();
    const alice = await login(server.httpBase, aliceMobile, 'alice-1');
    const aliceOther = await login(server.httpBase, aliceMobile, 'alice-2');
    const bob = await login(server.httpBase, mobileNext(), 'bob-1');
    const port = server.ports.tcp;
    assertRefused(
      await tcpConnect(port, alice.userId, bob.token, 'alice-1'),
      BAD_PASSWORD,
      "bob's token as alice",
    );
    assertRefused(
      await tcpConnect(port, bob.userId, alice.token, 'bob-1'),
      BAD_PASSWORD,
      "alice's token as bob",
    );
    assertRefused(
      await tcpConnect(port, alice.userId, aliceOther.token, 'alice-1'),
      BAD_PASSWORD,
      'device 2 token on device 1',
    );
    // A device with no session at all is refused with 8, whatever the token.
    assertRefused(
      await tcpConnect(port, alice.userId, alice.token, 'alice-9'),
      NO_SESSION,
      'unknown device',
    );
  });

  it("'alg:none' JWTs, unknown key ids and guessed secrets are refused with 5", async () => {
    const result = await login(server.httpBase, mobileNext(), 'jwt-device');
    const port = server.ports.tcp;
    const header = Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url');
    const claims = Buffer.from(
      JSON.stringify({ uid: result.userId, device: 'jwt-device', exp: 9e12 }),
    ).toString('base64url');
    const forgeries = [
      `${header}.${claims}.`,
      `${header}.${claims}`,
      Buffer.from(`{"alg":"none"}.${claims}`).toString('base64'),
      tokenIssue(
        { current: tokenKeyGenerate('k9'), verifyOnly: [] },
        result.userId,
        'jwt-device',
        Date.now(),
        TOKEN_TTL_MS,
      ),
      // The server's own key id with a secret that is not the server's.
      tokenIssue(
        { current: tokenKeyGenerate(devKeys(server).current.id), verifyOnly: [] },
        result.userId,
        'jwt-device',
        Date.now(),
        TOKEN_TTL_MS,
      ),
      '',
    ];
    for (const [i, forged] of forgeries.entries()) {
      const attempt = await tcpConnect(
        port,
        result.userId,
        forged === '' ? 'x' : forged,
        'jwt-device',
      );
      assertRefused(attempt, BAD_PASSWORD, `forgery ${i}`);
    }
  });

  it('logging in again on the same device revokes the older token', async () => {
    const mobile = mobileNext();
    const first = await login(server.httpBase, mobile, 'again-device');
    const second = await login(server.httpBase, mobile, 'again-device');
    const port = server.ports.tcp;
    assertRefused(
      await tcpConnect(port, first.userId, first.token, 'again-device'),
      BAD_PASSWORD,
      'older token',
    );
    assert.equal(
      (await tcpConnect(port, second.userId, second.token, 'again-device')).result,
      ACCEPTED,
    );
  });

  it('DISCONNECT clearSession logs the device out: its token is then refused with 8', async () => {
    const result = await login(server.httpBase, mobileNext(), 'bye-device');
    const socket = net.connect(server.ports.tcp, '127.0.0.1');
    const frames: Frame[] = [];
    const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
    socket.on('data', (chunk: Buffer) =>
      reader.feed(chunk, (frame) => frames.push({ ...frame, body: Buffer.from(frame.body) })),
    );
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      frameEncode(
        Signal.CONNECT,
        0,
        1,
        bodyEncode({
          userName: result.userId,
          password: result.token,
          clientIdentifier: 'bye-device',
        }),
      ),
    );
    socket.write(frameEncode(Signal.DISCONNECT, 0, 2, bodyEncode({ clearSession: 1 })));
    await timeout(closed, 'close after DISCONNECT clearSession');
    assert.equal(frames[0]?.subSignal, ACCEPTED);
    const attempt = await tcpConnect(server.ports.tcp, result.userId, result.token, 'bye-device');
    assertRefused(attempt, NO_SESSION, 'token of a logged-out device');
  });

  it('compat: a password sealed with the wrong secret gets 5, "" and a close', async () => {
    const clientId = 'web-compat';
    const result = await compatLogin(server.httpBase, mobileNext(), clientId);
    const parts = compatTokenUnwrap(result.token);
    assert.ok(parts.ok);
    const wrongSecret = compatTokenWrap(
      parts.value.part0,
      secretGenerate(),
      parts.value.dbSecret,
      Date.now(),
    );
    const wrong = compatPasswordDerive(wrongSecret);
    const right = compatPasswordDerive(result.token);
    assert.ok(wrong.ok && right.ok);
    const refused = await compatConnect(server.ports.ws, result.userId, wrong.value, clientId);
    assert.equal(refused.subSignal, 'CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD');
    assert.equal(refused.content, '', 'a refusal carries no detail');
    assert.equal(refused.texts, 1, 'nothing else is said');
    assert.ok(
      refused.closeCode !== null && refused.closeCode >= 4000,
      `closed (${refused.closeCode})`,
    );
    assert.equal(refused.closeReason, '');
    const flipped = await compatConnect(
      server.ports.ws,
      result.userId,
      bitFlipped(right.value, 20, 3),
      clientId,
    );
    assert.equal(flipped.subSignal, 'CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD');
    const accepted = await compatConnect(server.ports.ws, result.userId, right.value, clientId);
    assert.equal(accepted.subSignal, 'CONNECTION_ACCEPTED');
  });
});

/** The key id inside a token (signed_token.ts layout: version, id length, id). */
function keyIdOf(token: string): string {
  const bytes = Buffer.from(token, 'base64');
  return bytes.subarray(2, 2 + bytes[1]!).toString('utf8');
}

describe('auth: key rotation', () => {
  it('a k1 token connects once k2 is current, and is refused once k1 is gone', async () => {
    const k1 = tokenKeyGenerate('k1');
    const k2 = tokenKeyGenerate('k2');
    const spec = (key: { id: string; secret: Buffer }): string =>
      `${key.id}:${key.secret.toString('base64')}`;
    const envWith = (keys: string): NodeJS.ProcessEnv => ({
      MAGPIE_DEV_MODE: 'true',
      MAGPIE_TOKEN_KEYS: keys,
    });
    const server = await serverStart({ env: envWith(spec(k1)) });
    try {
      const mobile = mobileNext();
      const old = await login(server.httpBase, mobile, 'rotate-1');
      assert.equal(keyIdOf(old.token), 'k1');
      assert.equal(
        (await tcpConnect(server.ports.tcp, old.userId, old.token, 'rotate-1')).result,
        ACCEPTED,
      );

      await server.stop();
      await server.restart(envWith(`${spec(k2)},${spec(k1)}`));
      assert.equal(
        (await tcpConnect(server.ports.tcp, old.userId, old.token, 'rotate-1')).result,
        ACCEPTED,
      );
      const fresh = await login(server.httpBase, mobile, 'rotate-2');
      assert.equal(keyIdOf(fresh.token), 'k2', 'the first key signs');
      assert.equal(
        (await tcpConnect(server.ports.tcp, fresh.userId, fresh.token, 'rotate-2')).result,
        ACCEPTED,
      );

      await server.stop();
      await server.restart(envWith(spec(k2)));
      const dropped = await tcpConnect(server.ports.tcp, old.userId, old.token, 'rotate-1');
      assertRefused(dropped, BAD_PASSWORD, 'token of a dropped key');
      assert.equal(
        (await tcpConnect(server.ports.tcp, fresh.userId, fresh.token, 'rotate-2')).result,
        ACCEPTED,
      );
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
