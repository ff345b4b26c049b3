// `npm run bench`: the quick suite (under 5 minutes). Runs each bench as its own process, in
// order: micro benches, the two limits (uWS echo, LMDB puts), one_to_one closed loop and one
// open-loop rate. Then prints one table with the ratios of 1:1 throughput to the limits: on a
// shared 2-core machine absolute numbers drift run to run, ratios drift less.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childStop, childTrack } from './lib/children.js';
import { cliParse } from './lib/cli.js';
import { benchEnv, benchEnvText } from './lib/env.js';
import { msText, progress, rateText, resultsWrite } from './lib/results.js';

const BENCH = 'run';
const ABOUT = `${BENCH}: the quick bench suite with a summary table of ratios to the limits.
Usage: npm run bench [-- options]   (or node dist/bench/run.js [options])`;

/** A step that has not finished in this time is killed and reported as failed. */
const STEP_TIMEOUT_MS = 180_000;
const STEP_STOP_GRACE_MS = 20_000;
/** The open-loop rate of the quick suite: about half of what the closed loop reaches here. */
const OPEN_LOOP_RATE_PER_SEC = 5_000;

const options = cliParse(ABOUT, {
  only: { help: 'run only steps whose name contains this text', default: '', arg: 'text' },
});

interface Step {
  readonly name: string;
  readonly script: string;
  readonly args: readonly string[];
}

// --- connections (issue 3, scenario 1): its step and summary rows, kept in one block. ---
/** Idle connections in the quick suite: enough to see bytes per connection above the noise
 * of V8 resizing its heaps (~10-25 MiB), few enough for ~2 minutes with 12 s settles (the
 * default 25 s settles of the full run are steadier). */
const QUICK_CONNECTIONS = 3_000;
const CONNECTIONS_STEP: Step = { name: 'connections', script: 'connections.js',
  args: ['--connections', String(QUICK_CONNECTIONS), '--time', '10000', '--warmup', '2000',
    '--settle', '12000'] };

function connectionsRows(all: Readonly<Record<string, Json[]>>): Row[] {
  const r = all[CONNECTIONS_STEP.name]?.[0];
  if (r === undefined) return [];
  const per = r['perConnection'] as Json | undefined;
  const kernel = r['kernel'] as Json | undefined;
  const hold = r['hold'] as Json | undefined;
  return [
    { scenario: `connections: ${String(r['case'])}`,
      result: `server rss ${num(per, 'rssBytes')} B/conn (V8 heap ${num(per, 'heapBytes')})`,
      ratio: `+ kernel ${num(kernel, 'slabBytesPerSocket')} B/socket` },
    { scenario: '  connect rate (WS and TCP steps together)',
      result: `${rateText(num(r, 'connectsPerSec'))} connections/s`, ratio: '' },
    { scenario: '  idle hold: server CPU, loop lag p99',
      result: `${num(hold?.['server'] as Json | undefined, 'cpuPercent')}% ` +
        `(${num(hold, 'baselineCpuPercent')}% with none), ${num(hold, 'loopLagP99MsMedian')} ms`,
      ratio: `closed ${num(hold, 'closed')}` },
  ];
}
// --- end of the connections block ---

const STEPS: readonly Step[] = [
  { name: 'micro_codec', script: 'micro_codec.js', args: ['--time', '500', '--warmup', '100'] },
  { name: 'micro_snowflake', script: 'micro_snowflake.js',
    args: ['--time', '500', '--warmup', '100'] },
  { name: 'limits_uws_echo', script: 'limits_uws_echo.js',
    args: ['--time', '5000', '--warmup', '2000'] },
  { name: 'limits_lmdb_put', script: 'limits_lmdb_put.js',
    args: ['--time', '3000', '--warmup', '500'] },
  { name: 'one_to_one closed', script: 'one_to_one.js',
    args: ['--time', '10000', '--warmup', '2000'] },
  { name: 'one_to_one open', script: 'one_to_one.js',
    args: ['--open-loop', '--rate', String(OPEN_LOOP_RATE_PER_SEC), '--time', '10000',
      '--warmup', '2000'] },
  CONNECTIONS_STEP,
];

type Json = Record<string, unknown>;

/** Runs one bench; echoes its human lines, returns its JSON lines (one per case). */
async function stepRun(step: Step): Promise<{ results: Json[]; ok: boolean }> {
  const script = fileURLToPath(new URL(step.script, import.meta.url));
  const child = spawn(process.execPath, [script, ...step.args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  childTrack(child);
  const results: Json[] = [];
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('{')) results.push(JSON.parse(line) as Json);
      else process.stdout.write(`${line}\n`);
    }
  });
  const timer = setTimeout(() => {
    progress(BENCH, `${step.name}: no end after ${STEP_TIMEOUT_MS} ms, stopping it`);
    void childStop(child, STEP_STOP_GRACE_MS);
  }, STEP_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { results, ok: code === 0 };
}

function num(result: Json | undefined, key: string): number {
  const value = result?.[key];
  return typeof value === 'number' ? value : NaN;
}

function latencyText(result: Json | undefined, key: string): string {
  const latency = result?.[key] as Json | undefined;
  return `${msText(num(latency, 'p50Ms'))} / ${msText(num(latency, 'p99Ms'))} / ` +
    `${msText(num(latency, 'p999Ms'))} ms`;
}

/** Other processes' CPU (% of a core) below which a run counts as undisturbed. */
const OTHER_CPU_PERCENT_QUIET_MAX = 25;

/** The largest otherCpuPercent any case reported: how busy the rest of the box was. */
function otherMax(all: Readonly<Record<string, Json[]>>): number {
  const others = Object.values(all).flat().map((r) => num(r, 'otherCpuPercent'))
    .filter((value) => Number.isFinite(value));
  return others.length === 0 ? NaN : Math.max(...others);
}

function percentText(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(2)}%` : 'n/a';
}

interface Row {
  readonly scenario: string;
  readonly result: string;
  readonly ratio: string;
}

function rowsBuild(all: Readonly<Record<string, Json[]>>): { rows: Row[]; ratios: Json } {
  const rows: Row[] = [];
  for (const name of ['micro_codec', 'micro_snowflake']) {
    for (const r of all[name] ?? []) {
      rows.push({ scenario: `${name}: ${String(r['case'])}`,
        result: `${rateText(num(r, 'opsPerSec'))} ops/s`, ratio: '' });
    }
  }
  const echo = all['limits_uws_echo']?.[0];
  const lmdb = all['limits_lmdb_put'] ?? [];
  const lmdbOf = (keys: string, batch: number): Json | undefined =>
    lmdb.find((r) => r['keys'] === keys && r['batch'] === batch);
  const closed = all['one_to_one closed']?.[0];
  const open = all['one_to_one open']?.[0];
  const acked = num(closed, 'ackedPerSec');
  const ratios = {
    oneToOneOverEcho: acked / num(echo, 'msgsPerSec'),
    /** Server CPU per 1:1 message in echoed messages' worth: robust to a busy box. */
    oneToOneCpuPerMsgOverEcho: num(closed, 'serverCpuUsPerMsg') / num(echo, 'serverCpuUsPerMsg'),
    oneToOneOverLmdbIncreasing1000: acked / num(lmdbOf('increasing', 1000), 'putsPerSec'),
    oneToOneOverLmdbRandomUser1000: acked / num(lmdbOf('random-user', 1000), 'putsPerSec'),
  };
  rows.push({ scenario: 'other CPU on the box (max over steps)',
    result: `${otherMax(all)}% of a core`,
    ratio: otherMax(all) > OTHER_CPU_PERCENT_QUIET_MAX ? 'DISTURBED: rates not comparable' : '' });
  rows.push({ scenario: `uws echo (${String(echo?.['case'])})`,
    result: `${rateText(num(echo, 'msgsPerSec'))} msgs/s`, ratio: 'limit' });
  for (const r of lmdb) {
    rows.push({ scenario: `lmdb ${String(r['case'])}`,
      result: `${rateText(num(r, 'putsPerSec'))} puts/s`, ratio: 'limit' });
  }
  rows.push({ scenario: `1:1 ${String(closed?.['case'])}`,
    result: `${rateText(acked)} acked/s, ${rateText(num(closed, 'deliveredPerSec'))} delivered/s`,
    ratio: `÷echo ${percentText(ratios.oneToOneOverEcho)}, ÷lmdb inc×1000 ` +
      `${percentText(ratios.oneToOneOverLmdbIncreasing1000)}, ÷lmdb rand×1000 ` +
      `${percentText(ratios.oneToOneOverLmdbRandomUser1000)}` });
  rows.push({ scenario: '  server CPU per message',
    result: `${num(closed, 'serverCpuUsPerMsg')} µs (echo: ${num(echo, 'serverCpuUsPerMsg')} µs)`,
    ratio: `${ratios.oneToOneCpuPerMsgOverEcho.toFixed(0)}× an echoed message` });
  rows.push({ scenario: '  send→ack p50/p99/p999', result: latencyText(closed, 'ack'),
    ratio: '' });
  rows.push({ scenario: '  send→deliver p50/p99/p999', result: latencyText(closed, 'deliver'),
    ratio: '' });
  rows.push({ scenario: `1:1 ${String(open?.['case'])}`,
    result: `ack ${latencyText(open, 'ack')}`, ratio: '' });
  rows.push({ scenario: '', result: `deliver ${latencyText(open, 'deliver')}`, ratio: '' });
  rows.push(...connectionsRows(all));
  return { rows, ratios };
}

function tablePrint(rows: readonly Row[]): void {
  const width = Math.max(...rows.map((row) => row.scenario.length), 8);
  const resultWidth = Math.max(...rows.map((row) => row.result.length), 6);
  process.stdout.write(`\n${'scenario'.padEnd(width)}  ${'result'.padEnd(resultWidth)}  ratio\n`);
  for (const row of rows) {
    const line = `${row.scenario.padEnd(width)}  ${row.result.padEnd(resultWidth)}  ${row.ratio}`;
    process.stdout.write(`${line.trimEnd()}\n`);
  }
}

async function main(): Promise<void> {
  process.stdout.write(`# ${BENCH}: ${benchEnvText()}\n`);
  const startedMs = performance.now();
  const all: Record<string, Json[]> = {};
  const failed: string[] = [];
  for (const step of STEPS) {
    if (!step.name.includes(options.only)) continue;
    progress(BENCH, `step ${step.name}`);
    const { results, ok } = await stepRun(step);
    all[step.name] = results;
    if (!ok) failed.push(step.name);
  }
  const { rows, ratios } = rowsBuild(all);
  tablePrint(rows);
  const seconds = Math.round((performance.now() - startedMs) / 1000);
  process.stdout.write(`\nsuite took ${seconds} s` +
    (failed.length === 0 ? '\n' : `; FAILED: ${failed.join(', ')}\n`));
  const summary = { bench: BENCH, ratios, steps: all, failed, seconds, env: benchEnv(),
    at: new Date().toISOString() };
  process.stdout.write(`${JSON.stringify({ bench: BENCH, ratios, failed, seconds })}\n`);
  progress(BENCH, `wrote ${resultsWrite(BENCH, summary)}`);
  if (failed.length > 0) process.exitCode = 1;
}

await main();
