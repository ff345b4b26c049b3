// Medians and ranges of bench figures over runs, shared by perf_median (the CLI), run.ts (the
// suite's summary) and report.ts (PERF.md's tables and the charts). A case result is one JSON
// object with `bench` and `case`; a figure is a dotted path to a number in it.

export type Json = Record<string, unknown>;

export interface Range {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly runs: number;
}

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A case result: an object naming its bench and its case. */
export function isCase(value: unknown): value is Json {
  return isRecord(value) && typeof value['bench'] === 'string' && typeof value['case'] === 'string';
}

/**
 * Case results in a file: an array, { results: [...], ratios?: [...] } (peer_ejabberd: the
 * per-run ratios, less those whose cases were disturbed on either server by `otherMax`), or
 * run.ts's { steps: { … } }.
 */
export function casesOf(value: unknown, otherMax = -1): Json[] {
  if (Array.isArray(value)) return value.filter(isCase);
  if (!isRecord(value)) return [];
  if (Array.isArray(value['results'])) {
    const results = casesOf(value['results']);
    if (!Array.isArray(value['ratios'])) return results;
    const spoilt = new Set(results.filter((r) => disturbed(r, otherMax)).map((r) => r['case']));
    return results.concat(casesOf(value['ratios']).filter((ratio) => !spoilt.has(ratio['case'])));
  }
  if (isRecord(value['steps'])) {
    return Object.values(value['steps']).flatMap((step) => casesOf(step, otherMax));
  }
  return [];
}

/** The number at `path` (e.g. 'ack.p99Ms'), or null. */
export function figure(result: Json, path: string): number | null {
  let value: unknown = result;
  for (const key of path.split('.')) value = isRecord(value) ? value[key] : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Per-operation CPU, derived for result files written before the benches reported it. */
function derived(result: Json, path: string): number | null {
  const rate = figure(result, 'ackedPerSec') ?? figure(result, 'msgsPerSec');
  if (rate === null || rate <= 0) return null;
  const cpu = path === 'serverCpuUsPerMsg' ? figure(result, 'server.cpuPercent')
    : path === 'generatorCpuUsPerMsg' ? figure(result, 'generatorCpuPercent') : null;
  return cpu === null ? null : Math.round((cpu * 1_000_000) / rate) / 100;
}

/** The figure, or for the per-message CPU figures of old files, its derivation. */
export function figureOrDerived(result: Json, path: string): number | null {
  return figure(result, path) ?? derived(result, path);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Three significant digits below 100, whole numbers above. */
export function round(value: number): number {
  return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 1000) / 1000;
}

/** Median, min and max of `path` over the runs that have it; null if none has. */
export function rangeOf(results: readonly Json[], path: string): Range | null {
  const values = results.map((r) => figureOrDerived(r, path))
    .filter((v): v is number => v !== null);
  if (values.length === 0) return null;
  return { median: round(median(values)), min: round(Math.min(...values)),
    max: round(Math.max(...values)), runs: values.length };
}

/** Each of `paths` that some run has, with its range. */
export function rangesOf(results: readonly Json[], paths: readonly string[]):
  Record<string, Range> {
  const out: Record<string, Range> = {};
  for (const path of paths) {
    const range = rangeOf(results, path);
    if (range !== null) out[path] = range;
  }
  return out;
}

/** A run disturbed by other work on the box (otherCpuPercent above `otherMax`; < 0: never). */
export function disturbed(result: Json, otherMax: number): boolean {
  const other = figure(result, 'otherCpuPercent');
  return otherMax >= 0 && other !== null && other > otherMax;
}

/**
 * Per case name, the run whose `path` is the median (the lower of the two middle ones when the
 * count is even): a real run, so its other figures belong together.
 */
export function medianRuns(results: readonly Json[], path: string): Json[] {
  const byCase = new Map<string, Json[]>();
  for (const r of results) {
    const name = String(r['case']);
    byCase.set(name, [...(byCase.get(name) ?? []), r]);
  }
  const out: Json[] = [];
  for (const runs of byCase.values()) {
    const sorted = [...runs].sort((a, b) => (figure(a, path) ?? 0) - (figure(b, path) ?? 0));
    out.push(sorted[Math.floor((sorted.length - 1) / 2)]!);
  }
  return out;
}
