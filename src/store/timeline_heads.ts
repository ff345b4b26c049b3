// Timeline heads (each user's last assigned seq) as a bounded cache: the longest cached are
// dropped in sweeps and read back from the tables on the next use (one read: cheaper than
// keeping a recency order on every append), except those the tables cannot give back yet (the
// caller says which: appends in flight, entries held in the log, a head that is a seq with no
// entry).

/** Heads over the bound before a sweep: a sweep per max/8 new heads, so O(1) per head. */
const SWEEP_DIVISOR = 8;

export class TimelineHeads {
  /** Longest cached first. */
  private readonly heads = new Map<string, number>();
  private sweepAt: number;

  constructor(
    private readonly cachedMax: number,
    /** The head as the tables say it (their last seq for `uid`, 0 for none). */
    private readonly stored: (uid: string) => number,
    /** Whether the tables could not give `uid`'s head back now. */
    private readonly pinned: (uid: string) => boolean,
  ) {
    this.sweepAt = cachedMax + Math.ceil(cachedMax / SWEEP_DIVISOR);
  }

  get size(): number {
    return this.heads.size;
  }

  /** The cached head, if any (no read). */
  peek(uid: string): number | undefined {
    return this.heads.get(uid);
  }

  get(uid: string): number {
    const head = this.heads.get(uid);
    if (head !== undefined) return head;
    const stored = this.stored(uid);
    this.set(uid, stored);
    return stored;
  }

  set(uid: string, head: number): void {
    this.heads.set(uid, head);
    if (this.heads.size > this.sweepAt) this.sweep(uid);
  }

  private sweep(keep: string): void {
    for (const uid of this.heads.keys()) {
      if (this.heads.size <= this.cachedMax) break;
      if (uid === keep || this.pinned(uid)) continue;
      this.heads.delete(uid);
    }
    this.sweepAt = Math.max(this.heads.size, this.cachedMax) +
      Math.ceil(this.cachedMax / SWEEP_DIVISOR);
  }
}
