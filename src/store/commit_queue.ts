// Group commit: writes queued during one event-loop turn run in one LMDB transaction, and each
// caller learns when that transaction is durable (fsynced). "Acked" in Magpie means: the
// transaction holding the message and its delivery obligation has resolved here.

import type { RootDatabase } from 'lmdb';
import { ErrorCode } from '../errors.js';
import { COMMIT_OPS_MAX } from '../limits.js';

export type CommitDone = (code: ErrorCode) => void;
export type Write = () => void;

export class CommitQueue {
  private writes: Write[] = [];
  private dones: CommitDone[] = [];
  private scheduled = false;
  private inFlight = 0;
  /** Commits currently waiting for their fsync; exposed for metrics and drain. */
  get pendingCommits(): number {
    return this.inFlight;
  }

  constructor(
    private readonly env: RootDatabase,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Queue `write` (run inside the transaction, synchronously) and get told when it is durable. */
  add(write: Write, done: CommitDone): void {
    this.writes.push(write);
    this.dones.push(done);
    if (this.writes.length >= COMMIT_OPS_MAX) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Start the transaction for everything queued so far. */
  flush(): void {
    this.scheduled = false;
    if (this.writes.length === 0) return;
    const writes = this.writes;
    const dones = this.dones;
    this.writes = [];
    this.dones = [];
    this.inFlight++;
    this.env
      .transaction(() => {
        for (const write of writes) write();
      })
      .then(
        () => {
          this.inFlight--;
          for (const done of dones) done(ErrorCode.OK);
        },
        (error: unknown) => {
          this.inFlight--;
          const code = commitErrorCode(error);
          if (code === ErrorCode.SERVER_ERROR) this.onError(error);
          for (const done of dones) done(code);
        },
      );
  }

  /** Resolves when everything queued before the call is durable (for shutdown). */
  async settle(): Promise<void> {
    this.flush();
    await this.env.flushed;
    await this.env.transaction(() => undefined);
  }
}

/**
 * A commit that LMDB could not write (map full, disk full: lmdb-js reports "Commit failed",
 * the OS EIO or ENOSPC) is the environment, not a bug: nothing was stored, the caller gets the
 * retryable STORE_FULL and the shard keeps serving. Anything else (a write closure threw) is
 * our bug and goes to `onError`.
 */
function commitErrorCode(error: unknown): ErrorCode {
  const text = error instanceof Error ? error.message : String(error);
  if (/MDB_MAP_FULL|ENOSPC|No space left|Commit failed|Input\/output error/i.test(text)) {
    return ErrorCode.STORE_FULL;
  }
  return ErrorCode.SERVER_ERROR;
}
