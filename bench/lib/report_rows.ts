// The rows of PERF.md's generated tables, one per run group: the command, the machine, the
// commit, the prediction written before the runs, the median (range) of the headline figure,
// and the ratios to the limits measured on the same commit and machine (to ejabberd for the
// peer bench). Pure: groups and predictions in, rows of text out.

import { headlineOf } from './headline.js';
import { figure, isRecord, rangeOf } from './medians.js';
import type { Range } from './medians.js';
import { groupsBeside, reportedRuns } from './report_groups.js';
import type { RunGroup } from './report_groups.js';
import { msText, rateText } from './results.js';

export interface Prediction {
  readonly text: string;
  /** YYYY-MM-DD: only groups whose first run is on or after it are said to be predicted. */
  readonly written: string;
  readonly commit: string;
}
/** bench → case → prediction (bench/predictions.json). */
export type Predictions = ReadonlyMap<string, ReadonlyMap<string, Prediction>>;

export interface ReportRow {
  readonly bench: string;
  readonly scenario: string;
  readonly command: string;
  readonly machine: string;
  readonly commit: string;
  readonly prediction: string;
  readonly result: string;
  readonly ratioLimits: string;
  readonly ratioEjabberd: string;
}

/** The echo limit 1:1 is compared with (run.ts's table uses the same). */
const ECHO_CASE_MARK = '2 thread(s)';
const LMDB_RANDOM_CASE = 'random-user ×1000/txn';
/** A second figure shown after the headline, per bench. */
const SECONDARY: Readonly<Record<string, { readonly path: string; readonly label: string }>> = {
  one_to_one: { path: 'deliver.p99Ms', label: 'deliver p99' },
  group_fanout: { path: 'deliver.p99Ms', label: 'deliver p99' },
  peer_ejabberd: { path: 'deliver.p99Ms', label: 'deliver p99' },
  http: { path: 'latency.p99Ms', label: 'p99' },
};

const OPEN_SECONDARY = { path: 'ack.p99Ms', label: 'ack p99' } as const;

function predictionOf(value: unknown): Prediction | null {
  if (!isRecord(value)) return null;
  const { text, written, commit } = value;
  return typeof text === 'string' && typeof written === 'string' && typeof commit === 'string'
    ? { text, written, commit } : null;
}

/** bench/predictions.json's `predictions` object; entries of another shape are left out. */
export function predictionsParse(value: unknown): Predictions {
  const out = new Map<string, Map<string, Prediction>>();
  const all = isRecord(value) ? value['predictions'] : undefined;
  if (!isRecord(all)) return out;
  for (const [bench, cases] of Object.entries(all)) {
    if (!isRecord(cases)) continue;
    const byCase = new Map<string, Prediction>();
    for (const [name, entry] of Object.entries(cases)) {
      const prediction = predictionOf(entry);
      if (prediction !== null) byCase.set(name, prediction);
    }
    out.set(bench, byCase);
  }
  return out;
}

function valueText(value: number, unit: string): string {
  return unit === 'ms' || unit.startsWith('ms ') ? msText(value) : rateText(value);
}

/** `**9.67 k msgs/s** (7.28 k–10.0 k)`. */
export function rangeText(range: Range, unit: string): string {
  const spread = range.runs > 1
    ? ` (${valueText(range.min, unit)}–${valueText(range.max, unit)})` : '';
  return `**${valueText(range.median, unit)} ${unit}**${spread}`;
}

function runsText(group: RunGroup, disturbed: boolean): string {
  const count = (n: number): string => `${n} run${n === 1 ? '' : 's'}`;
  if (!disturbed) {
    return count(group.runs.length) +
      (group.dropped > 0 ? ` (+${group.dropped} disturbed, dropped)` : '');
  }
  const other = rangeOf(group.disturbedRuns, 'otherCpuPercent');
  return `${count(group.dropped)}, ALL DISTURBED (other work on the box ` +
    `${other === null ? '?' : other.median} % of a core): not comparable with quiet runs`;
}

function resultText(group: RunGroup): string {
  const { runs, disturbed } = reportedRuns(group);
  const first = runs[0];
  const headline = first === undefined ? null : headlineOf(first);
  if (headline === null) return 'no run with a figure';
  const range = rangeOf(runs, headline.path);
  if (range === null) return 'no figure';
  const second = first?.['mode'] === 'open' ? OPEN_SECONDARY : SECONDARY[group.bench];
  const secondRange = second === undefined || headline.path === second.path ? null
    : rangeOf(runs, second.path);
  const extra = second === undefined || secondRange === null ? ''
    : `; ${second.label} ${msText(secondRange.median)} ms`;
  return `${rangeText(range, headline.unit)}${extra}; ${runsText(group, disturbed)}`;
}

export function percentText(ratio: number): string {
  const percent = ratio * 100;
  return `${percent >= 10 ? percent.toFixed(0) : percent.toPrecision(2)} %`;
}

/** The median of `path` in the group beside `group` of `bench` whose case matches. */
function besideMedian(groups: readonly RunGroup[], group: RunGroup, bench: string,
  match: (caseName: string) => boolean, path: string): number | null {
  const limit = groupsBeside(groups, group, bench).find((g) => match(g.caseName));
  return limit === undefined ? null : rangeOf(limit.runs, path)?.median ?? null;
}

function limitRatios(groups: readonly RunGroup[], group: RunGroup): string {
  if (group.bench.startsWith('limits_')) return 'limit';
  if (group.bench === 'http') {
    if (group.caseName.startsWith('limit ')) return 'limit (bare uWS, 1 thread)';
    // Same-run ratios: the limit ran beside each run, so a disturbed group's ratios still count.
    const { runs } = reportedRuns(group);
    const ratio = rangeOf(runs, 'ratioToLimit');
    const cpu = rangeOf(runs, 'cpuPerReqOverLimit');
    if (ratio === null) return 'n/a';
    return `÷ uWS hello ${percentText(ratio.median)} (${percentText(ratio.min)}–` +
      `${percentText(ratio.max)})` +
      (cpu === null ? '' : `; CPU/req ${cpu.median.toPrecision(2)}× hello`);
  }
  const floor = openLoopFloorRatio(groups, group);
  if (floor !== null) return floor;
  const { echo, lmdb } = closedLoopRatios(groups, group);
  const storage = storageRatio(groups, group);
  if (echo === null && lmdb === null && storage === null) {
    return group.bench === 'one_to_one' && group.runs[0]?.['mode'] === 'closed'
      ? 'n/a (no limit run beside)' : '';
  }
  const parts: string[] = [];
  if (echo !== null) parts.push(`÷ echo ${percentText(echo)}`);
  if (lmdb !== null) parts.push(`÷ LMDB rand×1000 ${percentText(lmdb)}`);
  if (storage !== null) parts.push(`its puts alone ${percentText(storage)} of its CPU/msg`);
  return parts.join('; ');
}

/** A closed-loop 1:1 group's acked/s over the echo and LMDB random-key limits beside it. */
export function closedLoopRatios(groups: readonly RunGroup[], group: RunGroup):
  { echo: number | null; lmdb: number | null } {
  const none = { echo: null, lmdb: null };
  if (group.bench !== 'one_to_one' || group.runs[0]?.['mode'] !== 'closed') return none;
  const acked = rangeOf(group.runs, 'ackedPerSec')?.median ?? null;
  if (acked === null) return none;
  const echo = besideMedian(groups, group, 'limits_uws_echo',
    (name) => name.includes(ECHO_CASE_MARK), 'msgsPerSec');
  const lmdb = besideMedian(groups, group, 'limits_lmdb_put',
    (name) => name === LMDB_RANDOM_CASE, 'putsPerSec');
  return { echo: echo === null ? null : acked / echo, lmdb: lmdb === null ? null : acked / lmdb };
}

/** The storage limit's CPU per message (its puts alone, for as many users: the bench's 50 pairs
 * are 100 users) as a share of a closed-loop 1:1 group's server CPU per message. A throughput
 * ratio would mislead: the limit runs one LMDB environment on one thread, the server one per
 * shard. */
function storageRatio(groups: readonly RunGroup[], group: RunGroup): number | null {
  if (group.bench !== 'one_to_one' || group.runs[0]?.['mode'] !== 'closed') return null;
  const server = rangeOf(group.runs, 'serverCpuUsPerMsg')?.median ?? null;
  const pairs = figure(group.runs[0] ?? {}, 'config.pairs');
  if (server === null || pairs === null) return null;
  const limit = besideMedian(groups, group, 'limits_lmdb_message',
    (name) => name.startsWith(`1:1 message puts, ${2 * pairs} users `), 'cpuUsPerMsg');
  return limit === null ? null : limit / server;
}

/** An open-loop 1:1 group's deliver p99 over the two-commit storage floor at its rate. */
function openLoopFloorRatio(groups: readonly RunGroup[], group: RunGroup): string | null {
  const first = group.runs[0];
  if (group.bench !== 'one_to_one' || first?.['mode'] !== 'open') return null;
  const p99 = rangeOf(group.runs, 'deliver.p99Ms')?.median ?? null;
  const floor = besideMedian(groups, group, 'limits_lmdb_chain',
    (name) => name === `chain ${String(first['ratePerSec'])}/s ×2 puts`, 'deliver.p99Ms');
  if (p99 === null || floor === null) return null;
  return `deliver p99 ${(p99 / floor).toFixed(1)}× the storage floor (2 durable commits: ` +
    `p99 ${msText(floor)} ms)`;
}

function ejabberdRatio(groups: readonly RunGroup[], group: RunGroup): string {
  if (group.bench !== 'peer_ejabberd' || !group.caseName.startsWith('magpie ')) return '';
  const name = `ratio ${group.caseName.slice('magpie '.length)}`;
  const ratio = besideMedian(groups, group, 'peer_ejabberd', (n) => n === name, 'deliveredRatio');
  return ratio === null ? 'n/a' : `${ratio}× delivered/s`;
}

/** bench → config key → its most common value (JSON) over the bench's runs. */
export type CommonConfig = ReadonlyMap<string, ReadonlyMap<string, string>>;

/**
 * The result files hold each run's options but not the CLI's defaults; the value most runs of a
 * bench used stands in for the default, and a command names only the options that differ.
 */
export function commonConfig(groups: readonly RunGroup[]): CommonConfig {
  const counts = new Map<string, Map<string, Map<string, number>>>();
  for (const run of groups.flatMap((g) => g.runs)) {
    const config = run['config'];
    if (!isRecord(config)) continue;
    const byKey = counts.get(String(run['bench'])) ?? new Map<string, Map<string, number>>();
    for (const [key, value] of Object.entries(config)) {
      const seen = byKey.get(key) ?? new Map<string, number>();
      const json = JSON.stringify(value);
      seen.set(json, (seen.get(json) ?? 0) + 1);
      byKey.set(key, seen);
    }
    counts.set(String(run['bench']), byKey);
  }
  const out = new Map<string, Map<string, string>>();
  for (const [bench, byKey] of counts) {
    const common = new Map<string, string>();
    for (const [key, seen] of byKey) {
      common.set(key, [...seen].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '');
    }
    out.set(bench, common);
  }
  return out;
}

export function commandOf(group: RunGroup, common: CommonConfig): string {
  const config = group.runs[0]?.['config'];
  const flags: string[] = [];
  for (const [key, value] of Object.entries(isRecord(config) ? config : {})) {
    if (JSON.stringify(value) === common.get(group.bench)?.get(key)) continue;
    if (value === true) flags.push(`--${key}`);
    else if (typeof value === 'string' || typeof value === 'number') {
      flags.push(`--${key} ${value}`);
    }
  }
  return [`node dist/bench/${group.bench}.js`, ...flags].join(' ');
}

function predictionText(predictions: Predictions, group: RunGroup): string {
  const name = group.caseName.replace(/^magpie /, '');
  const prediction = predictions.get(group.bench)?.get(name);
  if (prediction === undefined || group.firstAt.slice(0, 10) < prediction.written) return '';
  return `${prediction.text} (${prediction.written}, ${prediction.commit})`;
}

/**
 * One row per group, by bench (in order of first appearance), then case, then time;
 * peer_ejabberd's ratio entries fold into its Magpie rows.
 */
export function reportRows(groups: readonly RunGroup[], predictions: Predictions): ReportRow[] {
  const common = commonConfig(groups);
  const benches = [...new Set(groups.map((g) => g.bench))];
  const sorted = [...groups].sort((a, b) => benches.indexOf(a.bench) - benches.indexOf(b.bench) ||
    a.caseName.localeCompare(b.caseName) || a.firstAt.localeCompare(b.firstAt));
  return sorted
    .filter((g) => !(g.bench === 'peer_ejabberd' && g.caseName.startsWith('ratio ')))
    .map((group) => ({
      bench: group.bench, scenario: group.caseName, command: commandOf(group, common),
      machine: group.machine, commit: `${group.commit}${group.dirty ? '*' : ''}`,
      prediction: predictionText(predictions, group), result: resultText(group),
      ratioLimits: limitRatios(groups, group), ratioEjabberd: ejabberdRatio(groups, group),
    }));
}
