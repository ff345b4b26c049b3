// Phone login codes: the 60 s interval, the daily cap, expiry, one-time use, the guess limit,
// the dev code (only in dev mode), the tracked-mobiles bound and the day sweep.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LOGIN_CODE_INTERVAL_MS,
  LOGIN_CODE_TTL_MS,
  LOGIN_CODES_PER_DAY_MAX,
} from '../src/limits.js';
import {
  LOGIN_CODE_ATTEMPTS_MAX,
  LOGIN_CODE_DAY_MS,
  LOGIN_CODE_MOBILES_TRACKED_MAX,
  LoginCode,
  LoginCodes,
} from '../src/auth/login_codes.js';

const MOBILE = '+8613800000000';
const OK = { ok: true, value: undefined };

function refused(code: number): { ok: false; code: number } {
  return { ok: false, code };
}

function setup(devMode = false): { codes: LoginCodes; clock: { ms: number }; sent: string[] } {
  const clock = { ms: 1_700_000_000_000 };
  const sent: string[] = [];
  let counter = 0;
  const codes = new LoginCodes({
    devMode,
    devCode: '556677',
    now: () => clock.ms,
    random: () => ((counter++ * 0.1237) % 1),
    send: (_mobile, code) => sent.push(code),
  });
  return { codes, clock, sent };
}

function lastSent(sent: string[]): string {
  const code = sent.at(-1);
  assert.ok(code !== undefined);
  return code;
}

test('login_codes: a requested 4-digit code is sent and accepted once', () => {
  const { codes, sent } = setup();
  assert.deepEqual(codes.request(MOBILE), OK);
  const code = lastSent(sent);
  assert.match(code, /^[0-9]{4}$/);
  assert.deepEqual(codes.check(MOBILE, code), OK);
  assert.deepEqual(codes.check(MOBILE, code), refused(LoginCode.CODE_EXPIRED), 'used once');
});

test('login_codes: invalid mobiles are refused with 1', () => {
  const { codes } = setup(true);
  for (const mobile of ['', '1234', '+', '++12345', '12a45', ' 12345', '1'.repeat(21), '12345\n']) {
    assert.deepEqual(codes.request(mobile), refused(LoginCode.INVALID_MOBILE), mobile);
    assert.deepEqual(codes.check(mobile, '556677'), refused(LoginCode.INVALID_MOBILE), mobile);
  }
  assert.deepEqual(codes.request('12345'), OK);
  assert.deepEqual(codes.request('+' + '1'.repeat(20)), OK);
});

test('login_codes: a second request within LOGIN_CODE_INTERVAL_MS is too frequent (3)', () => {
  const { codes, clock } = setup();
  assert.deepEqual(codes.request(MOBILE), OK);
  clock.ms += LOGIN_CODE_INTERVAL_MS - 1;
  assert.deepEqual(codes.request(MOBILE), refused(LoginCode.TOO_FREQUENT));
  clock.ms += 1;
  assert.deepEqual(codes.request(MOBILE), OK);
  assert.deepEqual(codes.request('+8613900000000'), OK, 'other mobiles are independent');
});

test('login_codes: a new request replaces the pending code', () => {
  const { codes, clock, sent } = setup();
  codes.request(MOBILE);
  const first = lastSent(sent);
  clock.ms += LOGIN_CODE_INTERVAL_MS;
  codes.request(MOBILE);
  const second = lastSent(sent);
  assert.notEqual(first, second);
  assert.deepEqual(codes.check(MOBILE, first), refused(LoginCode.CODE_INCORRECT));
  assert.deepEqual(codes.check(MOBILE, second), OK);
});

test('login_codes: LOGIN_CODES_PER_DAY_MAX per mobile per day, then 3 until the day passes', () => {
  const { codes, clock } = setup();
  const dayStart = clock.ms;
  for (let i = 0; i < LOGIN_CODES_PER_DAY_MAX; i++) {
    assert.deepEqual(codes.request(MOBILE), OK, `request ${i + 1}`);
    clock.ms += LOGIN_CODE_INTERVAL_MS;
  }
  assert.deepEqual(codes.request(MOBILE), refused(LoginCode.TOO_FREQUENT), 'the 11th');
  clock.ms = dayStart + LOGIN_CODE_DAY_MS - 1;
  assert.deepEqual(codes.request(MOBILE), refused(LoginCode.TOO_FREQUENT));
  clock.ms = dayStart + LOGIN_CODE_DAY_MS;
  assert.deepEqual(codes.request(MOBILE), OK);
});

test('login_codes: a code expires after LOGIN_CODE_TTL_MS (5)', () => {
  const { codes, clock, sent } = setup();
  codes.request(MOBILE);
  const code = lastSent(sent);
  clock.ms += LOGIN_CODE_TTL_MS - 1;
  assert.deepEqual(codes.check(MOBILE, '9'.repeat(5)), refused(LoginCode.CODE_INCORRECT));
  clock.ms += 1;
  assert.deepEqual(codes.check(MOBILE, code), refused(LoginCode.CODE_EXPIRED));
  assert.deepEqual(codes.check(MOBILE, code), refused(LoginCode.CODE_EXPIRED));
});

test('login_codes: a wrong code is 6; without a request every code is 6', () => {
  const { codes, sent } = setup();
  assert.deepEqual(codes.check(MOBILE, '1234'), refused(LoginCode.CODE_INCORRECT));
  codes.request(MOBILE);
  const code = lastSent(sent);
  const wrong = code === '0000' ? '0001' : '0000';
  assert.deepEqual(codes.check(MOBILE, wrong), refused(LoginCode.CODE_INCORRECT));
  assert.deepEqual(codes.check(MOBILE, ''), refused(LoginCode.CODE_INCORRECT));
  assert.deepEqual(codes.check('+8613900000000', code), refused(LoginCode.CODE_INCORRECT));
  assert.deepEqual(codes.check(MOBILE, code), OK);
});

test('login_codes: LOGIN_CODE_ATTEMPTS_MAX wrong guesses discard the code', () => {
  const { codes, sent } = setup();
  codes.request(MOBILE);
  const code = lastSent(sent);
  const wrong = code === '0000' ? '0001' : '0000';
  for (let i = 0; i < LOGIN_CODE_ATTEMPTS_MAX; i++) {
    assert.deepEqual(codes.check(MOBILE, wrong), refused(LoginCode.CODE_INCORRECT));
  }
  assert.deepEqual(codes.check(MOBILE, code), refused(LoginCode.CODE_EXPIRED));
});

test('login_codes: dev mode accepts the dev code for every mobile, even without a request', () => {
  const { codes, sent } = setup(true);
  assert.deepEqual(codes.check(MOBILE, '556677'), OK);
  assert.deepEqual(codes.check('12345', '556677'), OK);
  codes.request(MOBILE);
  assert.deepEqual(codes.check(MOBILE, '556677'), OK);
  assert.deepEqual(codes.check(MOBILE, lastSent(sent)), OK, 'real codes work in dev mode too');
});

test('login_codes: outside dev mode the dev code is just a wrong code', () => {
  const { codes } = setup(false);
  assert.deepEqual(codes.check(MOBILE, '556677'), refused(LoginCode.CODE_INCORRECT));
  codes.request(MOBILE);
  assert.deepEqual(codes.check(MOBILE, '556677'), refused(LoginCode.CODE_INCORRECT));
});

test('login_codes: a throwing sender answers 4 and the request still counts', () => {
  const clock = { ms: 0 };
  const codes = new LoginCodes({
    devMode: false,
    devCode: '556677',
    now: () => clock.ms,
    send: () => {
      throw new Error('gateway down');
    },
  });
  assert.deepEqual(codes.request(MOBILE), refused(LoginCode.SERVER_ERROR));
  assert.deepEqual(codes.request(MOBILE), refused(LoginCode.TOO_FREQUENT));
  assert.deepEqual(codes.check(MOBILE, '0000'), refused(LoginCode.CODE_EXPIRED));
});

test('login_codes: codes are always 4 digits, whatever the random source returns', () => {
  for (const value of [0, 0.00001, 0.5, 0.99999, 1, -1]) {
    let sent = '';
    const codes = new LoginCodes({
      devMode: false,
      devCode: '556677',
      random: () => value,
      send: (_mobile, code) => (sent = code),
    });
    codes.request(MOBILE);
    assert.match(sent, /^[0-9]{4}$/);
  }
});

test('login_codes: at LOGIN_CODE_MOBILES_TRACKED_MAX new mobiles get 3 until a day sweeps', () => {
  const { codes, clock } = setup();
  for (let i = 0; i < LOGIN_CODE_MOBILES_TRACKED_MAX; i++) {
    assert.equal(codes.request(String(10_000_000 + i)).ok, true);
  }
  assert.equal(codes.trackedCount, LOGIN_CODE_MOBILES_TRACKED_MAX);
  assert.deepEqual(codes.request(MOBILE), refused(LoginCode.TOO_FREQUENT), 'limit + 1');
  clock.ms += LOGIN_CODE_DAY_MS;
  assert.deepEqual(codes.request(MOBILE), OK);
  assert.equal(codes.trackedCount, 1, 'day-old entries were swept');
});

test('login_codes: the sweep keeps mobiles that requested within the day', () => {
  const { codes, clock } = setup();
  codes.request('11111');
  clock.ms += LOGIN_CODE_DAY_MS / 2;
  codes.request('22222');
  clock.ms += LOGIN_CODE_DAY_MS / 2;
  codes.request('33333');
  assert.equal(codes.trackedCount, 2);
  assert.deepEqual(codes.request('22222'), OK);
});
