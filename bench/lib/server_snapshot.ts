// Memory snapshots of a running bench server: waiting until it holds still, collecting garbage
// on every thread (so heaps are live data), then its process memory (/proc), the shards' V8
// heaps (/metrics) and the kernel's socket memory together; and the shards' event-loop lag
// sampled once a second over a window.

import type { MemorySnapshot } from './conn_report.js';
import { kernelSample, procMemory } from './mem_probe.js';
import { sleep } from './results.js';
import { metricShards, metricSum, metricsRead } from './server_metrics.js';

/** After the quiet time, the server's RSS must hold still within this much ... */
const SETTLE_RSS_BYTES = 1024 * 1024;
/** ... over this many one-second samples in a row (also two shard Stats for /metrics), ... */
const SETTLE_SAMPLES = 3;
/** ... waiting at most this much longer; a server still moving is measured as it is. */
const SETTLE_EXTRA_MS_MAX = 20_000;
const LAG_POLL_MS = 1_000;
/** A full GC of a few hundred MiB takes well under this. */
const COLLECT_TIMEOUT_MS = 10_000;
/** Two shard Stats intervals (1 s each), so /metrics shows the heaps after the collection. */
const AFTER_COLLECT_MS = 2_500;

/**
 * Waits `quietMs` (V8's memory reducer shrinks the heaps ~20 s after a busy phase: 27 MiB
 * here after 3,000 logins), then for the RSS of `pid` to hold still, bounded in time.
 */
export async function serverSettle(pid: number, quietMs: number): Promise<void> {
  await sleep(quietMs);
  const endMs = performance.now() + SETTLE_EXTRA_MS_MAX;
  let last = procMemory(pid)?.rssBytes ?? 0;
  let still = 0;
  while (still < SETTLE_SAMPLES && performance.now() < endMs) {
    await sleep(1_000);
    const rss = procMemory(pid)?.rssBytes ?? 0;
    still = Math.abs(rss - last) <= SETTLE_RSS_BYTES ? still + 1 : 0;
    last = rss;
  }
}

/** A full GC on every server thread (dev-mode hook; the server runs with --expose-gc). */
async function serverCollect(httpBase: string): Promise<void> {
  const answer = await fetch(`${httpBase}/v1/admin/gc`,
    { method: 'POST', signal: AbortSignal.timeout(COLLECT_TIMEOUT_MS) });
  const code = ((await answer.json()) as { code?: unknown }).code;
  if (code !== 0) throw new Error(`/v1/admin/gc answered ${String(code)} (needs --expose-gc)`);
}

/**
 * Collects garbage on every server thread, waits for the shards' next Stats (their heaps as
 * /metrics shows them) and the freed pages, then reads process, heap and kernel memory.
 */
export async function serverSnapshot(pid: number, httpBase: string, connections: number):
  Promise<MemorySnapshot> {
  await serverCollect(httpBase);
  await sleep(AFTER_COLLECT_MS);
  const memory = procMemory(pid);
  if (memory === null) throw new Error('server memory unreadable (/proc)');
  const metrics = await metricsRead(httpBase);
  return { connections, process: memory,
    heapBytes: metricSum(metrics, 'magpie_heap_used_bytes'), kernel: kernelSample() };
}

/** Per-second lag figures of every shard while a window runs. */
export class LagSampler {
  readonly p99s: number[] = [];
  readonly maxes: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly httpBase: string,
    private readonly onError: (err: unknown) => void) {}

  start(): void {
    this.timer = setInterval(() => {
      metricsRead(this.httpBase).then((metrics) => {
        this.p99s.push(...metricShards(metrics, 'magpie_event_loop_lag_p99_ms'));
        this.maxes.push(...metricShards(metrics, 'magpie_event_loop_lag_max_ms'));
      }, this.onError);
    }, LAG_POLL_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor(sorted.length / 2)]!;
}
