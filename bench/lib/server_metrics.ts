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
