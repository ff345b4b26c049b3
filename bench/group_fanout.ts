// Group fan-out through the real server: M members log in over HTTP, K of them connect to
// their owner shards from one separate load-generator process (bench/lib/group_generator.ts),
// the first online member creates one group holding all M, and S online senders send group MS
// closed-loop (W in flight each). Every acked MS is appended to M timelines (the sender's
// included), so deliveries/s = acked/s × M; the K online members pull on MN, which confirms the
// pushes and gives send→deliver latency. Also send→ack latency, server CPU and memory.

import type { LoginResult } from '../src/client/index.js';
import {
  GROUP_MEMBERS_CEILING, GROUP_MEMBERS_MAX, GROUP_READ_FANOUT_MEMBERS_MIN,
} from '../src/limits.js';
import { cliFail, cliIntegerCheck, cliParse } from './lib/cli.js';
import { benchEnv, benchEnvText } from './lib/env.js';
import type { BenchEnv } from './lib/env.js';
import type { ChatUserCredentials } from './lib/chat_generator.js';
import { benchUsersLogin } from './lib/chat_setup.js';
import type { GroupData, GroupRun, GroupSetup } from './lib/group_generator.js';
import { histogramMerge, latencySummary } from './lib/histogram.js';
import type { LatencySummary } from './lib/histogram.js';
import { LoadChild, loadCaseRun } from './lib/load_child.js';
import { UsageWindow, procUsageText } from './lib/proc_stat.js';
import type { ProcUsage } from './lib/proc_stat.js';
import { cpuUsPer, msText, progress, rateText, resultsWrite } from './lib/results.js';
import { metricsPoll, peaksText, type PolledMetrics } from './lib/server_metrics.js';
import { benchServerStart } from '../scripts/lib/server_process.js';
import type { BenchServer } from '../scripts/lib/server_process.js';
import { fileURLToPath } from 'node:url';

const BENCH = 'group_fanout';
const ABOUT = `${BENCH}: one group of M members, K online, S senders, through the real server.
Usage: node dist/bench/${BENCH}.js [options]`;

/** Online members each hold one socket on each side of loopback; the fd limit here is 20,000. */
const ONLINE_MAX = 1_000;
const SENDERS_MAX = 64;
const WINDOW_MAX = 1_024;
const SHARDS_MAX = 8;
const TEXT_BYTES_MAX = 4_096;
const DURATION_MS_MAX = 600_000;
/** Members' phone numbers start here (distinct from one_to_one's, not that it matters). */
const MOBILE_FIRST = 13_800_000_000;

const GENERATOR_SCRIPT = fileURLToPath(new URL('./lib/group_generator.js', import.meta.url));

const options = cliParse(ABOUT, {
  time: { help: 'measuring time', default: 10_000, arg: 'ms' },
  warmup: { help: 'warm-up time', default: 2_000, arg: 'ms' },
  members: { help: `group members M, all logged in (max ${GROUP_MEMBERS_CEILING})`, default: 500 },
  mode: {
    help: "'write' (every member's inbox), 'read' (one group timeline + cursors) or 'auto' " +
      `(the server default: read from ${GROUP_READ_FANOUT_MEMBERS_MIN} receivers)`,
    default: 'auto',
  },
  online: { help: `members K connected, senders among them (max ${ONLINE_MAX})`, default: 20 },
  senders: { help: `online members S that send (max ${SENDERS_MAX})`, default: 4 },
  window: { help: `group MS in flight per sender (max ${WINDOW_MAX})`, default: 8 },
  shards: { help: `server shards (max ${SHARDS_MAX})`, default: 2 },
  transport: { help: "'ws' or 'tcp' (native frames either way)", default: 'ws' },
  bytes: { help: 'message text size', default: 64, arg: 'bytes' },
});

export interface GroupFanoutResult {
  readonly bench: typeof BENCH;
  readonly case: string;
  readonly members: number;
  /** The fan-out mode the server was configured into for this group size. */
  readonly mode: FanoutMode;
  readonly online: number;
  readonly sentPerSec: number;
  readonly ackedPerSec: number;
  /** Timeline appends: acked × members. */
  readonly deliveriesPerSec: number;
  /** Group text entries pulled by the online members (their own excluded). */
  readonly onlineDeliveredPerSec: number;
  /** What onlineDeliveredPerSec should be: acked × (online − 1). */
  readonly onlineExpectedPerSec: number;
  readonly mnPushesPerSec: number;
  readonly ack: LatencySummary;
  readonly deliver: LatencySummary;
  readonly errors: number;
  readonly gaps: number;
  readonly undelivered: number;
  readonly server: ProcUsage | null;
  readonly generatorCpuPercent: number;
  readonly serverCpuUsPerMsg: number | null;
  readonly serverCpuUsPerDelivery: number | null;
  readonly boxCpuPercent: number | null;
  readonly otherCpuPercent: number | null;
  /** The worst shard-second of the server's PEAK_METRICS in the window. */
  readonly shardPeaks: Record<string, number>;
  readonly windowMs: number;
  readonly config: typeof options;
  readonly at: string;
  readonly env: BenchEnv;
}

function optionsCheck(): void {
  cliIntegerCheck('time', options.time, 100, DURATION_MS_MAX);
  cliIntegerCheck('warmup', options.warmup, 0, DURATION_MS_MAX);
  cliIntegerCheck('members', options.members, 2, GROUP_MEMBERS_CEILING);
  if (options.mode !== 'write' && options.mode !== 'read' && options.mode !== 'auto') {
    cliFail("--mode: 'write', 'read' or 'auto'");
  }
  cliIntegerCheck('online', options.online, 2, Math.min(ONLINE_MAX, options.members));
  cliIntegerCheck('senders', options.senders, 1, Math.min(SENDERS_MAX, options.online));
  cliIntegerCheck('window', options.window, 1, WINDOW_MAX);
  cliIntegerCheck('shards', options.shards, 1, SHARDS_MAX);
  cliIntegerCheck('bytes', options.bytes, 1, TEXT_BYTES_MAX);
  if (options.transport !== 'tcp' && options.transport !== 'ws') {
    cliFail("--transport: 'tcp' or 'ws'");
  }
}

function userDeviceId(index: number): string {
  return `bench-g${index}`;
}

type FanoutMode = 'write' | 'read';

/** The mode a group of M members gets: the server picks by receivers (PROTOCOL.md §18). */
function fanoutMode(): FanoutMode {
  if (options.mode === 'write' || options.mode === 'read') return options.mode;
  return options.members >= GROUP_READ_FANOUT_MEMBERS_MIN ? 'read' : 'write';
}

/** Server flags that put a group of M members into the chosen mode and allow M members. */
function serverArgs(): string[] {
  const args = ['--group-members-max', String(Math.max(options.members, GROUP_MEMBERS_MAX))];
  const readFrom = options.mode === 'write' ? options.members + 1 : 2;
  if (options.mode !== 'auto') args.push('--group-read-fanout-members-min', String(readFrom));
  return args;
}

/** Logs in all M members. */
function usersLogin(server: BenchServer): Promise<LoginResult[]> {
  return benchUsersLogin(server.httpBase, options.members,
    (index) => String(MOBILE_FIRST + index), userDeviceId);
}

function setupBuild(users: readonly LoginResult[]): GroupSetup {
  const online: ChatUserCredentials[] = users.slice(0, options.online).map((user, index) => ({
    uid: user.userId, token: user.token, deviceId: userDeviceId(index),
    port: options.transport === 'tcp' ? user.endpoints.tcpPort : user.endpoints.wsPort,
  }));
  return {
    host: '127.0.0.1', transport: options.transport as 'tcp' | 'ws', users: online,
    memberUids: users.map((user) => user.userId), senders: options.senders,
    window: options.window, text: 'x'.repeat(options.bytes),
  };
}

function caseName(): string {
  return `${fanoutMode()} M=${options.members} K=${options.online} S=${options.senders} ` +
    `w=${options.window} ${options.transport}`;
}

function resultText(r: GroupFanoutResult): string {
  const lat = (l: LatencySummary): string =>
    `p50 ${msText(l.p50Ms)} p99 ${msText(l.p99Ms)} p999 ${msText(l.p999Ms)} ms`;
  const server = r.server === null ? 'n/a' : procUsageText(r.server);
  const faults = r.errors + r.gaps + r.undelivered;
  return `${BENCH}  ${r.case}: acked ${rateText(r.ackedPerSec)}/s, deliveries ` +
    `${rateText(r.deliveriesPerSec)}/s | online pulled ${rateText(r.onlineDeliveredPerSec)}/s ` +
    `(expected ${rateText(r.onlineExpectedPerSec)}/s), MN ${rateText(r.mnPushesPerSec)}/s | ` +
    `ack ${lat(r.ack)} | deliver ${lat(r.deliver)} | server ${server}, ` +
    `${r.serverCpuUsPerMsg ?? 'n/a'} µs/msg, ${r.serverCpuUsPerDelivery ?? 'n/a'} µs/delivery | ` +
    `generator ${r.generatorCpuPercent.toFixed(0)}% cpu | box ${r.boxCpuPercent ?? 'n/a'}% ` +
    `(other ${r.otherCpuPercent ?? 'n/a'}%) | ${peaksText(r.shardPeaks)}` +
    (faults === 0 ? '' : ` | FAULTS errors ${r.errors} gaps ${r.gaps} undelivered ${r.undelivered}`);
}

async function caseRun(server: BenchServer,
  child: LoadChild<GroupSetup, GroupRun, GroupData>): Promise<GroupFanoutResult> {
  progress(BENCH, `case ${caseName()}`);
  const window = new UsageWindow(server.pid);
  let poll: ReturnType<typeof metricsPoll> | undefined;
  let polled: Promise<PolledMetrics> = Promise.resolve({ medians: {}, peaks: {} });
  const [result] = await loadCaseRun([child], {
    bench: BENCH, run: {}, warmupMs: options.warmup, durationMs: options.time,
    onWindowStart: () => {
      window.start();
      poll = metricsPoll(server.httpBase, []);
    },
    onWindowEnd: () => {
      window.end();
      polled = poll?.stop() ?? polled;
    },
    progressText: (d, s) => `acked ${rateText((d['acked'] ?? 0) / s)}/s, ` +
      `deliveries ${rateText(((d['acked'] ?? 0) * options.members) / s)}/s, ` +
      `online pulled ${rateText((d['delivered'] ?? 0) / s)}/s`,
  });
  if (result === undefined) throw new Error('no generator result');
  const { data, windowMs } = result;
  const perSec = (count: number): number => Math.round((count * 1000) / windowMs);
  const generatorCpuPercent = Math.round((result.cpuUs / 1000 / windowMs) * 1000) / 10;
  const usage = window.usage(generatorCpuPercent);
  const ackedPerSec = perSec(data.acked);
  const deliveriesPerSec = perSec(data.acked * options.members);
  return {
    bench: BENCH, case: caseName(), members: options.members, mode: fanoutMode(),
    online: options.online,
    sentPerSec: perSec(data.sent), ackedPerSec, deliveriesPerSec,
    onlineDeliveredPerSec: perSec(data.delivered),
    onlineExpectedPerSec: perSec(data.acked * (options.online - 1)),
    mnPushesPerSec: perSec(data.notified),
    ack: latencySummary(histogramMerge([data.ackHist])),
    deliver: latencySummary(histogramMerge([data.deliverHist])),
    errors: data.errors, gaps: data.gaps, undelivered: data.undelivered,
    server: usage.process, generatorCpuPercent,
    serverCpuUsPerMsg: usage.process === null ? null
      : cpuUsPer(usage.process.cpuPercent, ackedPerSec),
    serverCpuUsPerDelivery: usage.process === null ? null
      : cpuUsPer(usage.process.cpuPercent, deliveriesPerSec),
    boxCpuPercent: usage.boxCpuPercent, otherCpuPercent: usage.otherCpuPercent,
    shardPeaks: (await polled).peaks,
    windowMs: Math.round(windowMs), config: options, at: new Date().toISOString(), env: benchEnv(),
  };
}

async function main(): Promise<void> {
  optionsCheck();
  process.stdout.write(`# ${BENCH}: ${benchEnvText()}\n`);
  const server = await benchServerStart({ shards: options.shards, extraArgs: serverArgs() });
  let child: LoadChild<GroupSetup, GroupRun, GroupData> | null = null;
  const results: GroupFanoutResult[] = [];
  try {
    const loginStart = performance.now();
    const users = await usersLogin(server);
    progress(BENCH, `${users.length} members logged in in ` +
      `${((performance.now() - loginStart) / 1000).toFixed(1)} s`);
    child = new LoadChild<GroupSetup, GroupRun, GroupData>(GENERATOR_SCRIPT);
    await child.setup(setupBuild(users));
    progress(BENCH, `${options.online} members online, group of ${options.members} created`);
    const result = await caseRun(server, child);
    results.push(result);
    process.stdout.write(`${resultText(result)}\n${JSON.stringify(result)}\n`);
  } finally {
    await child?.exit();
    const code = await server.stop();
    if (code !== 0) progress(BENCH, `server exited with ${code}:\n${server.output().slice(-2000)}`);
  }
  progress(BENCH, `wrote ${resultsWrite(BENCH, { results })}`);
  if (results.some((r) => r.errors + r.gaps + r.undelivered > 0)) process.exitCode = 1;
}

await main();
