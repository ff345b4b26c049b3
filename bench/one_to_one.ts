// 1:1 chat through the real server: N pairs log in over HTTP, connect to their owner shards
// from load-generator processes (bench/lib/chat_generator.ts), and the senders send MS to their
// peers. Closed loop (W in flight per sender) or open loop (fixed total rates, latency from the
// intended send time). Reports acked and delivered msgs/s, send→ack and send→deliver latency,
// server CPU and memory from /proc, and generator CPU. With --cpu-prof it profiles the server
// and prints the top self-time functions per thread.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoginResult } from '../src/client/index.js';
import { cliFail, cliIntegerCheck, cliParse, cliRatesParse } from './lib/cli.js';
import { benchEnv, benchEnvText } from './lib/env.js';
import type { BenchEnv } from './lib/env.js';
import { profileDirSummarize, profileSummaryText } from './lib/cpu_profile.js';
import type { ProfileSummary } from './lib/cpu_profile.js';
import type { ChatData, ChatRun, ChatSetup, ChatUserCredentials } from './lib/chat_generator.js';
import { benchUsersLogin, CHAT_SERVER_ARGS, chatSetupsBuild } from './lib/chat_setup.js';
import { histogramMerge, latencySummary } from './lib/histogram.js';
import type { LatencySummary } from './lib/histogram.js';
import { LoadChild, loadCaseRun } from './lib/load_child.js';
import type { LoadResult } from './lib/load_child.js';
import { UsageWindow, procUsageText } from './lib/proc_stat.js';
import type { ProcUsage, WindowUsage } from './lib/proc_stat.js';
import { cpuUsPer, msText, progress, rateText, resultsWrite } from './lib/results.js';
import { metricsPoll, peaksText, type PolledMetrics } from './lib/server_metrics.js';
import { benchServerStart } from '../scripts/lib/server_process.js';
import type { BenchServer } from '../scripts/lib/server_process.js';

const BENCH = 'one_to_one';
const ABOUT = `${BENCH}: 1:1 chat through the real server, load from separate processes.
Usage: node dist/bench/${BENCH}.js [options]`;

/** Each pair holds 2 sockets on each side of loopback; the fd limit here is 20,000. */
const PAIRS_MAX = 2_000;
const WINDOW_MAX = 1_024;
const GENERATORS_MAX = 4;
const SHARDS_MAX = 8;
/** Shards the bench starts the server with unless told: what PERF.md's 1:1 rows use. */
const SHARDS_DEFAULT = 2;
const RATE_PER_SEC_MAX = 1_000_000;
const RATES_MAX = 8;
const TEXT_BYTES_MAX = 4_096;
const DURATION_MS_MAX = 600_000;
const PROFILE_TOP_MAX = 100;

/** Per-shard transaction and GC figures read from /metrics over the measured window (medians
 * of the per-second means over the shards that committed): where a message's latency goes. */
const COMMIT_METRICS = [
  'magpie_commits_per_second', 'magpie_commit_writes_mean', 'magpie_commit_wait_p50_ms',
  'magpie_commit_callback_p50_ms', 'magpie_commit_durable_p50_ms', 'magpie_gc_pause_ms',
] as const;

const GENERATOR_SCRIPT = fileURLToPath(new URL('./lib/chat_generator.js', import.meta.url));

const options = cliParse(ABOUT, {
  time: { help: 'measuring time per case', default: 10_000, arg: 'ms' },
  warmup: { help: 'warm-up time per case', default: 2_000, arg: 'ms' },
  pairs: { help: `sender→receiver pairs (max ${PAIRS_MAX})`, default: 50 },
  window: { help: `closed loop: MS in flight per sender (max ${WINDOW_MAX})`, default: 8 },
  'open-loop': { help: 'fixed-rate sends instead of a closed loop', default: false },
  rate: { help: 'open loop: total MS/s, comma-separated, one case each', default: '1000,10000',
    arg: 'list' },
  bidirectional: { help: 'receivers send to their senders too', default: false },
  generators: { help: `load-generator processes (max ${GENERATORS_MAX})`, default: 1 },
  shards: { help: `server shards (max ${SHARDS_MAX})`, default: SHARDS_DEFAULT },
  transport: { help: "'ws' or 'tcp' (native frames either way)", default: 'ws' },
  client: { help: "'raw' (bench native link) or 'sdk' (MagpieClient)", default: 'raw' },
  bytes: { help: 'message text size', default: 64, arg: 'bytes' },
  'cpu-prof': { help: 'profile the server (node --cpu-prof), print top functions', default: false },
  'profile-top': { help: 'functions listed per profiled thread', default: 15 },
});

export interface OneToOneResult {
  readonly bench: typeof BENCH;
  readonly case: string;
  readonly mode: 'closed' | 'open';
  /** Open loop: the rate asked for (total MS/s); null in closed loop. */
  readonly ratePerSec: number | null;
  readonly sentPerSec: number;
  readonly ackedPerSec: number;
  readonly deliveredPerSec: number;
  readonly ack: LatencySummary;
  readonly deliver: LatencySummary;
  readonly errors: number;
  readonly gaps: number;
  readonly undelivered: number;
  readonly dropped: number;
  readonly backlogMax: number;
  readonly crossShardPairs: number;
  readonly server: ProcUsage | null;
  /** Sum over generator processes: 100 means one core busy. */
  readonly generatorCpuPercent: number;
  /** CPU µs per acked message: robust to other load on the box, unlike the rates. */
  readonly serverCpuUsPerMsg: number | null;
  readonly generatorCpuUsPerMsg: number;
  /** The whole box (all processes and the kernel); 100 × cores means every core busy. */
  readonly boxCpuPercent: number | null;
  /** boxCpuPercent minus server and generators: other work on the box during the window. */
  readonly otherCpuPercent: number | null;
  readonly windowMs: number;
  readonly config: typeof options;
  readonly at: string;
  readonly env: BenchEnv;
  /** Shard transaction timings, medians over the window's seconds (server_metrics.ts). */
  readonly commits?: Record<string, number>;
  /** The worst shard-second of PEAK_METRICS in the window. */
  readonly shardPeaks?: Record<string, number>;
}

function ratesParse(): number[] {
  const rates = cliRatesParse('rate', options.rate, RATES_MAX, RATE_PER_SEC_MAX);
  if (rates.length === 0) cliFail('--rate needs at least one rate');
  return rates;
}

function optionsCheck(): void {
  cliIntegerCheck('time', options.time, 100, DURATION_MS_MAX);
  cliIntegerCheck('warmup', options.warmup, 0, DURATION_MS_MAX);
  cliIntegerCheck('pairs', options.pairs, 1, PAIRS_MAX);
  cliIntegerCheck('window', options.window, 1, WINDOW_MAX);
  cliIntegerCheck('generators', options.generators, 1, Math.min(GENERATORS_MAX, options.pairs));
  cliIntegerCheck('shards', options.shards, 1, SHARDS_MAX);
  cliIntegerCheck('bytes', options.bytes, 1, TEXT_BYTES_MAX);
  cliIntegerCheck('profile-top', options['profile-top'], 1, PROFILE_TOP_MAX);
  if (options.transport !== 'tcp' && options.transport !== 'ws') {
    cliFail("--transport: 'tcp' or 'ws'");
  }
  if (options.client !== 'raw' && options.client !== 'sdk') cliFail("--client: 'raw' or 'sdk'");
}

/** The device id user `index` logs in with; CONNECT must name the same device. */
function userDeviceId(index: number): string {
  return `bench-${index}`;
}

/** Logs in 2 × pairs users; user 2i sends to 2i + 1. */
function usersLogin(server: BenchServer): Promise<LoginResult[]> {
  return benchUsersLogin(server.httpBase, options.pairs * 2,
    (index) => String(13_900_000_000 + index), userDeviceId);
}

/** Pair p goes to generator p mod G; a pair's two users always share a generator. */
function setupsBuild(users: readonly LoginResult[]): ChatSetup[] {
  const credentials = users.map((user, index): ChatUserCredentials => ({
    uid: user.userId, token: user.token, deviceId: userDeviceId(index),
    port: options.transport === 'tcp' ? user.endpoints.tcpPort : user.endpoints.wsPort,
  }));
  return chatSetupsBuild({
    users: credentials, generators: options.generators, bidirectional: options.bidirectional,
    host: '127.0.0.1', transport: options.transport as 'tcp' | 'ws',
    client: options.client as 'raw' | 'sdk', window: options.window,
    text: 'x'.repeat(options.bytes), refill: 'ack',
  });
}

function crossShardPairs(users: readonly LoginResult[]): number {
  let cross = 0;
  for (let pair = 0; pair < options.pairs; pair++) {
    if (users[2 * pair]!.endpoints.tcpPort !== users[2 * pair + 1]!.endpoints.tcpPort) cross++;
  }
  return cross;
}

function sum(results: readonly LoadResult<ChatData>[], pick: (data: ChatData) => number): number {
  return results.reduce((total, result) => total + pick(result.data), 0);
}

function caseName(run: ChatRun): string {
  const loop = run.mode === 'closed' ? `closed w=${options.window}` : `open ${run.ratePerSec}/s`;
  const direction = options.bidirectional ? ' bidi' : '';
  // Other shard counts are other cases: reports must not pool them with the default's runs.
  const shards = options.shards === SHARDS_DEFAULT ? '' : ` shards=${options.shards}`;
  return `${loop} pairs=${options.pairs}${direction} ${options.transport} ${options.client}${shards}`;
}

function resultBuild(run: ChatRun, results: readonly LoadResult<ChatData>[],
  usageOf: (generatorCpuPercent: number) => WindowUsage, cross: number): OneToOneResult {
  const windowMs = results.reduce((total, r) => total + r.windowMs, 0) / results.length;
  const perSec = (count: number): number => Math.round((count * 1000) / windowMs);
  const ackHist = histogramMerge(results.map((r) => r.data.ackHist));
  const deliverHist = histogramMerge(results.map((r) => r.data.deliverHist));
  const cpuUs = results.reduce((total, r) => total + r.cpuUs, 0);
  const generatorCpuPercent = Math.round((cpuUs / 1000 / windowMs) * 1000) / 10;
  const usage = usageOf(generatorCpuPercent);
  const ackedPerSec = perSec(sum(results, (d) => d.acked));
  return {
    bench: BENCH, case: caseName(run), mode: run.mode,
    ratePerSec: run.mode === 'open' ? run.ratePerSec * results.length : null,
    sentPerSec: perSec(sum(results, (d) => d.sent)),
    ackedPerSec,
    deliveredPerSec: perSec(sum(results, (d) => d.delivered)),
    ack: latencySummary(ackHist), deliver: latencySummary(deliverHist),
    errors: sum(results, (d) => d.errors), gaps: sum(results, (d) => d.gaps),
    undelivered: sum(results, (d) => d.undelivered), dropped: sum(results, (d) => d.dropped),
    backlogMax: Math.max(...results.map((r) => r.data.backlogMax)),
    crossShardPairs: cross, server: usage.process,
    generatorCpuPercent, boxCpuPercent: usage.boxCpuPercent,
    serverCpuUsPerMsg: usage.process === null ? null
      : cpuUsPer(usage.process.cpuPercent, ackedPerSec),
    generatorCpuUsPerMsg: cpuUsPer(generatorCpuPercent, ackedPerSec),
    otherCpuPercent: usage.otherCpuPercent,
    windowMs: Math.round(windowMs), config: options, at: new Date().toISOString(), env: benchEnv(),
  };
}

function resultText(result: OneToOneResult): string {
  const lat = (l: LatencySummary): string =>
    `p50 ${msText(l.p50Ms)} p99 ${msText(l.p99Ms)} p999 ${msText(l.p999Ms)} ms`;
  const server = result.server === null ? 'n/a' : procUsageText(result.server);
  const faults = result.errors + result.gaps + result.undelivered + result.dropped;
  return `${BENCH}  ${result.case}: acked ${rateText(result.ackedPerSec)}/s, delivered ` +
    `${rateText(result.deliveredPerSec)}/s | ack ${lat(result.ack)} | deliver ` +
    `${lat(result.deliver)} | server ${server}, ${result.serverCpuUsPerMsg ?? 'n/a'} µs/msg | ` +
    'generators ' +
    `${result.generatorCpuPercent.toFixed(0)}% cpu | box ${result.boxCpuPercent ?? 'n/a'}% ` +
    `(other ${result.otherCpuPercent ?? 'n/a'}%)` +
    (faults === 0 ? '' : ` | FAULTS errors ${result.errors} gaps ${result.gaps} ` +
      `undelivered ${result.undelivered} dropped ${result.dropped}`);
}

function commitsText(commits: Record<string, number>): string {
  const of = (name: string): number => commits[`magpie_${name}`] ?? NaN;
  return `  per shard: ${of('commits_per_second')} transactions/s × ${of('commit_writes_mean')} ` +
    `writes; queued→started / callback / →durable p50 ${of('commit_wait_p50_ms')} / ` +
    `${of('commit_callback_p50_ms')} / ${of('commit_durable_p50_ms')} ms; GC ` +
    `${of('gc_pause_ms')} ms/s`;
}

async function casesRun(server: BenchServer, children: LoadChild<ChatSetup, ChatRun, ChatData>[],
  cross: number): Promise<OneToOneResult[]> {
  const runs: ChatRun[] = options['open-loop']
    ? ratesParse().map((rate) => ({ mode: 'open', ratePerSec: rate / children.length }))
    : [{ mode: 'closed', ratePerSec: 0 }];
  const out: OneToOneResult[] = [];
  for (const run of runs) {
    progress(BENCH, `case ${caseName(run)}`);
    const window = new UsageWindow(server.pid);
    let commitPoll: ReturnType<typeof metricsPoll> | undefined;
    let commitStopped: Promise<PolledMetrics> = Promise.resolve({ medians: {}, peaks: {} });
    const results = await loadCaseRun(children, {
      bench: BENCH, run, warmupMs: options.warmup, durationMs: options.time,
      onWindowStart: () => {
        window.start();
        commitPoll = metricsPoll(server.httpBase, COMMIT_METRICS);
      },
      onWindowEnd: () => {
        window.end();
        commitStopped = commitPoll?.stop() ?? commitStopped;
      },
      progressText: (d, s) => `acked ${rateText((d['acked'] ?? 0) / s)}/s, ` +
        `delivered ${rateText((d['delivered'] ?? 0) / s)}/s`,
    });
    const polled = await commitStopped;
    const result = {
      ...resultBuild(run, results, (generators) => window.usage(generators), cross),
      commits: polled.medians, shardPeaks: polled.peaks,
    };
    out.push(result);
    process.stdout.write(`${resultText(result)}\n${commitsText(result.commits)}\n` +
      `  ${peaksText(result.shardPeaks)}\n` +
      `${JSON.stringify(result)}\n`);
  }
  return out;
}

function profilesReport(dir: string): ProfileSummary[] {
  const summaries = profileDirSummarize(dir, options['profile-top']);
  process.stdout.write(`# server CPU profiles (self time, whole run incl. start-up), ${dir}\n`);
  for (const summary of summaries) process.stdout.write(`${profileSummaryText(summary)}\n`);
  return summaries;
}

async function main(): Promise<void> {
  optionsCheck();
  process.stdout.write(`# ${BENCH}: ${benchEnvText()}\n`);
  const profileDir = options['cpu-prof']
    ? fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-bench-prof-')) : null;
  const server = await benchServerStart({
    shards: options.shards,
    nodeArgs: profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
    extraArgs: CHAT_SERVER_ARGS,
  });
  const children: LoadChild<ChatSetup, ChatRun, ChatData>[] = [];
  let results: OneToOneResult[] = [];
  try {
    const users = await usersLogin(server);
    const cross = crossShardPairs(users);
    progress(BENCH, `${users.length} users logged in; ${cross} of ${options.pairs} pairs ` +
      'cross shards');
    const setups = setupsBuild(users);
    for (let g = 0; g < setups.length; g++) children.push(new LoadChild(GENERATOR_SCRIPT));
    await Promise.all(children.map((child, g) => child.setup(setups[g]!)));
    results = await casesRun(server, children, cross);
  } finally {
    await Promise.all(children.map((child) => child.exit()));
    const code = await server.stop();
    if (code !== 0) progress(BENCH, `server exited with ${code}:\n${server.output().slice(-2000)}`);
  }
  const profiles = profileDir === null ? [] : profilesReport(profileDir);
  progress(BENCH, `wrote ${resultsWrite(BENCH, { results, profiles })}`);
  if (results.some((r) => r.errors + r.gaps + r.undelivered + r.dropped > 0)) process.exitCode = 1;
}

await main();
