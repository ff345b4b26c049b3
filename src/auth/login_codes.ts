// Phone login codes (PROTOCOL.md §5): issue, rate-limit and check 4-digit codes per mobile.
// Pure state in one Map, ordered by last request, so a sweep from the front drops every entry
// older than a day in amortized O(1); the Map never holds more than LOGIN_CODE_MOBILES_TRACKED_MAX.

import { randomInt, timingSafeEqual } from 'node:crypto';
import { assert } from '../errors.js';
import {
  LOGIN_CODE_INTERVAL_MS,
  LOGIN_CODE_TTL_MS,
  LOGIN_CODES_PER_DAY_MAX,
} from '../limits.js';

/**
 * The compat login answer codes (PROTOCOL.md §5). They are NOT ErrorCode values: the HTTP login
 * API answers them as `code` and the original clients show a message per number.
 */
export const LoginCode = {
  OK: 0,
  INVALID_MOBILE: 1,
  TOO_FREQUENT: 3,
  SERVER_ERROR: 4,
  CODE_EXPIRED: 5,
  CODE_INCORRECT: 6,
} as const;
export type LoginCode = (typeof LoginCode)[keyof typeof LoginCode];
export type LoginCodeFailure = Exclude<LoginCode, typeof LoginCode.OK>;

/** Same shape as Result<void>, with LoginCode numbers instead of ErrorCode. */
export type LoginCodeResult =
  | { readonly ok: true; readonly value: undefined }
  | { readonly ok: false; readonly code: LoginCodeFailure };

/** Mobiles with request state held at once: bounds memory (~200 B each → ~20 MB) and SMS spend
 * under a flood of distinct numbers; beyond it new mobiles get TOO_FREQUENT until a day passes. */
export const LOGIN_CODE_MOBILES_TRACKED_MAX = 100_000;
/** Wrong guesses per issued code before it is discarded: a 4-digit code must not be brute-forced
 * within its TTL (5 guesses of 10,000 per code, 10 codes a day → ≤ 0.5% a day). */
export const LOGIN_CODE_ATTEMPTS_MAX = 5;
/** Window of LOGIN_CODES_PER_DAY_MAX, and the age at which a mobile's state is forgotten. */
export const LOGIN_CODE_DAY_MS = 24 * 3600_000;
const CODE_DIGITS = 4;
const MOBILE_PATTERN = /^\+?[0-9]{5,20}$/;

assert(LOGIN_CODE_TTL_MS < LOGIN_CODE_DAY_MS, 'a code expires before its mobile is swept');
assert(LOGIN_CODE_INTERVAL_MS < LOGIN_CODE_DAY_MS, 'the interval is shorter than a day');
assert(LOGIN_CODES_PER_DAY_MAX >= 1, 'at least one code a day');

export interface LoginCodesOptions {
  /** Dev mode also accepts devCode for every mobile, even without a request. */
  readonly devMode: boolean;
  readonly devCode: string;
  readonly now?: () => number;
  /** Uniform in [0, 1), like Math.random; defaults to node:crypto. */
  readonly random?: () => number;
  /** Delivers (or in dev mode logs) a code; a throw answers SERVER_ERROR. */
  readonly send: (mobile: string, code: string) => void;
}

interface MobileState {
  /** The pending code, or null once used, expired, discarded or never delivered. */
  code: string | null;
  codeIssuedAtMs: number;
  wrongAttempts: number;
  lastRequestAtMs: number;
  dayStartedAtMs: number;
  requestsToday: number;
}

const OK_RESULT: LoginCodeResult = { ok: true, value: undefined };
function refuse(code: LoginCodeFailure): LoginCodeResult {
  return { ok: false, code };
}

function defaultRandom(): number {
  return randomInt(2 ** 47) / 2 ** 47;
}

/** Equal strings in time independent of where they differ (codes are short; cheap anyway). */
function codeEquals(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

export class LoginCodes {
  readonly #devMode: boolean;
  readonly #devCode: string;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #send: (mobile: string, code: string) => void;
  /** Insertion order = last request order (entries are re-inserted on request). */
  readonly #mobiles = new Map<string, MobileState>();

  constructor(opts: LoginCodesOptions) {
    assert(opts.devCode.length > 0, 'devCode is non-empty');
    this.#devMode = opts.devMode;
    this.#devCode = opts.devCode;
    this.#now = opts.now ?? Date.now;
    this.#random = opts.random ?? defaultRandom;
    this.#send = opts.send;
  }

  /** Mobiles currently tracked (for metrics and tests). */
  get trackedCount(): number {
    return this.#mobiles.size;
  }

  /** Issues and sends a new code for `mobile`, replacing any pending one. */
  request(mobile: string): LoginCodeResult {
    if (!MOBILE_PATTERN.test(mobile)) return refuse(LoginCode.INVALID_MOBILE);
    const nowMs = this.#now();
    this.#sweep(nowMs);
    let state = this.#mobiles.get(mobile);
    if (state === undefined) {
      if (this.#mobiles.size >= LOGIN_CODE_MOBILES_TRACKED_MAX) {
        return refuse(LoginCode.TOO_FREQUENT);
      }
      state = {
        code: null,
        codeIssuedAtMs: 0,
        wrongAttempts: 0,
        lastRequestAtMs: nowMs,
        dayStartedAtMs: nowMs,
        requestsToday: 0,
      };
    } else {
      if (nowMs - state.lastRequestAtMs < LOGIN_CODE_INTERVAL_MS) {
        return refuse(LoginCode.TOO_FREQUENT);
      }
      if (nowMs - state.dayStartedAtMs >= LOGIN_CODE_DAY_MS) {
        state.dayStartedAtMs = nowMs;
        state.requestsToday = 0;
      }
      if (state.requestsToday >= LOGIN_CODES_PER_DAY_MAX) return refuse(LoginCode.TOO_FREQUENT);
    }
    const code = this.#codeGenerate();
    state.code = code;
    state.codeIssuedAtMs = nowMs;
    state.wrongAttempts = 0;
    state.lastRequestAtMs = nowMs;
    state.requestsToday += 1;
    // Re-insert to keep the Map ordered by last request, which #sweep relies on.
    this.#mobiles.delete(mobile);
    this.#mobiles.set(mobile, state);
    try {
      this.#send(mobile, code);
    } catch {
      // The sender failed (SMS gateway down): nothing was delivered, so nothing can be checked.
      // The request still counts toward the interval and daily cap, which bound gateway retries.
      state.code = null;
      return refuse(LoginCode.SERVER_ERROR);
    }
    return OK_RESULT;
  }

  /** Checks `code` for `mobile`; success consumes the code. */
  check(mobile: string, code: string): LoginCodeResult {
    if (!MOBILE_PATTERN.test(mobile)) return refuse(LoginCode.INVALID_MOBILE);
    if (this.#devMode && codeEquals(code, this.#devCode)) return OK_RESULT;
    const nowMs = this.#now();
    this.#sweep(nowMs);
    const state = this.#mobiles.get(mobile);
    if (state === undefined) return refuse(LoginCode.CODE_INCORRECT);
    // A used, expired, undelivered or guessed-out code is gone: the client should request anew.
    if (state.code === null) return refuse(LoginCode.CODE_EXPIRED);
    if (nowMs - state.codeIssuedAtMs >= LOGIN_CODE_TTL_MS) {
      state.code = null;
      return refuse(LoginCode.CODE_EXPIRED);
    }
    if (!codeEquals(code, state.code)) {
      state.wrongAttempts += 1;
      if (state.wrongAttempts >= LOGIN_CODE_ATTEMPTS_MAX) state.code = null;
      return refuse(LoginCode.CODE_INCORRECT);
    }
    state.code = null;
    state.wrongAttempts = 0;
    return OK_RESULT;
  }

  #codeGenerate(): string {
    const space = 10 ** CODE_DIGITS;
    const value = Math.min(space - 1, Math.max(0, Math.floor(this.#random() * space)));
    return String(value).padStart(CODE_DIGITS, '0');
  }

  /** Drops entries whose last request is a day old: their code and day window are both over. */
  #sweep(nowMs: number): void {
    for (const [mobile, state] of this.#mobiles) {
      if (nowMs - state.lastRequestAtMs < LOGIN_CODE_DAY_MS) return;
      this.#mobiles.delete(mobile);
    }
  }
}
