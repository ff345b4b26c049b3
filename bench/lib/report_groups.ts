// The report's unit: a group of runs of one case of one bench on one commit and one machine.
// Medians are taken within a group only, never across commits or machines; runs that other
// work on the box disturbed are dropped from their group and counted.

import { disturbed, isRecord } from './medians.js';
import type { Json } from './medians.js';

export interface RunGroup {
  readonly bench: string;
  /** The case name, prefixed by the server for benches that run several (peer_ejabberd). */
  readonly caseName: string;
  /** `git rev-parse --short HEAD` of the runs, or 'unknown'. */
  readonly commit: string;
  /** Some run had uncommitted changes in tracked files, or a stale build. */
  readonly dirty: boolean;
  readonly machine: string;
  /** The undisturbed runs, oldest first. */
  readonly runs: readonly Json[];
  /** Runs dropped as disturbed (other CPU above the limit). */
  readonly dropped: number;
  /** The dropped runs themselves: shown, flagged, when a group has nothing else. */
  readonly disturbedRuns: readonly Json[];
  /** ISO time of the group's first run (disturbed ones included). */
  readonly firstAt: string;
}

function envOf(result: Json): Json {
  const env = result['env'];
  return isRecord(env) ? env : {};
}

/** `2 × AMD EPYC, node v20.20.2, linux/x64`: what makes numbers comparable. */
export function machineOf(result: Json): string {
  const env = envOf(result);
  if (typeof env['cpu'] !== 'string') return 'unknown';
  return `${String(env['cpus'])} × ${env['cpu']}, node ${String(env['node'])}, ` +
    `${String(env['platform'])}/${String(env['arch'])}`;
}

export function commitOf(result: Json): string {
  const commit = envOf(result)['commit'];
  return typeof commit === 'string' ? commit : 'unknown';
}

export function caseNameOf(result: Json): string {
  const server = result['server'];
  const prefix = typeof server === 'string' ? `${server} ` : '';
  return `${prefix}${String(result['case'])}`;
}

function atOf(result: Json): string {
  return typeof result['at'] === 'string' ? result['at'] : '';
}

/** Groups by bench, case, commit and machine; groups come oldest first. */
export function runGroups(cases: readonly Json[], otherMax: number): RunGroup[] {
  const byKey = new Map<string, { all: Json[]; kept: Json[] }>();
  const sorted = [...cases].sort((a, b) => atOf(a).localeCompare(atOf(b)));
  for (const result of sorted) {
    const key = [result['bench'], caseNameOf(result), commitOf(result), machineOf(result)]
      .map(String).join('\u0000');
    const entry = byKey.get(key) ?? { all: [], kept: [] };
    entry.all.push(result);
    if (!disturbed(result, otherMax)) entry.kept.push(result);
    byKey.set(key, entry);
  }
  const groups: RunGroup[] = [];
  for (const { all, kept } of byKey.values()) {
    const first = all[0]!;
    groups.push({
      bench: String(first['bench']), caseName: caseNameOf(first), commit: commitOf(first),
      dirty: all.some((r) => envOf(r)['dirty'] === true || envOf(r)['stale'] === true),
      machine: machineOf(first),
      runs: kept, dropped: all.length - kept.length,
      disturbedRuns: all.filter((r) => !kept.includes(r)), firstAt: atOf(first),
    });
  }
  return groups;
}

/**
 * The runs a row reports: the undisturbed ones, or when every run was disturbed, those (the row
 * then says so: its figures are not comparable with quiet runs, its same-run ratios still are).
 */
export function reportedRuns(group: RunGroup): { runs: readonly Json[]; disturbed: boolean } {
  return group.runs.length > 0 ? { runs: group.runs, disturbed: false }
    : { runs: group.disturbedRuns, disturbed: true };
}

/** Groups of the same bench, commit and machine as `group` (where its limits are found). */
export function groupsBeside(groups: readonly RunGroup[], group: RunGroup, bench: string):
  RunGroup[] {
  return groups.filter((g) => g.bench === bench && g.commit === group.commit &&
    g.machine === group.machine && g.runs.length > 0);
}
