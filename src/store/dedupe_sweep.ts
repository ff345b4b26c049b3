// Forgets client message ids older than DEDUPE_WINDOW_MS, a bounded slice per tick, so a
// dedupe table (1:1 `dedupe`, group `group_dedupe`) stays proportional to recent traffic. A
// retry older than the window is stored as a new message — clients retry within seconds,
// not days.

import type { Database, Key } from 'lmdb';
import { DEDUPE_SWEEP_KEYS_PER_TICK, DEDUPE_WINDOW_MS } from '../limits.js';
import type { CommitQueue } from './commit_queue.js';
import type { DedupeRecord } from './shard_store.js';

export class DedupeSweep<K extends Key> {
  /** Where the next slice starts; undefined = from the beginning. */
  private cursor: K | undefined;

  constructor(
    private readonly table: Database<DedupeRecord, K>,
    private readonly commits: CommitQueue,
  ) {}

  tick(nowMs: number): number {
    const expired: K[] = [];
    let seen = 0;
    let last: K | undefined;
    const range = this.cursor === undefined ? {} : { start: this.cursor };
    for (const { key, value } of this.table.getRange({
      ...range,
      limit: DEDUPE_SWEEP_KEYS_PER_TICK,
    })) {
      seen++;
      last = key;
      if (nowMs - value.atMs > DEDUPE_WINDOW_MS) expired.push(key);
    }
    // A short slice means the end was reached: start over next time.
    this.cursor = seen < DEDUPE_SWEEP_KEYS_PER_TICK ? undefined : last;
    if (expired.length > 0) {
      const table = this.table;
      this.commits.add(
        () => {
          for (const key of expired) table.remove(key);
        },
        () => undefined,
      );
    }
    return expired.length;
  }
}
