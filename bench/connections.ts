// N authenticated idle connections against the real server: users log in over HTTP, load
// generator processes (bench/lib/idle_generator.ts, each from its own loopback source address)
// open WebSocket then TCP connections with native frames and CONNECT with the real tokens, and
// hold them idle. Reports server memory per connection over an idle baseline (process RSS, the
// shards' V8 heaps, the kernel's slab), the connect rate, the server's CPU and event-loop lag
// while holding them, the generators' own CPU and memory, and the extrapolation to 500k.

import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import { route } from '../src/client/index.js';
import type { Endpoints, LoginResult } from '../src/client/index.js';
import { PING_INTERVAL_MS_MAX, WS_IDLE_TIMEOUT_MS } from '../src/limits.js';
import { cliFail, cliIntegerCheck, cliParse } from './lib/cli.js';
import { benchEnv, benchEnvText } from './lib/env.js';
import { benchUsersLogin } from './lib/chat_setup.js';
import { connectionsText, extrapolate, kernelPerConnection, perConnection }
  from './lib/conn_report.js';
import type { HoldFigures, MemorySnapshot, RampFigures } from './lib/conn_report.js';
import { fdLimitOf, fdLimitRaise } from './lib/fd_limit.js';
import { GENERATOR_CONNECTIONS_MAX } from './lib/idle_setup.js';
import type { Heartbeat, IdleCredentials, IdleData, IdleRun, IdleSetup }
  from './lib/idle_setup.js';
import { LoadChild, loadCaseRun } from './lib/load_child.js';
import { procMemory } from './lib/mem_probe.js';
import { UsageWindow, procSample, procUsage } from './lib/proc_stat.js';
import { progress, progressBar, resultsWrite, sleep } from './lib/results.js';
import { LagSampler, median, serverSettle, serverSnapshot } from './lib/server_snapshot.js';
import { benchServerStart } from '../scripts/lib/server_process.js';
import type { BenchServer } from '../scripts/lib/server_process.js';

const BENCH = 'connections';
const ABOUT = `${BENCH}: N authenticated idle connections (WS + TCP, native) held by the real
server; memory per connection, connect rate, idle CPU and event-loop lag.
Usage: node dist/bench/${BENCH}.js [options]`;

/** One server process holds at most ~19.8k sockets here (open files: 20,000, hard). */
const CONNECTIONS_MAX = 19_500;
/** Files the server needs besides client sockets (LMDB, listeners, epoll, pipes, HTTP). */
const SERVER_FDS_RESERVED = 300;
/** Source addresses 127.0.0.2 … 127.0.0.(1 + this): one per generator. */
const GENERATORS_MAX = 8;
const CONNECTS_IN_FLIGHT_MAX = 1_024;
const SHARDS_MAX = 8;
/** The hold must end before a TCP connection's declared PING interval (+ grace) runs out. */
const HOLD_MS_MAX = 300_000;
/** uWS checks idle timers every ~4 s: a WS heartbeat period must leave that much margin. */
const WS_HEARTBEAT_MARGIN_MS = 8_000;
const HEARTBEAT_MS_MIN = 100;
const SETTLE_MS_MAX = 120_000;
/** The baseline (after a start: every thread, the main one too, shrinks) waits this many. */
const BASELINE_SETTLE_FACTOR = 2;
/** The server's CPU with no connection is measured this long (1 tick = 10 ms of CPU). */
const IDLE_BASELINE_MS = 5_000;
/** Logins per progress line. */
const LOGIN_CHUNK = 2_000;

const GENERATOR_SCRIPT = fileURLToPath(new URL('./lib/idle_generator.js', import.meta.url));

const options = cliParse(ABOUT, {
  connections: { help: `connections in all (max ${CONNECTIONS_MAX})`, default: 18_000 },
  'tcp-percent': { help: 'share of them over TCP; the rest over WebSocket', default: 50,
    arg: 'percent' },
  time: { help: 'measured idle hold', default: 30_000, arg: 'ms' },
  warmup: { help: 'idle settling after the ramp, before the measured hold', default: 5_000,
    arg: 'ms' },
  generators: { help: `load-generator processes (max ${GENERATORS_MAX})`, default: 4 },
  'in-flight': { help: 'connects in progress per generator', default: 64 },
  heartbeat: { help: "'ws' (ping control frames to WS) or 'native' (PING frames to all)",
    default: 'ws' },
  'heartbeat-ms': { help: 'heartbeat period per connection', default: 25_000, arg: 'ms' },
  shards: { help: `server shards (max ${SHARDS_MAX})`, default: 2 },
  settle: { help: 'quiet time before each memory snapshot (V8 shrinks heaps after ~20 s)',
    default: 25_000, arg: 'ms' },
});

export interface ConnectionsResult {
  readonly bench: typeof BENCH;
  readonly case: string;
  readonly connections: number;
  /** The idle server after the logins, before any connection. */
  readonly baseline: Omit<MemorySnapshot, 'kernel'>;
  readonly ramps: readonly RampFigures[];
  /** All ramp steps together: connections ÷ their seconds. */
  readonly connectsPerSec: number;
  /** Marginal cost: the second ramp round (half of each transport), end of hold vs after the
   * first round. The figure to extrapolate. */
  readonly perConnection: ReturnType<typeof perConnection>;
  /** The first round over the baseline: includes one-time growth of a fresh process. */
  readonly firstRound: ReturnType<typeof perConnection>;
  /** All connections, end of hold over the baseline: one-time growth spread over N (an upper
   * bound of the marginal cost, and steadier than it: RSS moves by MiBs between snapshots). */
  readonly overall: ReturnType<typeof perConnection>;
  readonly kernel: ReturnType<typeof kernelPerConnection>;
  readonly hold: HoldFigures;
  readonly extrapolation: ReturnType<typeof extrapolate>;
  readonly generatorRssBytes: number;
  /** What kept the connections open, and whether protocol PINGs were needed in the hold. */
  readonly keepalive: string;
  readonly serverFdLimit: number | null;
  readonly config: typeof options;
  readonly at: string;
  readonly env: ReturnType<typeof benchEnv>;
}

function optionsCheck(): void {
  cliIntegerCheck('connections', options.connections, 1, CONNECTIONS_MAX);
  cliIntegerCheck('tcp-percent', options['tcp-percent'], 0, 100);
  cliIntegerCheck('time', options.time, 1_000, HOLD_MS_MAX);
  cliIntegerCheck('warmup', options.warmup, 0, HOLD_MS_MAX);
  cliIntegerCheck('generators', options.generators, 1, GENERATORS_MAX);
  cliIntegerCheck('in-flight', options['in-flight'], 1, CONNECTS_IN_FLIGHT_MAX);
  cliIntegerCheck('shards', options.shards, 1, SHARDS_MAX);
  cliIntegerCheck('settle', options.settle, 0, SETTLE_MS_MAX);
  if (options.heartbeat !== 'ws' && options.heartbeat !== 'native') {
    cliFail("--heartbeat: 'ws' or 'native'");
  }
  cliIntegerCheck('heartbeat-ms', options['heartbeat-ms'], HEARTBEAT_MS_MIN,
    WS_IDLE_TIMEOUT_MS - WS_HEARTBEAT_MARGIN_MS);
  const perGenerator = Math.ceil(options.connections / options.generators);
  const ports = ephemeralPorts();
  if (perGenerator > Math.min(GENERATOR_CONNECTIONS_MAX, ports)) {
    cliFail(`${perGenerator} connections per generator: more than one process or one source ` +
      `address can hold (${GENERATOR_CONNECTIONS_MAX}, ${ports} ports); add --generators`);
  }
}

/** Ports one source address can bind (net.ipv4.ip_local_port_range). */
function ephemeralPorts(): number {
  try {
    const text = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8');
    const [low, high] = text.trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined) return high - low + 1;
  } catch {
    // Not Linux: assume the IANA default range.
  }
  return 16_384;
}

async function usersLogin(server: BenchServer): Promise<LoginResult[]> {
  const users: LoginResult[] = [];
  while (users.length < options.connections) {
    const offset = users.length;
    const count = Math.min(LOGIN_CHUNK, options.connections - offset);
    users.push(...await benchUsersLogin(server.httpBase, count,
      (index) => String(13_700_000_000 + offset + index), (index) => `conn-${offset + index}`));
    progress(BENCH, `${progressBar(users.length, options.connections)} logged in`);
  }
  return users;
}

/**
 * The logins leave garbage in the server's heaps that V8 frees at its own pace, which would
 * blur the baseline: the server is restarted (same data, so tokens and devices stay valid) and
 * the users' direct endpoints, which a restart renumbers, are asked again (one route per shard).
 */
/** Waits for the server to hold still, then snapshots its memory. */
async function snapshot(server: BenchServer, connections: number, quietMs: number):
  Promise<MemorySnapshot> {
  progress(BENCH, `settling (${quietMs} ms or more) before a memory snapshot`);
  await serverSettle(server.pid, quietMs);
  return serverSnapshot(server.pid, server.httpBase, connections);
}

async function serverRefresh(server: BenchServer, users: readonly LoginResult[]):
  Promise<LoginResult[]> {
  progress(BENCH, 'restarting the server for a clean idle baseline');
  await server.restart();
  const key = (e: Endpoints): string => `${e.wsPort}/${e.tcpPort}`;
  const fresh = new Map<string, Endpoints>();
  for (const user of users) {
    if (!fresh.has(key(user.endpoints))) {
      fresh.set(key(user.endpoints), await route(server.httpBase, user.userId));
    }
  }
  return users.map((user) => ({ ...user, endpoints: fresh.get(key(user.endpoints))! }));
}

function credentials(users: readonly LoginResult[], from: number, to: number,
  transport: 'ws' | 'tcp'): IdleCredentials[] {
  return users.slice(from, to).map((user, index) => ({
    uid: user.userId, token: user.token, deviceId: `conn-${from + index}`, transport,
    port: transport === 'ws' ? user.endpoints.wsPort : user.endpoints.tcpPort,
  }));
}

type Child = LoadChild<IdleSetup, IdleRun, IdleData>;

function childrenCpuTicks(children: readonly Child[]): (() => number) {
  const pids = children.map((child) => child.process.pid ?? 0);
  const before = pids.map((pid) => procSample(pid));
  return () => pids.reduce((sum, pid, g) => {
    const from = before[g];
    const to = procSample(pid);
    return from === null || from === undefined || to === null ? sum
      : sum + procUsage(pid, from, to).cpuPercent;
  }, 0);
}

function openCount(children: readonly Child[]): number {
  return children.reduce((sum, child) => sum + (child.counts['open'] ?? 0), 0);
}

/** One ramp step: every generator connects its share of `step` at once. */
async function rampStep(server: BenchServer, children: readonly Child[],
  step: readonly IdleCredentials[], before: MemorySnapshot):
  Promise<{ figures: RampFigures; after: MemorySnapshot }> {
  const transport = step[0]!.transport;
  progress(BENCH, `ramp: ${step.length} ${transport} connections`);
  const window = new UsageWindow(server.pid);
  const generatorsCpu = childrenCpuTicks(children);
  window.start();
  const startedMs = performance.now();
  const target = before.connections + step.length;
  const ticker = setInterval(() => progress(BENCH,
    `${progressBar(openCount(children), target)} connected`), 1_000);
  try {
    await Promise.all(children.map((child, g) => child.setup({
      host: '127.0.0.1', localAddress: `127.0.0.${2 + g}`,
      users: step.filter((_, index) => index % children.length === g),
      connectsInFlight: options['in-flight'],
      heartbeat: options.heartbeat as Heartbeat, heartbeatMs: options['heartbeat-ms'],
    })));
  } finally {
    clearInterval(ticker);
  }
  const seconds = (performance.now() - startedMs) / 1000;
  window.end();
  const generatorCpuPercent = generatorsCpu();
  const usage = window.usage(generatorCpuPercent);
  const after = await snapshot(server, target, options.settle);
  return {
    figures: {
      transport, connections: step.length, seconds: Math.round(seconds * 100) / 100,
      connectsPerSec: Math.round(step.length / seconds),
      server: usage.process, generatorCpuPercent,
      boxCpuPercent: usage.boxCpuPercent, otherCpuPercent: usage.otherCpuPercent,
      perConnection: perConnection(before, after),
    },
    after,
  };
}

async function hold(server: BenchServer, children: readonly Child[],
  baselineCpuPercent: number | null): Promise<HoldFigures> {
  progress(BENCH, `holding ${openCount(children)} idle connections`);
  const window = new UsageWindow(server.pid);
  const lag = new LagSampler(server.httpBase,
    (err) => progress(BENCH, `/metrics: ${String(err)}`));
  const results = await loadCaseRun(children, {
    bench: BENCH, run: {}, warmupMs: options.warmup, durationMs: options.time,
    onWindowStart: () => {
      window.start();
      lag.start();
    },
    onWindowEnd: () => {
      window.end();
      lag.stop();
    },
    progressText: (d, s) => `open ${openCount(children)}, heartbeats ` +
      `${Math.round((d['heartbeats'] ?? 0) / s)}/s, closed ${d['closed'] ?? 0}`,
  });
  const windowMs = results.reduce((sum, r) => sum + r.windowMs, 0) / results.length;
  const cpuUs = results.reduce((sum, r) => sum + r.cpuUs, 0);
  const generatorCpuPercent = Math.round((cpuUs / 10 / windowMs) * 10) / 10;
  const usage = window.usage(generatorCpuPercent);
  const open = results.reduce((sum, r) => sum + r.data.open, 0);
  const heartbeats = results.reduce((sum, r) => sum + r.data.heartbeats, 0);
  const cpu = usage.process?.cpuPercent ?? null;
  return {
    windowMs: Math.round(windowMs), server: usage.process, baselineCpuPercent,
    serverCpuUsPerConnectionSec: cpu === null || baselineCpuPercent === null || open === 0
      ? null : Math.round(((cpu - baselineCpuPercent) * 10_000 * 1000) / open) / 1000,
    generatorCpuPercent, heartbeatsPerSec: Math.round((heartbeats * 1000) / windowMs),
    closed: results.reduce((sum, r) => sum + r.data.closed, 0), open,
    loopLagP99MsMedian: median(lag.p99s), loopLagP99MsMax: Math.max(...lag.p99s),
    loopLagMaxMs: Math.max(...lag.maxes),
    boxCpuPercent: usage.boxCpuPercent, otherCpuPercent: usage.otherCpuPercent,
  };
}

function keepaliveText(): string {
  const period = `every ${options['heartbeat-ms']} ms per connection`;
  return options.heartbeat === 'ws'
    ? `WS: a ping control frame ${period} (uWS answers it in C++, no JS; without it the ` +
      `${WS_IDLE_TIMEOUT_MS} ms idle timeout closes the connection). TCP: one native PING ` +
      `declaring ${PING_INTERVAL_MS_MAX} ms right after CONNECT; none needed in the hold.`
    : `every connection: a native PING frame ${period} (answered by the shard's JS)`;
}

function halves<T>(list: readonly T[]): [T[], T[]] {
  const cut = Math.ceil(list.length / 2);
  return [list.slice(0, cut), list.slice(cut)];
}

/** Two rounds of WS then TCP steps, each with half of that transport's connections. */
async function rampRounds(server: BenchServer, children: readonly Child[],
  users: readonly LoginResult[], baseline: MemorySnapshot):
  Promise<{ ramps: RampFigures[]; afterFirst: MemorySnapshot }> {
  const wsCount = options.connections - Math.round((options.connections *
    options['tcp-percent']) / 100);
  const [ws1, ws2] = halves(credentials(users, 0, wsCount, 'ws'));
  const [tcp1, tcp2] = halves(credentials(users, wsCount, options.connections, 'tcp'));
  const ramps: RampFigures[] = [];
  let last = baseline;
  let afterFirst = baseline;
  for (const [index, step] of [ws1, tcp1, ws2, tcp2].entries()) {
    if (step.length > 0) {
      const { figures, after } = await rampStep(server, children, step, last);
      ramps.push(figures);
      last = after;
    }
    if (index === 1) afterFirst = last;
  }
  return { ramps, afterFirst };
}

async function run(server: BenchServer, children: Child[]): Promise<ConnectionsResult> {
  const users = await serverRefresh(server, await usersLogin(server));
  for (let g = 0; g < options.generators; g++) children.push(new LoadChild(GENERATOR_SCRIPT));
  // Start-up garbage (uWS load, LMDB open) goes the same way as a busy phase's.
  await serverSettle(server.pid, options.settle * BASELINE_SETTLE_FACTOR);
  const idle = new UsageWindow(server.pid);
  idle.start();
  await sleep(IDLE_BASELINE_MS);
  idle.end();
  const baseline = await snapshot(server, 0, 0);
  const { ramps, afterFirst } = await rampRounds(server, children, users, baseline);
  const held = await hold(server, children, idle.usage(0).process?.cpuPercent ?? null);
  // The hold was idle for warm-up + time: settled unless that was short.
  const end = await snapshot(server, options.connections, 0);
  // The second round's cost is the marginal one: the first also pays one-time growth (V8
  // young generations and code, malloc arenas) that 500 k connections would not repeat.
  const marginal = afterFirst.connections < end.connections ? afterFirst : baseline;
  const total = perConnection(marginal, end);
  const kernel = kernelPerConnection(marginal, end);
  const generatorRssBytes = children.reduce((sum, child) =>
    sum + (procMemory(child.process.pid ?? 0)?.rssBytes ?? 0), 0);
  return {
    bench: BENCH, case: `${options.connections} idle, ${options['tcp-percent']}% tcp, ` +
      `heartbeat ${options.heartbeat} ${options['heartbeat-ms']} ms`,
    connections: options.connections, ramps,
    connectsPerSec: Math.round(options.connections /
      ramps.reduce((sum, ramp) => sum + ramp.seconds, 0)),
    baseline: { connections: 0, process: baseline.process, heapBytes: baseline.heapBytes },
    perConnection: total, firstRound: perConnection(baseline, afterFirst),
    overall: perConnection(baseline, end), kernel,
    hold: held, extrapolation: extrapolate(total, kernel, held), generatorRssBytes,
    keepalive: keepaliveText(), serverFdLimit: fdLimitOf(server.pid)?.soft ?? null,
    config: options, at: new Date().toISOString(), env: benchEnv(),
  };
}

async function main(): Promise<void> {
  const rerun = await fdLimitRaise();
  if (rerun !== null) {
    process.exitCode = rerun;
    return;
  }
  optionsCheck();
  process.stdout.write(`# ${BENCH}: ${benchEnvText()}\n`);
  // --expose-gc: every snapshot collects garbage first (the dev-mode /v1/admin/gc hook).
  const server = await benchServerStart({ shards: options.shards, nodeArgs: ['--expose-gc'] });
  const fds = fdLimitOf(server.pid)?.soft ?? Infinity;
  const children: Child[] = [];
  let result: ConnectionsResult | undefined;
  try {
    if (options.connections > fds - SERVER_FDS_RESERVED) {
      throw new Error(`the server may open ${fds} files: at most ` +
        `${fds - SERVER_FDS_RESERVED} connections`);
    }
    result = await run(server, children);
  } finally {
    await Promise.all(children.map((child) => child.exit()));
    const code = await server.stop();
    if (code !== 0) progress(BENCH, `server exited with ${code}:\n${server.output().slice(-2000)}`);
  }
  process.stdout.write(`${connectionsText(result.connections, result.ramps,
    result.perConnection, result.kernel, result.hold, result.extrapolation,
    result.generatorRssBytes)} | all ${result.connections} over the baseline: rss ` +
    `${result.overall.rssBytes} B/conn, V8 heap ${result.overall.heapBytes}\n` +
    `${JSON.stringify(result)}\n`);
  progress(BENCH, `wrote ${resultsWrite(BENCH, [result])}`);
  if (result.hold.closed > 0 || result.hold.open !== result.connections) process.exitCode = 1;
}

await main();
