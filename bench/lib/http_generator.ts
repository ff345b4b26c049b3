// Load generator of bench/http.ts, run as a forked child: one autocannon instance per case, C
// connections with P requests in flight each, against one HTTP target (the bare uWS hello-world,
// GET /v1/route or POST /v1/login). Every answer is checked: a 2xx with the expected body counts
// as ok; anything else (non-2xx status, an error code in the body, a connection error or a
// timeout) is counted by kind, so a run that hits a limit cannot pass as a fast one.

import autocannon from 'autocannon';
import type { AutocannonInstance, AutocannonRequest } from 'autocannon';
import { histogramEncode, latencyHistogram, latencyRecord } from './histogram.js';
import type { Histogram } from './histogram.js';
import { loadChildServe } from './load_child.js';
import type { LoadGenerator } from './load_child.js';
import { HELLO_BODY } from './uws_echo_process.js';

/** autocannon runs until stopped; this only bounds a run whose parent went away. */
const AUTOCANNON_DURATION_S_MAX = 3_600;
/** A request unanswered this long counts as a timeout (an error), not as a slow answer. */
const HTTP_TIMEOUT_S = 10;
/** Control-plane answers that succeeded start like this (code first, 0 = success). */
const CONTROL_OK_PREFIX = '{"code":0,';
/** Bodies longer than this are not parsed for their error code (the control plane's are tiny). */
const ERROR_BODY_CHARS_MAX = 4_096;

export type HttpTargetKind = 'hello' | 'route' | 'login';

export interface HttpSetup {
  readonly connections: number;
  readonly pipelining: number;
}

export interface HttpRun {
  /** Origin, e.g. `http://127.0.0.1:8081`. */
  readonly origin: string;
  readonly kind: HttpTargetKind;
  /** route: the uids asked for, in turn; login: the mobiles that log in, in turn. */
  readonly keys: readonly string[];
  /** login: the code sent (dev mode's) and the device every login names. */
  readonly code: string;
  readonly deviceId: string;
}

export interface HttpData {
  /** Every answer, good or bad. */
  readonly responses: number;
  /** 2xx answers with the expected body. */
  readonly ok: number;
  /** Answers by HTTP status, for statuses outside 2xx. */
  readonly statuses: Readonly<Record<string, number>>;
  /** 2xx answers whose body was not the expected one, by the body's `code` (or 'unparsed'). */
  readonly bodyCodes: Readonly<Record<string, number>>;
  /** Connection errors and timeouts (autocannon's reqError), timeouts included. */
  readonly requestErrors: number;
  readonly timeouts: number;
  /** Latency of every answer, µs (histogram.ts encoding). */
  readonly latencyHist: string;
}

interface Counters {
  responses: number;
  ok: number;
  statuses: Record<string, number>;
  bodyCodes: Record<string, number>;
  requestErrors: number;
  timeouts: number;
  histogram: Histogram;
}

function countersNew(): Counters {
  return { responses: 0, ok: 0, statuses: {}, bodyCodes: {}, requestErrors: 0, timeouts: 0,
    histogram: latencyHistogram() };
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** The `code` of a JSON error answer, or 'unparsed'. */
function bodyCode(body: string): string {
  if (body.length > ERROR_BODY_CHARS_MAX) return 'unparsed';
  try {
    const parsed: unknown = JSON.parse(body);
    const code = typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, unknown>)['code'] : undefined;
    return typeof code === 'number' ? String(code) : 'unparsed';
  } catch {
    return 'unparsed';
  }
}

function bodyExpected(kind: HttpTargetKind, body: string): boolean {
  return kind === 'hello' ? body === HELLO_BODY : body.startsWith(CONTROL_OK_PREFIX);
}

/**
 * The requests of a case, which each connection sends in turn. Fixed requests are built once by
 * autocannon; a setupRequest rebuilds its request every time (about as much generator CPU again
 * as a hello-world costs), so only login has one: a shared counter gives every login the next
 * mobile, where a fixed list would have all connections log in the same mobile at once.
 */
function requestsOf(run: HttpRun, onAnswer: (status: number, body: string) => void):
  AutocannonRequest[] {
  const onResponse = (status: number, body: string): void => onAnswer(status, body);
  switch (run.kind) {
    case 'hello':
      return [{ method: 'GET', path: '/', onResponse }];
    case 'route':
      return run.keys.map((uid) => ({ method: 'GET', onResponse,
        path: `/v1/route?uid=${encodeURIComponent(uid)}` }));
    case 'login': {
      let next = 0;
      const mobile = (): string => {
        const value = run.keys[next] ?? '';
        next = (next + 1) % Math.max(1, run.keys.length);
        return value;
      };
      return [{ method: 'POST', path: '/v1/login', onResponse,
        headers: { 'content-type': 'application/json' },
        setupRequest: (request) => ({ ...request,
          body: JSON.stringify({ mobile: mobile(), code: run.code, deviceId: run.deviceId }) }) }];
    }
  }
}

class HttpGenerator implements LoadGenerator<HttpSetup, HttpRun, HttpData> {
  private setupDone: HttpSetup | null = null;
  private instance: AutocannonInstance | null = null;
  private finished: Promise<void> = Promise.resolve();
  private counters = countersNew();
  /** Since setup, never reset: progress lines are deltas of these. */
  private readonly totals = { responses: 0, ok: 0 };

  setup(setup: HttpSetup): Promise<void> {
    this.setupDone = setup;
    return Promise.resolve();
  }

  start(run: HttpRun): void {
    const setup = this.setupDone;
    if (setup === null) throw new Error('start before setup');
    this.counters = countersNew();
    const answered = (status: number, body: string): void => this.answered(run.kind, status, body);
    let done: () => void = () => undefined;
    this.finished = new Promise((resolve) => { done = resolve; });
    const instance = autocannon({
      url: run.origin, connections: setup.connections, pipelining: setup.pipelining,
      duration: AUTOCANNON_DURATION_S_MAX, timeout: HTTP_TIMEOUT_S,
      requests: requestsOf(run, answered),
    }, () => done());
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
      latencyRecord(this.counters.histogram, ms * 1000);
    });
    instance.on('reqError', (error: unknown) => {
      this.counters.requestErrors++;
      this.totals.responses++;
      if (error instanceof Error && error.message.includes('timed out')) this.counters.timeouts++;
    });
    this.instance = instance;
  }

  private answered(kind: HttpTargetKind, status: number, body: string): void {
    const counters = this.counters;
    counters.responses++;
    this.totals.responses++;
    if (status < 200 || status > 299) bump(counters.statuses, String(status));
    else if (bodyExpected(kind, body)) {
      counters.ok++;
      this.totals.ok++;
    } else bump(counters.bodyCodes, bodyCode(body));
  }

  measure(): void {
    this.counters.histogram.destroy();
    this.counters = countersNew();
  }

  async stop(): Promise<HttpData> {
    const c = this.counters;
    const data: HttpData = {
      responses: c.responses, ok: c.ok, statuses: { ...c.statuses }, bodyCodes: { ...c.bodyCodes },
      requestErrors: c.requestErrors, timeouts: c.timeouts,
      latencyHist: histogramEncode(c.histogram),
    };
    this.instance?.stop();
    this.instance = null;
    // Wait for autocannon to close its connections before the next case (or server) starts.
    await this.finished;
    return data;
  }

  counts(): Record<string, number> {
    const t = this.totals;
    return { answered: t.responses, ok: t.ok, failed: t.responses - t.ok };
  }
}

loadChildServe(new HttpGenerator());
