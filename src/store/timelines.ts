// Per-user timelines: every entry a user must see gets the next seq in that user's timeline.
// Heads live in memory once read; seqs are assigned synchronously and written in the current
// commit window, so seq order is commit order. A failed commit leaves a gap, never a reuse.

import type { ShardStore } from './shard_store.js';
import type { StoredMessage, TimelineEntry } from './records.js';
import { conversationKey, uidHex } from './records.js';

const SEQ_MAX = Number.MAX_SAFE_INTEGER;

export interface TimelinePage {
  readonly entries: readonly { readonly seq: number; readonly entry: TimelineEntry }[];
  /** Seq of the last entry returned, or the start point when none. */
  readonly current: number;
  readonly head: number;
}

export class Timelines {
  // TODO(issue 3, connections bench): bound this map for millions of users by evicting heads
  // with no write in flight; today it holds one number per user touched since start.
  private readonly heads = new Map<string, number>();
  /** Highest seq whose commit is durable, for users with appends in flight; answers (MP,
   * CONNECT_ACK) never announce a seq a reader cannot see yet. */
  private readonly committedHeads = new Map<string, number>();

  constructor(private readonly store: ShardStore) {}

  head(uid: string): number {
    let head = this.heads.get(uid);
    if (head === undefined) {
      head = 0;
      for (const key of this.store.timeline.getKeys({
        start: [uid, SEQ_MAX],
        end: [uid, 0],
        reverse: true,
        limit: 1,
      })) {
        head = key[1];
      }
      this.heads.set(uid, head);
    }
    return head;
  }

  /** The head readers may be told about: everything up to it is committed. */
  visibleHead(uid: string): number {
    return this.committedHeads.get(uid) ?? this.head(uid);
  }

  /** A commit holding `seq` for `owner` is durable. */
  committed(owner: string, seq: number): void {
    if (seq >= (this.heads.get(owner) ?? 0)) this.committedHeads.delete(owner);
    else if (seq > (this.committedHeads.get(owner) ?? 0)) this.committedHeads.set(owner, seq);
  }

  /** Assign the next seq to `message` for `owner`; the returned write must join a commit. */
  appendMessage(owner: string, message: StoredMessage): { seq: number; write: () => void } {
    const seq = this.head(owner) + 1;
    if (!this.committedHeads.has(owner)) this.committedHeads.set(owner, seq - 1);
    this.heads.set(owner, seq);
    const entry: TimelineEntry = { kind: 'message', message };
    const store = this.store;
    const conversation = conversationKey(owner, message);
    const hex = uidHex(message.uid);
    return {
      seq,
      write: () => {
        store.timeline.put([owner, seq], entry);
        store.conversations.put([owner, conversation, hex], seq);
      },
    };
  }

  /** Whether `owner` already filed `message` (exactly-once for replayed deliveries). */
  hasMessage(owner: string, message: StoredMessage): boolean {
    const key: [string, string, string] = [owner, conversationKey(owner, message), uidHex(message.uid)];
    return this.store.conversations.doesExist(key);
  }

  /** Entries with seq > afterSeq, at most `entriesMax` and about `bytesMax`. */
  page(uid: string, afterSeq: number, entriesMax: number, bytesMax: number): TimelinePage {
    const head = this.visibleHead(uid);
    const entries: { seq: number; entry: TimelineEntry }[] = [];
    let current = afterSeq;
    let bytes = 0;
    if (afterSeq < head) {
      for (const { key, value } of this.store.timeline.getRange({
        start: [uid, afterSeq + 1],
        end: [uid, head + 1],
        limit: entriesMax,
      })) {
        const size = entrySizeEstimate(value);
        if (entries.length > 0 && bytes + size > bytesMax) break;
        bytes += size;
        entries.push({ seq: key[1], entry: value });
        current = key[1];
      }
    }
    return { entries, current, head };
  }

  /** A conversation's messages with uid < beforeUid (0n: newest), newest first, at most about
   * `bytesMax` (always at least one). */
  history(owner: string, conversation: string, beforeUid: bigint, count: number, bytesMax: number): TimelineEntry[] {
    const out: TimelineEntry[] = [];
    let bytes = 0;
    // Reverse ranges include their start: start just below beforeUid ('g' sorts above all hex).
    const before = beforeUid === 0n ? 'g' : uidHex(beforeUid - 1n);
    for (const seq of this.historySeqs(owner, conversation, before, count)) {
      const entry = this.store.timeline.get([owner, seq]);
      if (entry === undefined) continue;
      bytes += entrySizeEstimate(entry);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  private historySeqs(owner: string, conversation: string, before: string, count: number): number[] {
    const seqs: number[] = [];
    for (const { value } of this.store.conversations.getRange({
      start: [owner, conversation, before],
      end: [owner, conversation, ''],
      reverse: true,
      limit: count,
    })) {
      seqs.push(value);
    }
    return seqs;
  }
}

/** Encoded size without encoding, as an upper bound: a UTF-16 unit is at most 3 UTF-8 bytes
 * (and JSON escapes of control characters stay within that for text); 160 covers the fixed
 * fields. Overestimating only makes pages smaller. */
export function entrySizeEstimate(entry: TimelineEntry): number {
  const content = entry.message.content;
  return 160 + 3 * (
    entry.message.from.length +
    entry.message.target.length +
    (content.content?.length ?? 0) +
    (content.searchableContent?.length ?? 0) +
    (content.pushContent?.length ?? 0) +
    (content.binaryContent?.length ?? 0) +
    (content.remoteMediaUrl?.length ?? 0) +
    (content.extra?.length ?? 0)
  );
}
