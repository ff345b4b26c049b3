// The dedupe sweep on a real LMDB store: ids older than DEDUPE_WINDOW_MS are forgotten,
// younger ones kept, in bounded slices that wrap around.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { DEDUPE_SWEEP_KEYS_PER_TICK, DEDUPE_WINDOW_MS } from '../src/limits.js';
import { CommitQueue } from '../src/store/commit_queue.js';
import { DedupeSweep } from '../src/store/dedupe_sweep.js';
import { shardStoreClose, shardStoreOpen } from '../src/store/shard_store.js';

it('dedupe sweep: drops ids older than DEDUPE_WINDOW_MS, keeps younger, by slices', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-dedupe-'));
  const store = shardStoreOpen({ path: dir, mapBytes: 64 * 1024 * 1024 });
  try {
    const now = Date.now();
    const total = DEDUPE_SWEEP_KEYS_PER_TICK + 500;
    await store.env.transaction(() => {
      for (let i = 0; i < total; i++) {
        const old = i % 2 === 0;
        store.dedupe.put([`u${i % 7}`, 'd', `c${i}`], {
          messageUid: BigInt(i + 1),
          timestamp: now,
          atMs: old ? now - DEDUPE_WINDOW_MS - 1 : now - DEDUPE_WINDOW_MS + 60_000,
        });
      }
    });
    const commits = new CommitQueue(store.env, (error) => assert.fail(String(error)));
    const sweep = new DedupeSweep(store.dedupe, commits);
    const first = sweep.tick(now);
    assert.ok(first > 0 && first <= DEDUPE_SWEEP_KEYS_PER_TICK, `first slice removed ${first}`);
    const second = sweep.tick(now);
    await commits.settle();
    assert.equal(first + second, Math.ceil(total / 2));
    let kept = 0;
    for (const { value } of store.dedupe.getRange({})) {
      assert.ok(now - value.atMs <= DEDUPE_WINDOW_MS);
      kept++;
    }
    assert.equal(kept, Math.floor(total / 2));
  } finally {
    await shardStoreClose(store);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
