// Medians for PERF.md: reads bench result files (bench/results/*.json), groups the cases by
// bench and case name, and prints the median (and the range) of each headline figure over the
// runs given. PERF.md rows quote medians of at least three runs. Results that name a `server`
// (peer_ejabberd) are grouped per server, and its per-run ratios count only when neither side
// of that run was disturbed. The arithmetic is bench/lib/medians.ts, shared with run.ts and
// report.ts.

import fs from 'node:fs';
import { cliParse } from './lib/cli.js';
import { casesOf, disturbed, rangesOf } from './lib/medians.js';

const ABOUT = `perf_median: median and range of each case's figures over several result files.
Usage: node dist/bench/perf_median.js [--json] [--other-max <percent>] <results/….json> …`;

/** Figures reported, as dotted paths into a case result. */
const FIGURES = [
  'deliveriesPerSec', 'okPerSec', 'requestsPerSec', 'latency.p50Ms', 'latency.p99Ms',
  'serverCpuUsPerReq', 'ratioToLimit', 'cpuPerReqOverLimit',
  'msgsPerSec', 'putsPerSec', 'opsPerSec', 'ackedPerSec', 'deliveredPerSec',
  'ack.p50Ms', 'ack.p99Ms', 'ack.p999Ms', 'deliver.p50Ms', 'deliver.p99Ms', 'deliver.p999Ms',
  'commit.p50Ms', 'commit.p99Ms', 'server.cpuPercent', 'server.rssMiB', 'generatorCpuPercent',
  'boxCpuPercent', 'otherCpuPercent', 'serverCpuUsPerMsg', 'generatorCpuUsPerMsg', 'cpuUsPerPut',
  'errors', 'undelivered', 'serverProcess.cpuPercent', 'deliveredRatio', 'p99Ratio',
  // connections
  'connectsPerSec', 'perConnection.rssBytes', 'perConnection.rssAnonBytes',
  'perConnection.heapBytes', 'overall.rssBytes', 'overall.rssAnonBytes', 'overall.heapBytes',
  'firstRound.rssBytes', 'firstRound.heapBytes', 'kernel.slabBytesPerSocket',
  'kernel.allSlabBytesPerSocket',
  'hold.server.cpuPercent', 'hold.baselineCpuPercent', 'hold.serverCpuUsPerConnectionSec',
  'hold.loopLagP99MsMedian', 'hold.loopLagP99MsMax', 'hold.loopLagMaxMs',
  'hold.generatorCpuPercent', 'hold.otherCpuPercent', 'extrapolation.bytesPerConnection',
  'generatorRssBytes',
] as const;

type Json = Record<string, unknown>;

const args = process.argv.slice(2);
const files = args.filter((arg) => !arg.startsWith('--') && arg.endsWith('.json'));
const options = cliParse(ABOUT, {
  json: { help: 'print one JSON line instead', default: false },
  'other-max': { help: 'drop runs where other processes used more CPU (% of a core); -1: keep all',
    default: -1, arg: 'percent' },
}, args.filter((arg) => !files.includes(arg)));

const groups = new Map<string, Json[]>();
const dropped = new Map<string, number>();
for (const file of files) {
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const result of casesOf(parsed, options['other-max'])) {
    const server = typeof result['server'] === 'string' ? ` | ${result['server']}` : '';
    const key = `${String(result['bench'])}${server} | ${String(result['case'])}`;
    if (disturbed(result, options['other-max'])) dropped.set(key, (dropped.get(key) ?? 0) + 1);
    else groups.set(key, [...(groups.get(key) ?? []), result]);
  }
}
const summary: Json[] = [];
for (const [key, results] of groups) {
  const ranges = rangesOf(results, FIGURES);
  const figures: Json = {};
  for (const [path, { median, min, max }] of Object.entries(ranges)) {
    figures[path] = { median, min, max };
  }
  const disturbedRuns = dropped.get(key) ?? 0;
  summary.push({ case: key, runs: results.length, disturbedRuns, figures });
  if (options.json) continue;
  process.stdout.write(`${key}  (${results.length} runs, ${disturbedRuns} disturbed dropped)\n`);
  for (const [path, { median, min, max }] of Object.entries(ranges)) {
    const text = `${path.padEnd(24)} ${String(median).padStart(10)}`;
    process.stdout.write(`  ${text}   (${min} … ${max})\n`);
  }
}
if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
