// Reads the server's Prometheus text (/metrics) into per-shard numbers: what a bench needs from
// the shards' own Stats (sessions, event-loop lag, V8 heap) without a profiler.

/** The server answers /metrics from memory; longer than this means it is stuck. */
const METRICS_TIMEOUT_MS = 5_000;
/** Shards a server can have (config `shards` ≤ 15). */
const SHARDS_MAX = 15;

/** Metric name → value per shard (index = shard). */
export type ShardMetrics = ReadonlyMap<string, readonly number[]>;

export function metricsParse(text: string): ShardMetrics {
  const out = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const match = /^(\w+)\{shard="(\d+)"\} (\S+)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined || match[3] === undefined) continue;
    const shard = Number(match[2]);
    if (shard >= SHARDS_MAX) continue;
    const values = out.get(match[1]) ?? [];
    values[shard] = Number(match[3]);
    out.set(match[1], values);
  }
  return out;
}

export async function metricsRead(httpBase: string): Promise<ShardMetrics> {
  const answer = await fetch(`${httpBase}/metrics`,
    { signal: AbortSignal.timeout(METRICS_TIMEOUT_MS) });
  if (!answer.ok) throw new Error(`/metrics answered ${answer.status}`);
  return metricsParse(await answer.text());
}

/** The values of `name` over the shards (missing shards count 0). */
export function metricShards(metrics: ShardMetrics, name: string): number[] {
  return Array.from(metrics.get(name) ?? [], (value) => value ?? 0);
}

export function metricSum(metrics: ShardMetrics, name: string): number {
  return metricShards(metrics, name).reduce((sum, value) => sum + value, 0);
}

/** The shards' Stats cover one second each: polling faster reads the same interval twice. */
const POLL_MS = 1_000;

/** Per-shard gauges whose worst second a bench reports (a stuck or overloaded shard shows
 * here while the medians look fine). */
export const PEAK_METRICS = [
  'magpie_event_loop_lag_max_ms', 'magpie_timeline_entries_held', 'magpie_commit_durable_max_ms',
  'magpie_gc_pause_max_ms',
] as const;

export interface PolledMetrics {
  /** Each of `names`' median over the polls of its mean over the active shards. */
  readonly medians: Record<string, number>;
  /** Each of PEAK_METRICS' largest value over the polls and shards. */
  readonly peaks: Record<string, number>;
}

/**
 * Reads /metrics once a second until `stop`. Medians are for figures that shards report per
 * second (commit timings): shards with nothing to report, 0 commits, are left out of the mean.
 */
export function metricsPoll(httpBase: string, names: readonly string[]):
  { stop: () => Promise<PolledMetrics> } {
  const polls: ShardMetrics[] = [];
  let reading: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    reading = metricsRead(httpBase).then((metrics) => void polls.push(metrics), () => undefined);
  }, POLL_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      await reading;
      const medians: Record<string, number> = {};
      for (const name of names) {
        const means = polls.map((metrics) => {
          const active = metricShards(metrics, 'magpie_commits_per_second')
            .map((commits, shard) => (commits > 0 ? metricShards(metrics, name)[shard] ?? 0 : null))
            .filter((value): value is number => value !== null);
          return active.length === 0 ? 0 : active.reduce((a, b) => a + b, 0) / active.length;
        }).sort((a, b) => a - b);
        medians[name] = means.length === 0 ? 0
          : Math.round((means[means.length >> 1] ?? 0) * 100) / 100;
      }
      const peaks: Record<string, number> = {};
      for (const name of PEAK_METRICS) {
        peaks[name] = Math.max(0, ...polls.flatMap((metrics) => metricShards(metrics, name)));
      }
      return { medians, peaks };
    },
  };
}

/** "worst shard-second: loop lag 12 ms, held entries 6100, commit →durable 30 ms,
 * GC pause 9 ms". */
export function peaksText(peaks: Record<string, number>): string {
  const of = (name: (typeof PEAK_METRICS)[number]): number => peaks[name] ?? NaN;
  return `worst shard-second: loop lag ${Math.round(of('magpie_event_loop_lag_max_ms'))} ms, ` +
    `held entries ${of('magpie_timeline_entries_held')}, ` +
    `commit →durable ${Math.round(of('magpie_commit_durable_max_ms'))} ms, ` +
    `GC pause ${Math.round(of('magpie_gc_pause_max_ms'))} ms`;
}
