// /metrics on a real server: every shard reports its event-loop lag and V8 heap (from its
// once-a-second Stats), so benches and operators can read them without a profiler; and the
// dev-mode GC hook benches call before a memory snapshot.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionMap } from '../src/router/partition_map.js';
import { serverStart } from './helpers/server.js';
import { text as textContent, userConnect } from './helpers/users.js';

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

describe('commit figures in /metrics', () => {
  it('a committing shard reports transactions, timings, rows waiting, heads cached', async () => {
    // Rows are written back once an hour here: every conversation change after the first
    // message waits in memory, so the waiting count must show them.
    const env = { MAGPIE_CONVERSATION_ROWS_WRITEBACK_MS: '3600000' };
    const server = await serverStart({ shards: 2, env });
    const users: { client: { close(): void } }[] = [];
    try {
      const a = await userConnect(server, { transport: 'tcp' });
      users.push(a);
      const b = await userConnect(server, { transport: 'tcp' });
      users.push(b);
      const shard = new PartitionMap(2).shardOf(a.uid);
      const conversation = { type: 0, target: b.uid, line: 0 };
      const deadline = Date.now() + STATS_WAIT_MS;
      let metrics = '';
      let sent = 0;
      for (;;) {
        await a.client.send({ conversation, content: textContent(`tick ${sent++}`) });
        metrics = await (await fetch(`${server.httpBase}/metrics`)).text();
        const commits = metricValue(metrics, 'magpie_commits_per_second', shard) ?? 0;
        const waiting = metricValue(metrics, 'magpie_conversation_rows_waiting', shard) ?? 0;
        if ((commits > 0 && waiting > 0) || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const value = (name: string): number => metricValue(metrics, name, shard) ?? -1;
      assert.ok(value('magpie_commits_per_second') > 0, 'transactions counted');
      assert.ok(value('magpie_commit_writes_mean') >= 1, 'writes per transaction');
      assert.ok(value('magpie_commit_durable_p50_ms') > 0, 'time to durable');
      assert.ok(value('magpie_commit_durable_max_ms') >= value('magpie_commit_durable_p50_ms'));
      assert.ok(value('magpie_commit_callback_p50_ms') >= 0);
      assert.ok(value('magpie_commit_wait_p50_ms') >= 0);
      assert.ok(value('magpie_conversation_rows_waiting') >= 1, 'the sender\'s row waits');
      assert.ok(value('magpie_timeline_heads_cached') >= 1, 'the sender\'s head is cached');
    } finally {
      // Closed here, not after the asserts: a client left open reconnects and the test hangs.
      for (const user of users) user.client.close();
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

describe('garbage-collection pauses in /metrics', () => {
  it('a collection forced in every shard shows as a pause in its next Stats', async () => {
    const server = await serverStart({ shards: 2, nodeArgs: ['--expose-gc'] });
    try {
      const read = async (): Promise<string> =>
        (await fetch(`${server.httpBase}/metrics`)).text();
      const pauses = (text: string, name: string): number[] =>
        [0, 1].map((shard) => metricValue(text, name, shard) ?? -1);
      const collected = (await (await fetch(`${server.httpBase}/v1/admin/gc`,
        { method: 'POST' })).json()) as { code?: unknown };
      assert.equal(collected.code, 0);
      // The forced collection lands in one Stats second; poll until every shard reported it.
      const seen = [false, false];
      const deadline = Date.now() + STATS_WAIT_MS;
      while (seen.includes(false) && Date.now() < deadline) {
        const text = await read();
        const max = pauses(text, 'magpie_gc_pause_max_ms');
        const total = pauses(text, 'magpie_gc_pause_ms');
        max.forEach((pause, shard) => {
          assert.ok(pause >= 0 && total[shard]! >= pause,
            `shard ${shard}: ${pause} ≤ ${total[shard]}`);
          if (pause > 0) seen[shard] = true;
        });
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      assert.deepEqual(seen, [true, true], 'both shards reported a GC pause');
    } finally {
      await server.stop();
      server.cleanup();
    }
  });
});
