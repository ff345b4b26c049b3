// Inbox sync: pulls pages after lastSeq until the head, and delivers each stored entry once per
// client, in seq order. One pull loop at a time: a notify (MN) or sync() during a loop makes it go
// round once more instead of starting a second loop, so pages never interleave. Entries an MN
// carries inline are taken without a pull when they follow lastSeq.

import { SYNC_PAGES_PER_ROUND_MAX } from './client_limits.js';
import type { PullPage } from './decode_answers.js';
import type { ReceivedMessage } from './types.js';

export interface InboxSyncDeps {
  /** One MP request: entries with seq >= fromSeq (pullType 1), `type` copied from the last MN. */
  pull(fromSeq: number, type: number): Promise<PullPage>;
  deliver(message: ReceivedMessage): void;
  /** A loop started by a notify failed (a sync() caller gets its own rejection instead). */
  onError(err: unknown): void;
}

export class InboxSync {
  private readonly deps: InboxSyncDeps;
  private seq: number;
  /** Highest head the server has told us about. */
  private headKnown: number;
  private pullType = 0;
  private running: Promise<void> | null = null;
  /** sync() was called during a round: go round once more (its caller wants a fresh pull). */
  private againForced = false;
  /** A notify came during a round: go round once more if the page did not reach its head. */
  private againNotified = false;

  constructor(deps: InboxSyncDeps, lastSeq: number) {
    this.deps = deps;
    this.seq = lastSeq;
    this.headKnown = lastSeq;
  }

  /** Seq of the last entry delivered (or given at construction). */
  get lastSeq(): number {
    return this.seq;
  }

  get head(): number {
    return this.headKnown;
  }

  /** Records a head (and the MN type to copy into pulls) without pulling. */
  headNote(head: number, type: number): void {
    this.pullType = type;
    if (head > this.headKnown) this.headKnown = head;
  }

  /**
   * The server says entries up to `head` exist (MN): pull unless we have them. Entries the MN
   * carries inline (native, PROTOCOL.md §8.1) are delivered at once when they follow lastSeq
   * and no pull is running; otherwise (a gap, a pull in flight) they are pulled like the rest.
   */
  notify(head: number, type: number, inline: readonly ReceivedMessage[] = []): void {
    this.headNote(head, type);
    if (head <= this.seq) return;
    if (this.running !== null) {
      this.againNotified = true;
      return;
    }
    if (this.inlineDeliver(inline) && this.seq >= this.headKnown) return;
    this.sync().catch((err: unknown) => this.deps.onError(err));
  }

  /** Delivers `inline` if every entry has the seq after the one before it, starting at lastSeq
   * + 1; false (nothing delivered) otherwise. */
  private inlineDeliver(inline: readonly ReceivedMessage[]): boolean {
    if (inline.length === 0) return false;
    let seq = this.seq;
    for (const message of inline) {
      if (message.seq !== seq + 1) return false;
      seq = message.seq;
    }
    for (const message of inline) {
      this.seq = message.seq ?? this.seq;
      this.deps.deliver(message);
    }
    return true;
  }

  /** Pulls until the head; joins (and extends) a loop already running. */
  sync(): Promise<void> {
    if (this.running !== null) {
      this.againForced = true;
      return this.running;
    }
    const running = this.loop().finally(() => {
      this.running = null;
    });
    this.running = running;
    return running;
  }

  private async loop(): Promise<void> {
    try {
      do {
        this.againForced = false;
        this.againNotified = false;
        await this.round();
      } while (this.againForced || (this.againNotified && this.headKnown > this.seq));
    } finally {
      this.againForced = false;
      this.againNotified = false;
    }
  }

  /** Pages from lastSeq + 1 until a page reaches the head or comes back empty. */
  private async round(): Promise<void> {
    for (let page = 0; page < SYNC_PAGES_PER_ROUND_MAX; page++) {
      const answer = await this.deps.pull(this.seq + 1, this.pullType);
      if (answer.head > this.headKnown) this.headKnown = answer.head;
      if (answer.messages.length === 0) return;
      this.pageDeliver(answer);
      if (this.seq >= answer.head) return;
    }
  }

  /**
   * Native entries carry their seq: older ones (already delivered) are skipped. Compat entries do
   * not: the server returned only seqs >= the one asked for, and `current` is the page's last.
   */
  private pageDeliver(answer: PullPage): void {
    for (const message of answer.messages) {
      if (message.seq !== undefined) {
        if (message.seq <= this.seq) continue;
        this.seq = message.seq;
      }
      this.deps.deliver(message);
    }
    if (answer.current > this.seq) this.seq = answer.current;
  }
}
