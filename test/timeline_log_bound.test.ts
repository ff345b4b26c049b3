// Held timeline entries stay bounded under an overload: when appends outrun the write-back (a
// write fan-out to thousands of members, every transaction full), past
// TIMELINE_HELD_ENTRIES_MAX the write-back takes more than each transaction appends, whatever
// their age, until the held entries are back under the bound. Real LMDB, real commit queue.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import {
  COMMIT_OPS_MAX,
  TIMELINE_HELD_ENTRIES_MAX,
  TIMELINE_WRITEBACK_ENTRIES_MAX,
} from '../src/limits.js';
import { CommitQueue } from '../src/store/commit_queue.js';
import { GroupReplicas } from '../src/store/group_replicas.js';
import type { StoredMessage } from '../src/store/records.js';
import { shardStoreClose, shardStoreOpen } from '../src/store/shard_store.js';
import { Timelines } from '../src/store/timelines.js';

/** Nothing becomes due by age during the test: only the bound writes back. */
const WRITEBACK_MS = 60_000;
const OWNERS = 2_000;

it('timeline log: past TIMELINE_HELD_ENTRIES_MAX the write-back outpaces full transactions',
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-held-bound-'));
    const store = shardStoreOpen({ path: dir, mapBytes: 1024 * 1024 * 1024 });
    try {
      const commits = new CommitQueue(store.env, (error) => assert.fail(String(error)));
      const timelines = new Timelines(store, new GroupReplicas(store), (write) =>
        commits.addLazy(write), WRITEBACK_MS);
      commits.observe(timelines.rows.observer);
      commits.observe(timelines.log.observer);
      const perTransaction = COMMIT_OPS_MAX;
      const transactions = Math.ceil((TIMELINE_HELD_ENTRIES_MAX * 1.5) / perTransaction);
      let uid = 1n;
      let heldMax = 0;
      let heldBefore = 0;
      for (let t = 0; t < transactions; t++) {
        const writes: (() => void)[] = [];
        for (let i = 0; i < perTransaction; i++) {
          const owner = `u${i % OWNERS}`;
          const message: StoredMessage = {
            uid: uid++, from: 'sender', fromDevice: 'd', conversationType: 1, target: 'g1',
            line: 0, timestamp: t, content: { type: 1, searchableContent: 'x' },
          };
          const { seq, write } = timelines.appendMessage(owner, message);
          writes.push(() => {
            write();
            timelines.committed(owner, seq);
          });
        }
        const code = await new Promise<ErrorCode>((resolve) =>
          commits.add(() => writes.forEach((write) => write()), resolve, writes.length));
        assert.equal(code, ErrorCode.OK);
        const held = timelines.log.held;
        if (heldBefore > TIMELINE_HELD_ENTRIES_MAX) {
          assert.ok(held < heldBefore, `over the bound, a full transaction shrinks the held ` +
            `entries (${heldBefore} → ${held})`);
        }
        heldBefore = held;
        heldMax = Math.max(heldMax, held);
      }
      assert.ok(heldMax > TIMELINE_HELD_ENTRIES_MAX,
        `the appends went past the bound (${heldMax})`);
      // Each full transaction over the bound writes back all it appends and more.
      assert.ok(heldMax <= TIMELINE_HELD_ENTRIES_MAX + 2 * perTransaction,
        `held entries ${heldMax} stayed near the bound`);
      // Empty transactions (an idle store's) bring it back under the bound.
      for (let t = 0; t < 4; t++) {
        assert.equal(await new Promise((resolve) => commits.add(() => undefined, resolve)),
          ErrorCode.OK);
      }
      assert.ok(timelines.log.held <= TIMELINE_HELD_ENTRIES_MAX,
        `held ${timelines.log.held} after idle transactions`);
      assert.ok(timelines.log.held >= TIMELINE_HELD_ENTRIES_MAX - TIMELINE_WRITEBACK_ENTRIES_MAX,
        'under the bound, young entries wait for their age again');
      await commits.settle();
    } finally {
      await shardStoreClose(store);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
