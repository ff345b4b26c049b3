// The HTTP control plane (src/http/) under autocannon, run from a separate process
// (bench/lib/http_generator.ts): POST /v1/login with the dev-mode code and GET /v1/route?uid=
// against the real server, and in the same run the limit, a bare uWS hello-world on one thread
// under the same autocannon settings, so each case is also a ratio. Every non-2xx answer, error
// code in a body, connection error and timeout is counted and fails the run: a case that runs
// into a limit (login codes, rates) must not pass as a fast one.

import { fileURLToPath } from 'node:url';
import { cliIntegerCheck, cliNamesParse, cliParse } from './lib/cli.js';
import { benchEnv, benchEnvText } from './lib/env.js';
import type { BenchEnv } from './lib/env.js';
import { benchUsersLogin } from './lib/chat_setup.js';
import { histogramMerge, latencySummary } from './lib/histogram.js';
import type { LatencySummary } from './lib/histogram.js';
import type { HttpData, HttpRun, HttpSetup, HttpTargetKind } from './lib/http_generator.js';
import { LoadChild, loadCaseRun } from './lib/load_child.js';
import type { LoadResult } from './lib/load_child.js';
import { UsageWindow, procUsageText } from './lib/proc_stat.js';
import type { ProcUsage } from './lib/proc_stat.js';
import { cpuUsPer, msText, progress, rateText, resultsWrite } from './lib/results.js';
import { echoServerStart } from './lib/uws_echo_process.js';
import { benchServerStart } from '../scripts/lib/server_process.js';

const BENCH = 'http';
const ABOUT = `${BENCH}: the HTTP control plane (login, route) under autocannon, and a bare uWS
hello-world (one thread) under the same load as the limit.
Usage: node dist/bench/${BENCH}.js [options]`;

const CONNECTIONS_MAX = 1_000;
const PIPELINING_MAX = 64;
/** Login users are all registered before the cases; each is one account in the control env. */
const USERS_MAX = 100_000;
const SHARDS_MAX = 8;
const DURATION_MS_MAX = 600_000;
/** The code dev mode accepts for any mobile (README, src/auth/login_codes.ts). */
const DEV_LOGIN_CODE = '556677';
/** Login mobiles start here (distinct from the chat benches', not that it matters). */
const MOBILE_FIRST = 13_600_000_000;
const CASES = ['limit', 'route', 'login'] as const;
type CaseName = (typeof CASES)[number];

const GENERATOR_SCRIPT = fileURLToPath(new URL('./lib/http_generator.js', import.meta.url));

const options = cliParse(ABOUT, {
  time: { help: 'measuring time per case', default: 10_000, arg: 'ms' },
  warmup: { help: 'warm-up time per case', default: 2_000, arg: 'ms' },
  connections: { help: `autocannon connections (max ${CONNECTIONS_MAX})`, default: 32 },
  pipelining: { help: `requests in flight per connection (max ${PIPELINING_MAX})`, default: 1 },
  users: { help: `accounts that log in, in turn; route asks for their uids (max ${USERS_MAX})`,
    default: 1_000 },
  cases: { help: `which cases, comma-separated: ${CASES.join(', ')}`, default: CASES.join(','),
    arg: 'list' },
  shards: { help: `server shards (max ${SHARDS_MAX})`, default: 2 },
});

/** The generator's error counters, as they came (non-2xx by status, 2xx body codes such as
 * login's 3 = too frequent, connection errors, timeouts). */
type HttpCounters = Pick<HttpData, 'statuses' | 'bodyCodes' | 'requestErrors' | 'timeouts'>;

export interface HttpResult extends HttpCounters {
  readonly bench: typeof BENCH;
  readonly case: string;
  readonly target: CaseName;
  /** Every answer per second, good or bad. */
  readonly requestsPerSec: number;
  /** 2xx answers with the expected body per second: the figure compared. */
  readonly okPerSec: number;
  readonly latency: LatencySummary;
  /** Everything that was not ok: non-2xx, body error codes, connection errors, timeouts. */
  readonly errors: number;
  readonly server: ProcUsage | null;
  readonly serverCpuUsPerReq: number | null;
  /** autocannon's own process: 100 means one core busy. */
  readonly generatorCpuPercent: number;
  readonly generatorCpuUsPerReq: number;
  readonly boxCpuPercent: number | null;
  readonly otherCpuPercent: number | null;
  /** okPerSec ÷ the limit's okPerSec in this run; null for the limit itself or without it. */
  readonly ratioToLimit: number | null;
  /** serverCpuUsPerReq ÷ the limit's: what one answer costs in hello-worlds. */
  readonly cpuPerReqOverLimit: number | null;
  readonly windowMs: number;
  readonly config: typeof options;
  readonly at: string;
  readonly env: BenchEnv;
}

function casesParse(): CaseName[] {
  return cliNamesParse('cases', options.cases, CASES);
}

function optionsCheck(): void {
  cliIntegerCheck('time', options.time, 100, DURATION_MS_MAX);
  cliIntegerCheck('warmup', options.warmup, 0, DURATION_MS_MAX);
  cliIntegerCheck('connections', options.connections, 1, CONNECTIONS_MAX);
  cliIntegerCheck('pipelining', options.pipelining, 1, PIPELINING_MAX);
  cliIntegerCheck('users', options.users, 1, USERS_MAX);
  cliIntegerCheck('shards', options.shards, 1, SHARDS_MAX);
  casesParse();
}

function caseName(name: CaseName): string {
  const load = `c=${options.connections} p=${options.pipelining}`;
  return name === 'login' ? `login ${load} users=${options.users}` : `${name} ${load}`;
}

function ratio(value: number | null, limit: number | null | undefined): number | null {
  if (value === null || limit === null || limit === undefined || limit <= 0) return null;
  return Math.round((value / limit) * 10_000) / 10_000;
}

function resultBuild(name: CaseName, load: LoadResult<HttpData>, window: UsageWindow,
  limit: HttpResult | undefined): HttpResult {
  const { data, windowMs } = load;
  const perSec = (count: number): number => Math.round((count * 1000) / windowMs);
  const generatorCpuPercent = Math.round((load.cpuUs / 1000 / windowMs) * 1000) / 10;
  const usage = window.usage(generatorCpuPercent);
  const okPerSec = perSec(data.ok);
  const count = (counts: Readonly<Record<string, number>>): number =>
    Object.values(counts).reduce((sum, value) => sum + value, 0);
  const serverCpuUsPerReq = usage.process === null ? null
    : cpuUsPer(usage.process.cpuPercent, okPerSec);
  return {
    bench: BENCH, case: caseName(name), target: name,
    requestsPerSec: perSec(data.responses), okPerSec,
    latency: latencySummary(histogramMerge([data.latencyHist])),
    statuses: data.statuses, bodyCodes: data.bodyCodes,
    requestErrors: data.requestErrors, timeouts: data.timeouts,
    errors: count(data.statuses) + count(data.bodyCodes) + data.requestErrors,
    server: usage.process, serverCpuUsPerReq,
    generatorCpuPercent, generatorCpuUsPerReq: cpuUsPer(generatorCpuPercent, okPerSec),
    boxCpuPercent: usage.boxCpuPercent, otherCpuPercent: usage.otherCpuPercent,
    ratioToLimit: name === 'limit' ? null : ratio(okPerSec, limit?.okPerSec),
    cpuPerReqOverLimit: name === 'limit' ? null
      : ratio(serverCpuUsPerReq, limit?.serverCpuUsPerReq),
    windowMs: Math.round(windowMs), config: options, at: new Date().toISOString(), env: benchEnv(),
  };
}

function resultText(r: HttpResult): string {
  const l = r.latency;
  const server = r.server === null ? 'n/a' : procUsageText(r.server);
  const ratioPart = r.ratioToLimit === null ? ''
    : ` | ÷ limit ${(r.ratioToLimit * 100).toFixed(1)}%`;
  const faults = r.errors === 0 ? '' : ` | ERRORS ${r.errors}: statuses ` +
    `${JSON.stringify(r.statuses)} body codes ${JSON.stringify(r.bodyCodes)} request errors ` +
    `${r.requestErrors} (timeouts ${r.timeouts})`;
  return `${BENCH}  ${r.case}: ${rateText(r.okPerSec)} ok req/s (${rateText(r.requestsPerSec)} ` +
    `answered) | latency p50 ${msText(l.p50Ms)} p99 ${msText(l.p99Ms)} p999 ` +
    `${msText(l.p999Ms)} ms | server ${server}, ${r.serverCpuUsPerReq ?? 'n/a'} µs/req | ` +
    `autocannon ${r.generatorCpuPercent.toFixed(0)}% cpu, ${r.generatorCpuUsPerReq} µs/req | ` +
    `box ${r.boxCpuPercent ?? 'n/a'}% (other ${r.otherCpuPercent ?? 'n/a'}%)${ratioPart}${faults}`;
}

/** Runs one case against the process `pid` serving `origin`; prints and returns its result. */
async function caseRun(child: LoadChild<HttpSetup, HttpRun, HttpData>, name: CaseName,
  pid: number, run: HttpRun, limit: HttpResult | undefined): Promise<HttpResult> {
  progress(BENCH, `case ${caseName(name)}`);
  const window = new UsageWindow(pid);
  const [load] = await loadCaseRun([child], {
    bench: BENCH, run, warmupMs: options.warmup, durationMs: options.time,
    onWindowStart: () => window.start(), onWindowEnd: () => window.end(),
    progressText: (d, s) => `${rateText((d['ok'] ?? 0) / s)} ok req/s, ` +
      `${rateText((d['failed'] ?? 0) / s)} failed/s`,
  });
  if (load === undefined) throw new Error('no generator result');
  const result = resultBuild(name, load, window, limit);
  process.stdout.write(`${resultText(result)}\n${JSON.stringify(result)}\n`);
  return result;
}

function runOf(origin: string, kind: HttpTargetKind, keys: readonly string[]): HttpRun {
  return { origin, kind, keys, code: DEV_LOGIN_CODE, deviceId: 'http-bench' };
}

async function limitRun(child: LoadChild<HttpSetup, HttpRun, HttpData>): Promise<HttpResult> {
  const echo = await echoServerStart(1);
  try {
    return await caseRun(child, 'limit', echo.pid, runOf(`http://127.0.0.1:${echo.port}`,
      'hello', []), undefined);
  } finally {
    await echo.stop();
  }
}

/** route and login against one server; every account is registered before the first case. */
async function serverRun(child: LoadChild<HttpSetup, HttpRun, HttpData>,
  cases: readonly CaseName[], limit: HttpResult | undefined): Promise<HttpResult[]> {
  // Dev mode named explicitly: the bench logs in with its code and must not depend on defaults.
  const server = await benchServerStart({ shards: options.shards,
    extraArgs: ['--dev-mode', 'true'] });
  const out: HttpResult[] = [];
  try {
    const mobiles = Array.from({ length: options.users }, (_, i) => String(MOBILE_FIRST + i));
    const users = await benchUsersLogin(server.httpBase, options.users, (i) => mobiles[i]!,
      () => 'http-bench');
    progress(BENCH, `${users.length} accounts registered`);
    const keysOf = { route: users.map((user) => user.userId), login: mobiles };
    for (const name of cases) {
      if (name === 'limit') continue;
      out.push(await caseRun(child, name, server.pid, runOf(server.httpBase, name,
        keysOf[name]), limit));
    }
  } finally {
    const code = await server.stop();
    if (code !== 0) progress(BENCH, `server exited with ${code}:\n${server.output().slice(-2000)}`);
  }
  return out;
}

async function main(): Promise<void> {
  optionsCheck();
  const cases = casesParse();
  process.stdout.write(`# ${BENCH}: ${benchEnvText()}\n`);
  const child = new LoadChild<HttpSetup, HttpRun, HttpData>(GENERATOR_SCRIPT);
  const results: HttpResult[] = [];
  try {
    await child.setup({ connections: options.connections, pipelining: options.pipelining });
    // The limit first, so every later case can print its ratio to it.
    const limit = cases.includes('limit') ? await limitRun(child) : undefined;
    if (limit !== undefined) results.push(limit);
    if (cases.some((name) => name !== 'limit')) {
      results.push(...await serverRun(child, cases, limit));
    }
  } finally {
    await child.exit();
  }
  progress(BENCH, `wrote ${resultsWrite(BENCH, { results })}`);
  if (results.some((r) => r.errors > 0)) process.exitCode = 1;
}

await main();
