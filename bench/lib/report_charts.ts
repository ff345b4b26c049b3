// The report's charts as vega-lite specs built from run groups: 1:1 throughput and its ratios
// to the limits over commits, open-loop latency percentiles by offered rate, group fan-out
// deliveries/s by members and mode, and the HTTP cases against their limit. Each point is a
// group's median, each bar through it the group's range. Pure: rendering is vega_svg.ts's.

import { rangeOf } from './medians.js';
import type { Json } from './medians.js';
import { reportedRuns } from './report_groups.js';
import type { RunGroup } from './report_groups.js';
import { closedLoopRatios } from './report_rows.js';
import type { ChartSpec } from './vega_svg.js';

export interface Chart {
  /** File name in bench/charts, without .svg. */
  readonly name: string;
  readonly spec: ChartSpec;
  /** Data points: a chart without any is not written. */
  readonly points: number;
}

type Row = Record<string, string | number>;

const WIDTH_PX = 560;
const HEIGHT_PX = 300;
/** Case names are long (`closed w=8 pairs=50 ws raw ÷ uWS echo`): show them whole. */
const LEGEND_LABEL_PX = 360;
const HTTP_ORDER = ['limit', 'route', 'login'];
const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** Commits in the order their first group ran. */
function commitOrder(groups: readonly RunGroup[]): string[] {
  return [...new Set([...groups].sort((a, b) => a.firstAt.localeCompare(b.firstAt))
    .map((g) => g.commit))];
}

/**
 * The newest group per key with undisturbed runs, or failing that the newest group at all (its
 * points are then drawn from disturbed runs and labelled so). Groups come oldest first.
 */
function newestBy(groups: readonly RunGroup[], key: (g: RunGroup) => string): RunGroup[] {
  const quiet = new Map<string, RunGroup>();
  const any = new Map<string, RunGroup>();
  for (const group of groups) {
    any.set(key(group), group);
    if (group.runs.length > 0) quiet.set(key(group), group);
  }
  return [...any.keys()].map((k) => quiet.get(k) ?? any.get(k)!);
}

/** The runs a chart point stands for, and a label suffix when they were all disturbed. */
function pointRuns(group: RunGroup): { runs: readonly Json[]; mark: string } {
  const { runs, disturbed } = reportedRuns(group);
  return { runs, mark: disturbed ? ' (all runs disturbed)' : '' };
}

function modeOf(group: RunGroup): string {
  const mode = reportedRuns(group).runs[0]?.['mode'];
  return typeof mode === 'string' ? mode : 'write';
}

/** Median points with min–max rules, x and color as given. */
function rangeSpec(title: string, rows: Row[], x: Record<string, unknown>, yTitle: string,
  logY: boolean, joined = true): ChartSpec {
  const y = { field: 'median', type: 'quantitative', title: yTitle,
    scale: logY ? { type: 'log' } : { type: 'linear', zero: true } } as const;
  return {
    $schema: SCHEMA, title, width: WIDTH_PX, height: HEIGHT_PX, data: { values: rows },
    encoding: { x, color: { field: 'series', type: 'nominal', title: null,
      legend: { labelLimit: LEGEND_LABEL_PX } } },
    layer: [
      { mark: { type: 'rule' }, encoding: { y: { ...y, field: 'min' }, y2: { field: 'max' } } },
      { mark: joined ? { type: 'line', point: true } : { type: 'point', filled: true, size: 60 },
        encoding: { y } },
    ],
  } as ChartSpec;
}

function oneToOneThroughput(groups: readonly RunGroup[]): Chart {
  const closed = groups.filter((g) => g.bench === 'one_to_one' && modeOf(g) === 'closed');
  const rows: Row[] = [];
  for (const group of closed) {
    const range = rangeOf(group.runs, 'ackedPerSec');
    if (range !== null) rows.push({ commit: group.commit, series: group.caseName, ...range });
  }
  const x = { field: 'commit', type: 'ordinal', sort: commitOrder(closed), title: 'commit' };
  return { name: 'one_to_one_throughput', points: rows.length,
    spec: rangeSpec('1:1 closed loop: acked msgs/s by commit (median, range)', rows, x,
      'acked msgs/s', false) };
}

function oneToOneRatios(groups: readonly RunGroup[]): Chart {
  const closed = groups.filter((g) => g.bench === 'one_to_one' && modeOf(g) === 'closed');
  const rows: Row[] = [];
  for (const group of closed) {
    const { echo, lmdb } = closedLoopRatios(groups, group);
    const base = { commit: group.commit };
    if (echo !== null) {
      const median = echo * 100;
      rows.push({ ...base, series: `${group.caseName} ÷ uWS echo`, median, min: median,
        max: median });
    }
    if (lmdb !== null) {
      const median = lmdb * 100;
      rows.push({ ...base, series: `${group.caseName} ÷ LMDB rand×1000`, median, min: median,
        max: median });
    }
  }
  const x = { field: 'commit', type: 'ordinal', sort: commitOrder(closed), title: 'commit' };
  return { name: 'one_to_one_ratios', points: rows.length,
    spec: rangeSpec('1:1 closed loop ÷ the limits on the same commit (%, medians)', rows, x,
      '% of the limit', true) };
}

function openLoopLatency(groups: readonly RunGroup[]): Chart {
  const open = groups.filter((g) => g.bench === 'one_to_one' && modeOf(g) === 'open' &&
    typeof reportedRuns(g).runs[0]?.['ratePerSec'] === 'number');
  const newest = newestBy(open, (g) => `${g.caseName}`);
  const rows: Row[] = [];
  for (const group of newest) {
    const { runs, mark } = pointRuns(group);
    const rate = Number(runs[0]?.['ratePerSec']);
    for (const kind of ['ack', 'deliver']) {
      for (const p of ['p50', 'p99', 'p999']) {
        const range = rangeOf(runs, `${kind}.${p}Ms`);
        if (range !== null) {
          rows.push({ rate, series: `${kind} ${p}${mark}`, commit: group.commit, ...range });
        }
      }
    }
  }
  const x = { field: 'rate', type: 'quantitative', scale: { type: 'log' },
    title: 'offered msgs/s (newest commit per rate)' };
  return { name: 'open_loop_latency', points: rows.length,
    spec: rangeSpec('1:1 open loop: latency percentiles by offered rate (ms, median, range)',
      rows, x, 'ms', true) };
}

function groupFanout(groups: readonly RunGroup[]): Chart {
  const fanout = groups.filter((g) => g.bench === 'group_fanout' &&
    typeof reportedRuns(g).runs[0]?.['members'] === 'number');
  const newest = newestBy(fanout,
    (g) => `${modeOf(g)} ${String(reportedRuns(g).runs[0]?.['members'])}`);
  const rows: Row[] = [];
  for (const group of newest) {
    const { runs, mark } = pointRuns(group);
    const range = rangeOf(runs, 'deliveriesPerSec');
    if (range === null) continue;
    rows.push({ members: Number(runs[0]?.['members']), series: `${modeOf(group)} mode${mark}`,
      commit: group.commit, ...range });
  }
  const x = { field: 'members', type: 'quantitative', scale: { type: 'log' },
    title: 'group members (newest commit per size and mode)' };
  return { name: 'group_fanout', points: rows.length,
    spec: rangeSpec('Group fan-out: deliveries/s by members and mode (median, range)', rows, x,
      'deliveries/s', true) };
}

function httpCases(groups: readonly RunGroup[]): Chart {
  const newest = newestBy(groups.filter((g) => g.bench === 'http'), (g) => g.caseName);
  const rows: Row[] = [];
  for (const group of newest) {
    const { runs, mark } = pointRuns(group);
    const range = rangeOf(runs, 'okPerSec');
    if (range !== null) {
      rows.push({ case: group.caseName, series: `${group.commit}${mark}`, ...range });
    }
  }
  // The limit first, then the control plane's cases (the order the bench runs them).
  const x = { field: 'case', type: 'nominal', title: 'case (newest commit)', sort: null,
    axis: { labelAngle: 0, labelLimit: LEGEND_LABEL_PX } };
  rows.sort((a, b) => HTTP_ORDER.indexOf(String(a['case']).split(' ')[0] ?? '') -
    HTTP_ORDER.indexOf(String(b['case']).split(' ')[0] ?? ''));
  return { name: 'http', points: rows.length,
    spec: rangeSpec('HTTP control plane vs bare uWS hello-world: ok req/s (median, range)', rows,
      x, 'ok req/s', true, false) };
}

/** Every chart the report draws, with its data. */
export function reportCharts(groups: readonly RunGroup[]): Chart[] {
  return [oneToOneThroughput(groups), oneToOneRatios(groups), openLoopLatency(groups),
    groupFanout(groups), httpCases(groups)];
}
