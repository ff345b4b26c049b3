// Group commit: writes queue up while the previous transaction is being fsynced, then all of
// them run in the next LMDB transaction (which takes them when it starts), and each caller
// learns when that transaction is durable. "Acked" in Magpie means: the transaction holding
// the message and its delivery obligation has resolved here. At most COMMITS_IN_FLIGHT_MAX
// transactions are in flight: one transaction per event-loop turn would pay one fsync per turn
// and starve under load; an idle store waits COMMIT_WINDOW_MS for more writers; cleanup writes
// ride along (addLazy). A transaction takes at most COMMIT_OPS_MAX weight (one unit per timeline
// append, say): its callback runs on the shard thread and blocks it, so an overload (a write
// fan-out of thousands of appends per message) gets several short transactions with socket
// I/O between them instead of one that holds the thread for seconds.

import type { RootDatabase } from 'lmdb';
import { ErrorCode } from '../errors.js';
import { CommitTimes } from './commit_times.js';
import {
  COMMIT_LAZY_MS,
  COMMIT_OPS_MAX,
  COMMIT_WINDOW_MS,
  COMMITS_IN_FLIGHT_MAX,
} from '../limits.js';

export type CommitDone = (code: ErrorCode) => void;
export type Write = () => void;
/** Called as a transaction's writes start; returns what to call with its outcome. */
export type TransactionObserver = () => (committed: boolean) => void;

/** Writes queued under one generation: they land in one transaction, whole. */
interface Batch {
  readonly generation: number;
  readonly writes: Write[];
  readonly dones: CommitDone[];
  weight: number;
}

export class CommitQueue {
  /** Oldest first; the last one is open (takes new writes). */
  private readonly batches: Batch[] = [];
  /** Weight of all queued batches. */
  private queuedWeight = 0;
  /** Writes nobody waits for (cleanup): they ride in the next transaction. */
  private lazy: Write[] = [];
  private lazyTimer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private inFlight = 0;
  /** A transaction is queued in LMDB and has not taken its writes yet: it will take these. */
  private waiting = false;
  /** Per-transaction timings for the shard's Stats. */
  readonly times = new CommitTimes();
  /** State kept ahead of LMDB (caches, write-back) that must learn each transaction's outcome. */
  private readonly observers: TransactionObserver[] = [];
  /** Which transaction writes queued now will join: it grows each time the open batch closes
   * (a transaction takes it, or it reached COMMIT_OPS_MAX), so work planned under one value
   * lands in one transaction. */
  private batch = 0;
  get generation(): number {
    return this.batch;
  }
  /** Commits currently waiting for their fsync; exposed for metrics and drain. */
  get pendingCommits(): number {
    return this.inFlight;
  }

  constructor(
    private readonly env: RootDatabase,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** `observer` runs when each transaction's writes start; the function it returns learns the
   * outcome, in commit order and before the transaction's writers do. */
  observe(observer: TransactionObserver): void {
    this.observers.push(observer);
  }

  /** Queue `write` (run inside the transaction, synchronously) and get told when it is durable.
   * `weight`: about how many puts it makes (a batch closes at COMMIT_OPS_MAX). */
  add(write: Write, done: CommitDone, weight = 1): void {
    let open = this.batches[this.batches.length - 1];
    if (open === undefined || open.generation !== this.batch) {
      open = { generation: this.batch, writes: [], dones: [], weight: 0 };
      this.batches.push(open);
    }
    open.writes.push(write);
    open.dones.push(done);
    open.weight += weight;
    this.queuedWeight += weight;
    if (open.weight >= COMMIT_OPS_MAX) this.batch++;
    if (this.queuedWeight >= COMMIT_OPS_MAX) {
      this.flush();
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // Idle store: wait a moment for company, one fsync for several writers. Busy store: the
    // next completion flushes anyway, this turn's end at the latest.
    if (this.inFlight === 0) setTimeout(() => this.flush(), COMMIT_WINDOW_MS);
    else setImmediate(() => this.flush());
  }

  /** Queue a write whose caller needs no answer (removing confirmed outbox rows): it joins the
   * next transaction, or one of its own after COMMIT_LAZY_MS when no other comes. Until then a
   * crash keeps the old rows, which must be harmless. */
  addLazy(write: Write): void {
    this.lazy.push(write);
    if (this.lazyTimer !== undefined) return;
    this.lazyTimer = setTimeout(() => {
      this.lazyTimer = undefined;
      if (this.lazy.length > 0) this.add(() => undefined, () => undefined);
    }, COMMIT_LAZY_MS);
  }

  /** Start a transaction unless enough are in flight or one is still waiting for LMDB to start
   * it. A transaction takes the queued writes when it starts, not when it is queued: writes that
   * come while the previous one is being fsynced join it, one bigger transaction instead of a
   * second, smaller one queued behind it. */
  flush(): void {
    this.scheduled = false;
    if (this.batches.length === 0 || this.waiting || this.inFlight >= COMMITS_IN_FLIGHT_MAX) return;
    this.inFlight++;
    this.waiting = true;
    let dones: CommitDone[] = [];
    let outcomes: ((committed: boolean) => void)[] = [];
    const queuedMs = performance.now();
    let startedMs = 0;
    let writtenMs = 0;
    let count = 0;
    this.env
      .transaction(() => {
        startedMs = performance.now();
        this.waiting = false;
        const taken = this.batchesTake();
        const writes = this.lazy.length === 0 ? taken.writes : taken.writes.concat(this.lazy);
        dones = taken.dones;
        this.lazy = [];
        outcomes = this.observers.map((observer) => observer());
        for (const write of writes) write();
        count = writes.length;
        writtenMs = performance.now();
      })
      .then(
        () => {
          this.times.record(startedMs - queuedMs, writtenMs - startedMs,
            performance.now() - writtenMs, count);
          this.inFlight--;
          for (const outcome of outcomes) outcome(true);
          this.flush();
          for (const done of dones) done(ErrorCode.OK);
        },
        (error: unknown) => {
          this.inFlight--;
          // Failed before it started: its writes are still queued, for the next one.
          this.waiting = false;
          for (const outcome of outcomes) outcome(false);
          this.flush();
          const code = commitErrorCode(error);
          if (code === ErrorCode.SERVER_ERROR) this.onError(error);
          for (const done of dones) done(code);
        },
      );
  }

  /** Whole batches, oldest first, up to COMMIT_OPS_MAX weight (at least one); closes the open
   * batch if taken. What is left gets the next transaction. */
  private batchesTake(): { writes: Write[]; dones: CommitDone[] } {
    const first = this.batches.shift();
    if (first === undefined) return { writes: [], dones: [] };
    const { writes, dones } = first;
    let weight = first.weight;
    if (first.generation === this.batch) this.batch++;
    while (this.batches.length > 0) {
      const next = this.batches[0]!;
      if (weight + next.weight > COMMIT_OPS_MAX) break;
      this.batches.shift();
      weight += next.weight;
      for (const write of next.writes) writes.push(write);
      for (const done of next.dones) dones.push(done);
      if (next.generation === this.batch) this.batch++;
    }
    this.queuedWeight -= weight;
    if (this.batches.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return { writes, dones };
  }

  /** Resolves when everything queued before the call is durable (for shutdown). */
  async settle(): Promise<void> {
    if (this.lazy.length > 0) this.add(() => undefined, () => undefined);
    while (this.batches.length > 0 || this.inFlight > 0) {
      this.flush();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await this.env.flushed;
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
