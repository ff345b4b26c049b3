// Issue 3 scenario 8: the same 1:1 workload against Magpie and against Debian's ejabberd (the
// peer, scripts/peer_ejabberd), one after the other in one run: N pairs, W in flight per
// direction sent→delivered (closed loop), then fixed offered rates (open loop, latency from
// the intended send time). One load generator (bench/lib/chat_generator.ts) for both: Magpie
// through raw native frames, ejabberd through the XMPP client. Prints per case delivered
// msgs/s, send→deliver p50/p99/p999, server and generator CPU, and Magpie ÷ ejabberd.

import { fileURLToPath } from 'node:url';
import {
  EJABBERD_DIR_DEFAULT, EJABBERD_PASSWORD, SCHEDULER_FLAGS_DEFAULT, ejabberdInstall, ejabberdJid,
  ejabberdRegister, ejabberdStart, ejabberdStop,
} from '../scripts/lib/ejabberd.js';
import type { EjabberdOptions } from '../scripts/lib/ejabberd.js';
import { EJABBERD_C2S_PORT, EJABBERD_HOST_IP, ejabberdSettings } from
  '../scripts/lib/ejabberd_config.js';
import { cliFail, cliIntegerCheck, cliNamesParse, cliParse, cliRatesParse } from './lib/cli.js';
import { benchEnv, benchEnvText } from './lib/env.js';
import type { BenchEnv } from './lib/env.js';
import type { ChatData, ChatRun, ChatSetup, ChatUserCredentials } from './lib/chat_generator.js';
import { benchUsersLogin, CHAT_SERVER_ARGS, chatSetupsBuild } from './lib/chat_setup.js';
import type { ChatSetupsOptions } from './lib/chat_setup.js';
import { histogramMerge, latencySummary } from './lib/histogram.js';
import type { LatencySummary } from './lib/histogram.js';
import { LoadChild, loadCaseRun } from './lib/load_child.js';
import type { LoadResult } from './lib/load_child.js';
import { UsageWindow, procUsageText } from './lib/proc_stat.js';
import type { ProcUsage } from './lib/proc_stat.js';
import { cpuUsPer, msText, progress, rateText, resultsWrite } from './lib/results.js';
import { benchServerStart } from '../scripts/lib/server_process.js';

const BENCH = 'peer_ejabberd';
const ABOUT = `${BENCH}: the same 1:1 workload on Magpie and on ejabberd (Debian), and the ratio.
Needs root the first time (apt-get install ejabberd). Usage: node dist/bench/${BENCH}.js [options]`;

/** 2 sockets per pair on each side of loopback, and ejabberd's nofile of 20,000. */
const PAIRS_MAX = 2_000;
const WINDOW_MAX = 1_024;
const GENERATORS_MAX = 4;
const SHARDS_MAX = 8;
const RATE_PER_SEC_MAX = 1_000_000;
const RATES_MAX = 8;
const TEXT_BYTES_MAX = 4_096;
const DURATION_MS_MAX = 600_000;
const SERVERS = ['magpie', 'ejabberd'] as const;
type ServerName = (typeof SERVERS)[number];

const GENERATOR_SCRIPT = fileURLToPath(new URL('./lib/chat_generator.js', import.meta.url));

const options = cliParse(ABOUT, {
  time: { help: 'measuring time per case', default: 10_000, arg: 'ms' },
  warmup: { help: 'warm-up time per case', default: 2_000, arg: 'ms' },
  pairs: { help: `sender→receiver pairs (max ${PAIRS_MAX})`, default: 10 },
  window: { help: `closed loop: in flight send→deliver per direction (max ${WINDOW_MAX})`,
    default: 10 },
  rate: { help: "open loop: total msgs/s, comma-separated, one case each ('' = none)",
    default: '1000,5000,10000', arg: 'list' },
  closed: { help: 'closed loop case: yes or no', default: 'yes', arg: 'yes|no' },
  bidirectional: { help: 'receivers send to their senders too', default: false },
  servers: { help: 'which servers, comma-separated', default: 'magpie,ejabberd', arg: 'list' },
  generators: { help: `load-generator processes per server (max ${GENERATORS_MAX})`, default: 1 },
  shards: { help: `Magpie shards (max ${SHARDS_MAX})`, default: 2 },
  transport: { help: "Magpie's transport, 'tcp' (as XMPP) or 'ws'", default: 'tcp' },
  bytes: { help: 'message text size', default: 64, arg: 'bytes' },
  'scheduler-flags': { help: "ejabberd's BEAM scheduler flags, or 'default' (busy-wait)",
    default: SCHEDULER_FLAGS_DEFAULT, arg: 'flags' },
  dir: { help: "ejabberd's config, spool and log dir", default: EJABBERD_DIR_DEFAULT,
    arg: 'path' },
  keep: { help: 'leave ejabberd running at the end', default: false },
});

export interface PeerResult {
  readonly bench: typeof BENCH;
  readonly server: ServerName;
  readonly case: string;
  readonly mode: 'closed' | 'open';
  readonly ratePerSec: number | null;
  readonly sentPerSec: number;
  /** Received by the receivers: the figure compared. */
  readonly deliveredPerSec: number;
  /** Magpie: durable server acks; ejabberd has none (XMPP without XEP-0198): null. */
  readonly ackedPerSec: number | null;
  readonly deliver: LatencySummary;
  readonly errors: number;
  readonly gaps: number;
  readonly undelivered: number;
  readonly dropped: number;
  readonly backlogMax: number;
  readonly serverProcess: ProcUsage | null;
  readonly serverCpuUsPerMsg: number | null;
  readonly generatorCpuPercent: number;
  readonly generatorCpuUsPerMsg: number;
  readonly boxCpuPercent: number | null;
  readonly otherCpuPercent: number | null;
  readonly windowMs: number;
  /** ejabberd's BEAM scheduler flags (null: default busy-wait); the other changed settings
   * are listed once in the results file (ejabberdSettings). */
  readonly schedulerFlags: string | null;
  readonly config: typeof options;
  readonly at: string;
  readonly env: BenchEnv;
}

export interface PeerRatio {
  readonly bench: typeof BENCH;
  readonly server: 'ratio';
  readonly case: string;
  /** Magpie ÷ ejabberd delivered msgs/s (target ≥ 10 in closed loop). */
  readonly deliveredRatio: number;
  /** Magpie ÷ ejabberd send→deliver p99 (≤ 1: Magpie's is equal or better). */
  readonly p99Ratio: number;
  readonly magpie: { readonly deliveredPerSec: number; readonly p99Ms: number };
  readonly ejabberd: { readonly deliveredPerSec: number; readonly p99Ms: number };
  readonly at: string;
  readonly env: BenchEnv;
}

function ratesParse(): number[] {
  return cliRatesParse('rate', options.rate, RATES_MAX, RATE_PER_SEC_MAX);
}

function serversParse(): ServerName[] {
  return cliNamesParse('servers', options.servers, SERVERS);
}

function optionsCheck(): void {
  cliIntegerCheck('time', options.time, 100, DURATION_MS_MAX);
  cliIntegerCheck('warmup', options.warmup, 0, DURATION_MS_MAX);
  cliIntegerCheck('pairs', options.pairs, 1, PAIRS_MAX);
  cliIntegerCheck('window', options.window, 1, WINDOW_MAX);
  cliIntegerCheck('generators', options.generators, 1, Math.min(GENERATORS_MAX, options.pairs));
  cliIntegerCheck('shards', options.shards, 1, SHARDS_MAX);
  cliIntegerCheck('bytes', options.bytes, 1, TEXT_BYTES_MAX);
  if (options.transport !== 'tcp' && options.transport !== 'ws') {
    cliFail("--transport: 'tcp' or 'ws'");
  }
  if (options.closed !== 'yes' && options.closed !== 'no') cliFail('--closed: yes or no');
  if (options.closed === 'no' && ratesParse().length === 0) {
    cliFail('no case: --closed no and no --rate');
  }
}

function runsOf(generators: number): ChatRun[] {
  const runs: ChatRun[] = options.closed === 'yes' ? [{ mode: 'closed', ratePerSec: 0 }] : [];
  for (const rate of ratesParse()) runs.push({ mode: 'open', ratePerSec: rate / generators });
  return runs;
}

function caseName(run: ChatRun, generators: number): string {
  const loop = run.mode === 'closed' ? `closed w=${options.window}`
    : `open ${Math.round(run.ratePerSec * generators)}/s`;
  return `${loop} pairs=${options.pairs}${options.bidirectional ? ' bidi' : ''}`;
}

const schedulerFlags = options['scheduler-flags'] === 'default' ? null
  : options['scheduler-flags'];

function sum(results: readonly LoadResult<ChatData>[], pick: (data: ChatData) => number): number {
  return results.reduce((total, result) => total + pick(result.data), 0);
}

function resultBuild(server: ServerName, run: ChatRun, results: readonly LoadResult<ChatData>[],
  window: UsageWindow): PeerResult {
  const windowMs = results.reduce((total, r) => total + r.windowMs, 0) / results.length;
  const perSec = (count: number): number => Math.round((count * 1000) / windowMs);
  const cpuUs = results.reduce((total, r) => total + r.cpuUs, 0);
  const generatorCpuPercent = Math.round((cpuUs / 1000 / windowMs) * 1000) / 10;
  const usage = window.usage(generatorCpuPercent);
  const deliveredPerSec = perSec(sum(results, (d) => d.delivered));
  return {
    bench: BENCH, server, case: caseName(run, results.length), mode: run.mode,
    ratePerSec: run.mode === 'open' ? Math.round(run.ratePerSec * results.length) : null,
    sentPerSec: perSec(sum(results, (d) => d.sent)), deliveredPerSec,
    ackedPerSec: server === 'magpie' ? perSec(sum(results, (d) => d.acked)) : null,
    deliver: latencySummary(histogramMerge(results.map((r) => r.data.deliverHist))),
    errors: sum(results, (d) => d.errors), gaps: sum(results, (d) => d.gaps),
    undelivered: sum(results, (d) => d.undelivered), dropped: sum(results, (d) => d.dropped),
    backlogMax: Math.max(...results.map((r) => r.data.backlogMax)),
    serverProcess: usage.process,
    serverCpuUsPerMsg: usage.process === null ? null
      : cpuUsPer(usage.process.cpuPercent, deliveredPerSec),
    generatorCpuPercent, generatorCpuUsPerMsg: cpuUsPer(generatorCpuPercent, deliveredPerSec),
    boxCpuPercent: usage.boxCpuPercent, otherCpuPercent: usage.otherCpuPercent,
    windowMs: Math.round(windowMs),
    schedulerFlags: server === 'ejabberd' ? schedulerFlags : null,
    config: options, at: new Date().toISOString(), env: benchEnv(),
  };
}

function faults(result: PeerResult): number {
  return result.errors + result.gaps + result.undelivered + result.dropped;
}

function resultText(result: PeerResult): string {
  const l = result.deliver;
  const server = result.serverProcess === null ? 'n/a' : procUsageText(result.serverProcess);
  return `${BENCH}  ${result.server.padEnd(8)} ${result.case}: delivered ` +
    `${rateText(result.deliveredPerSec)}/s | deliver p50 ${msText(l.p50Ms)} p99 ` +
    `${msText(l.p99Ms)} p999 ${msText(l.p999Ms)} ms | server ${server}, ` +
    `${result.serverCpuUsPerMsg ?? 'n/a'} µs/msg | generator ` +
    `${result.generatorCpuPercent.toFixed(0)}% | box ${result.boxCpuPercent ?? 'n/a'}% (other ` +
    `${result.otherCpuPercent ?? 'n/a'}%)` + (faults(result) === 0 ? '' : ` | FAULTS errors ` +
    `${result.errors} gaps ${result.gaps} undelivered ${result.undelivered} dropped ` +
    `${result.dropped}`);
}

/** Runs every case on one server; its generators are set up already. */
async function casesRun(server: ServerName, pid: number,
  children: readonly LoadChild<ChatSetup, ChatRun, ChatData>[]): Promise<PeerResult[]> {
  const out: PeerResult[] = [];
  for (const run of runsOf(children.length)) {
    progress(BENCH, `${server}: case ${caseName(run, children.length)}`);
    const window = new UsageWindow(pid);
    const results = await loadCaseRun(children, {
      bench: BENCH, run, warmupMs: options.warmup, durationMs: options.time,
      onWindowStart: () => window.start(), onWindowEnd: () => window.end(),
      progressText: (d, s) => `${server} delivered ${rateText((d['delivered'] ?? 0) / s)}/s`,
    });
    const result = resultBuild(server, run, results, window);
    out.push(result);
    process.stdout.write(`${resultText(result)}\n${JSON.stringify(result)}\n`);
  }
  return out;
}

/** Forks one generator per setup, runs the cases, ends the generators. */
async function generatorsRun(server: ServerName, pid: number,
  setups: readonly ChatSetup[]): Promise<PeerResult[]> {
  const children = setups.map(() => new LoadChild<ChatSetup, ChatRun, ChatData>(GENERATOR_SCRIPT));
  try {
    await Promise.all(children.map((child, g) => child.setup(setups[g]!)));
    progress(BENCH, `${server}: ${options.pairs * 2} users connected`);
    return await casesRun(server, pid, children);
  } finally {
    await Promise.all(children.map((child) => child.exit()));
  }
}

function setupsOf(users: readonly ChatUserCredentials[],
  client: ChatSetupsOptions['client'], refill: ChatSetupsOptions['refill']): ChatSetup[] {
  return chatSetupsBuild({
    users, generators: options.generators, bidirectional: options.bidirectional,
    host: '127.0.0.1', transport: options.transport as 'tcp' | 'ws', client,
    window: options.window, text: 'x'.repeat(options.bytes), refill,
  });
}

async function magpieRun(): Promise<PeerResult[]> {
  const server = await benchServerStart({ shards: options.shards, extraArgs: CHAT_SERVER_ARGS });
  try {
    const deviceId = (index: number): string => `peer-${index}`;
    const logins = await benchUsersLogin(server.httpBase, options.pairs * 2,
      (index) => String(13_700_000_000 + index), deviceId);
    const users = logins.map((user, index): ChatUserCredentials => ({
      uid: user.userId, token: user.token, deviceId: deviceId(index),
      port: options.transport === 'tcp' ? user.endpoints.tcpPort : user.endpoints.wsPort,
    }));
    // Refill on delivery: W is sent→delivered on both servers, as XMPP has no server ack.
    return await generatorsRun('magpie', server.pid, setupsOf(users, 'raw', 'deliver'));
  } finally {
    const code = await server.stop();
    if (code !== 0) progress(BENCH, `magpie exited with ${code}:\n${server.output().slice(-2000)}`);
  }
}

async function ejabberdRun(pid: number): Promise<PeerResult[]> {
  const users = Array.from({ length: options.pairs * 2 }, (_, index): ChatUserCredentials => ({
    uid: ejabberdJid(index), token: EJABBERD_PASSWORD, deviceId: 'bench', port: EJABBERD_C2S_PORT,
  }));
  const setups = setupsOf(users, 'xmpp', 'ack')
    .map((setup) => ({ ...setup, host: EJABBERD_HOST_IP }));
  return generatorsRun('ejabberd', pid, setups);
}

function ratios(results: readonly PeerResult[]): PeerRatio[] {
  const out: PeerRatio[] = [];
  for (const magpie of results.filter((r) => r.server === 'magpie')) {
    const peer = results.find((r) => r.server === 'ejabberd' && r.case === magpie.case);
    if (peer === undefined) continue;
    const ratio = (a: number, b: number): number => (b > 0 ? Math.round((a / b) * 100) / 100 : 0);
    out.push({
      bench: BENCH, server: 'ratio', case: magpie.case,
      deliveredRatio: ratio(magpie.deliveredPerSec, peer.deliveredPerSec),
      p99Ratio: ratio(magpie.deliver.p99Ms, peer.deliver.p99Ms),
      magpie: { deliveredPerSec: magpie.deliveredPerSec, p99Ms: magpie.deliver.p99Ms },
      ejabberd: { deliveredPerSec: peer.deliveredPerSec, p99Ms: peer.deliver.p99Ms },
      at: new Date().toISOString(), env: benchEnv(),
    });
  }
  return out;
}

function ratioText(r: PeerRatio): string {
  return `${BENCH}  ratio    ${r.case}: Magpie ÷ ejabberd delivered ${r.deliveredRatio}× ` +
    `(${rateText(r.magpie.deliveredPerSec)}/s vs ${rateText(r.ejabberd.deliveredPerSec)}/s), ` +
    `p99 ${r.p99Ratio}× (${msText(r.magpie.p99Ms)} vs ${msText(r.ejabberd.p99Ms)} ms)`;
}

/** Until released, the process's exit (after SIGINT or SIGTERM too: bench/lib/children.ts
 * exits on them) stops our node; a `finally` does not run when a signal ends the process. */
function exitStopping(ejabberd: EjabberdOptions): () => void {
  const onExit = (): void => ejabberdStop(ejabberd);
  const onSignal = (signal: NodeJS.Signals): void => {
    progress(BENCH, `${signal}: stopping ejabberd before exiting`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
}

/** Starts ejabberd (unless one with this config runs), registers the users, runs its cases,
 * and stops it again if this run started it (a node found running is left as found). */
async function ejabberdSession(ejabberd: EjabberdOptions): Promise<PeerResult[]> {
  let leaveRunning: boolean = options.keep;
  const exitRelease = leaveRunning ? () => undefined : exitStopping(ejabberd);
  try {
    const node = await ejabberdStart(ejabberd);
    if (!node.started) {
      leaveRunning = true;
      exitRelease();
      progress(BENCH, `ejabberd already running (pid ${node.pid}): using it, leaving it running`);
    }
    await ejabberdRegister(options.pairs * 2);
    progress(BENCH, `ejabberd pid ${node.pid}, ${options.pairs * 2} users registered`);
    return await ejabberdRun(node.pid);
  } finally {
    exitRelease();
    // Also after a failed start: a node that came up late is still ours to stop.
    if (!leaveRunning) ejabberdStop(ejabberd);
  }
}

async function main(): Promise<void> {
  optionsCheck();
  const servers = serversParse();
  process.stdout.write(`# ${BENCH}: ${benchEnvText()}; ejabberd BEAM flags ` +
    `${schedulerFlags ?? 'default'}\n`);
  const ejabberd: EjabberdOptions = { dir: options.dir, schedulerFlags,
    log: (line) => progress(BENCH, line) };
  // Install first so a box where ejabberd cannot be installed fails before any measuring; the
  // node starts only after Magpie's cases, so it takes no CPU from them.
  if (servers.includes('ejabberd')) ejabberdInstall(ejabberd.log);
  let results: PeerResult[] = [];
  if (servers.includes('magpie')) results = results.concat(await magpieRun());
  if (servers.includes('ejabberd')) results = results.concat(await ejabberdSession(ejabberd));
  const compared = ratios(results);
  for (const r of compared) process.stdout.write(`${ratioText(r)}\n${JSON.stringify(r)}\n`);
  const settings = servers.includes('ejabberd') ? ejabberdSettings(schedulerFlags) : null;
  progress(BENCH, `wrote ${resultsWrite(BENCH, { results, ratios: compared,
    ejabberdSettings: settings })}`);
  if (results.some((r) => faults(r) > 0)) process.exitCode = 1;
}

await main();
