// Forgets client message ids older than DEDUPE_WINDOW_MS, a bounded slice per tick, so the
// dedupe table stays proportional to recent traffic. A retry older than the window is stored
// as a new message — clients retry within seconds, not days.

import { DEDUPE_SWEEP_KEYS_PER_TICK, DEDUPE_WINDOW_MS } from '../limits.js';
import type { CommitQueue } from './commit_queue.js';
import type { ShardStore } from './shard_store.js';

export class DedupeSweep {
  /** Where the next slice starts; undefined = from the beginning. */
  private cursor: [string, string, string] | undefined;

  constructor(
    private readonly store: ShardStore,
    private readonly commits: CommitQueue,
  ) {}

  tick(nowMs: number): number {
    const expired: [string, string, string][] = [];
    let seen = 0;
    let last: [string, string, string] | undefined;
    const range = this.cursor === undefined ? {} : { start: this.cursor };
    for (const { key, value } of this.store.dedupe.getRange({
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
      const dedupe = this.store.dedupe;
      this.commits.add(
        () => {
          for (const key of expired) dedupe.remove(key);
        },
        () => undefined,
      );
    }
    return expired.length;
  }
}
