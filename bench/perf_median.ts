// Medians for PERF.md: reads bench result files (bench/results/*.json), groups the cases by
// bench and case name, and prints the median (and the range) of each headline figure over the
// runs given. PERF.md rows quote medians of at least three runs. Results that name a `server`
// (peer_ejabberd) are grouped per server, and its per-run ratios count only when neither side
// of that run was disturbed.

import fs from 'node:fs';
import { cliParse } from './lib/cli.js';

const ABOUT = `perf_median: median and range of each case's figures over several result files.
Usage: node dist/bench/perf_median.js [--json] [--other-max <percent>] <results/….json> …`;

/** Figures reported, as dotted paths into a case result. */
const FIGURES = [
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

/** A run disturbed by other work on the box (see otherCpuPercent in bench/lib/proc_stat.ts). */
function disturbed(result: Json): boolean {
  const other = result['otherCpuPercent'];
  return options['other-max'] >= 0 && typeof other === 'number' && other > options['other-max'];
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Case results in a file: an array, { results: [...], ratios?: [...] }, or run.ts's
 * { steps: { … } }. */
function casesOf(value: unknown): Json[] {
  if (Array.isArray(value)) return value.filter(isRecord).filter((r) => 'case' in r);
  if (!isRecord(value)) return [];
  if (Array.isArray(value['results'])) {
    const results = casesOf(value['results']);
    return results.concat(ratiosOf(value['ratios'], results));
  }
  if (isRecord(value['steps'])) return Object.values(value['steps']).flatMap(casesOf);
  return [];
}

/** A peer run's ratios, less those whose cases were disturbed on either server. */
function ratiosOf(value: unknown, results: readonly Json[]): Json[] {
  if (!Array.isArray(value)) return [];
  const spoilt = new Set(results.filter(disturbed).map((r) => r['case']));
  return casesOf(value).filter((ratio) => !spoilt.has(ratio['case']));
}

/** Per-operation CPU, derived for result files written before the benches reported it. */
function derived(result: Json, path: string): number | null {
  const rate = figure(result, 'ackedPerSec') ?? figure(result, 'msgsPerSec');
  if (rate === null || rate <= 0) return null;
  const cpu = path === 'serverCpuUsPerMsg' ? figure(result, 'server.cpuPercent')
    : path === 'generatorCpuUsPerMsg' ? figure(result, 'generatorCpuPercent') : null;
  return cpu === null ? null : Math.round((cpu * 1_000_000) / rate) / 100;
}

function figure(result: Json, path: string): number | null {
  let value: unknown = result;
  for (const key of path.split('.')) value = isRecord(value) ? value[key] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 1000) / 1000;
}

const groups = new Map<string, Json[]>();
const dropped = new Map<string, number>();
for (const file of files) {
  for (const result of casesOf(JSON.parse(fs.readFileSync(file, 'utf8')))) {
    const server = typeof result['server'] === 'string' ? ` | ${result['server']}` : '';
    const key = `${String(result['bench'])}${server} | ${String(result['case'])}`;
    if (disturbed(result)) dropped.set(key, (dropped.get(key) ?? 0) + 1);
    else groups.set(key, [...(groups.get(key) ?? []), result]);
  }
}
const summary: Json[] = [];
for (const [key, results] of groups) {
  const figures: Json = {};
  for (const path of FIGURES) {
    const values = results.map((r) => figure(r, path) ?? derived(r, path))
      .filter((v): v is number => v !== null);
    if (values.length === 0) continue;
    figures[path] = { median: round(median(values)), min: round(Math.min(...values)),
      max: round(Math.max(...values)) };
  }
  const disturbedRuns = dropped.get(key) ?? 0;
  summary.push({ case: key, runs: results.length, disturbedRuns, figures });
  if (options.json) continue;
  process.stdout.write(`${key}  (${results.length} runs, ${disturbedRuns} disturbed dropped)\n`);
  for (const [path, f] of Object.entries(figures)) {
    const { median: m, min, max } = f as { median: number; min: number; max: number };
    process.stdout.write(`  ${path.padEnd(24)} ${String(m).padStart(10)}   (${min} … ${max})\n`);
  }
}
if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
