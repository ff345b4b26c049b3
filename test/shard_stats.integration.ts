// /metrics on a real server: every shard reports its event-loop lag and V8 heap (from its
// once-a-second Stats), so benches and operators can read them without a profiler; and the
// dev-mode GC hook benches call before a memory snapshot.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serverStart } from './helpers/server.js';

/** Stats arrive every second; two intervals and a margin cover a slow start. */
const STATS_WAIT_MS = 5_000;
const POLL_MS = 200;

function metricValue(text: string, name: string, shard: number): number | undefined {
  const match = new RegExp(`^${name}\\{shard="${shard}"\\} (\\S+)$`, 'm').exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

describe('shard stats in /metrics', () => {
  it('every shard reports event-loop lag p99/max and a non-zero heap', async () => {
    const server = await serverStart({ shards: 2 });
    try {
      const deadline = Date.now() + STATS_WAIT_MS;
      let text = '';
      for (;;) {
        text = await (await fetch(`${server.httpBase}/metrics`)).text();
        const heaps = [0, 1].map((s) => metricValue(text, 'magpie_heap_used_bytes', s) ?? 0);
        if (heaps.every((heap) => heap > 0) || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      for (const shard of [0, 1]) {
        const p99 = metricValue(text, 'magpie_event_loop_lag_p99_ms', shard);
        const max = metricValue(text, 'magpie_event_loop_lag_max_ms', shard);
        const heap = metricValue(text, 'magpie_heap_used_bytes', shard);
        assert.ok(p99 !== undefined && Number.isFinite(p99) && p99 >= 0, `shard ${shard} p99`);
        assert.ok(max !== undefined && Number.isFinite(max) && max >= p99, `shard ${shard} max`);
        assert.ok(heap !== undefined && heap > 1024 * 1024, `shard ${shard} heap ${heap}`);
      }
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});

describe('dev-mode GC hook', () => {
  it('POST /v1/admin/gc answers 0 with --expose-gc, and 254 without it', async () => {
    const withGc = await serverStart({ shards: 2, nodeArgs: ['--expose-gc'] });
    const without = await serverStart({ shards: 1 });
    try {
      const collect = async (httpBase: string): Promise<unknown> =>
        ((await (await fetch(`${httpBase}/v1/admin/gc`, { method: 'POST' })).json()) as
          { code?: unknown }).code;
      assert.equal(await collect(withGc.httpBase), 0);
      assert.equal(await collect(without.httpBase), 254);
    } finally {
      for (const server of [withGc, without]) {
        await server.stop();
        server.cleanup();
      }
    }
  });
});
