// Per-user timelines: every entry a user must see gets the next seq in that user's timeline.
// Heads live in memory once read; seqs are assigned synchronously and written in the current
// commit window, so seq order is commit order. A failed commit leaves a gap, never a reuse.
// Each append also indexes the message by uid ([owner, uidHex] → seq, for recall and receipts)
// and by conversation, and folds it into the owner's conversation-list row (written back later:
// conversation_rows.ts; a row a crash left behind is folded forward from those indexes). The
// entry itself goes to the shard's log, the message store; its index entries reach their tables
// later (timeline_log.ts), and every read here merges the entries still held in. A
// read-fan-out group message is filed as a pointer into the shard's group replica; every read
// here resolves it, so callers only ever see whole messages.

import type { Database } from 'lmdb';
import { CONVERSATION_ROW_REPAIR_ENTRIES_MAX, TIMELINE_HEADS_CACHED_MAX } from '../limits.js';
import { conversationAfterAppend, countsAsUnread, mentionOf } from './conversation_fold.js';
import { ConversationRows } from './conversation_rows.js';
import { TimelineHeads } from './timeline_heads.js';
import { TimelineLog } from './timeline_log.js';
import type { GroupReplicas } from './group_replicas.js';
import type { ShardStore } from './shard_store.js';
import type {
  ConversationRecord,
  StoredMessage,
  StoredTimelineEntry,
  TimelineEntry,
} from './records.js';
import { conversationKey, uidHex } from './records.js';

const SEQ_MAX = Number.MAX_SAFE_INTEGER;

export interface TimelinePage {
  readonly entries: readonly { readonly seq: number; readonly entry: TimelineEntry }[];
  /** Seq of the last entry returned, or the start point when none. */
  readonly current: number;
  readonly head: number;
}

export class Timelines {
  /** Each user's last assigned seq, a bounded cache (a miss reads the table's last key). */
  private readonly heads: TimelineHeads;
  /** Users whose head is a seq with no entry (a pointer whose replica message was not there):
   * the tables would give back a lower head, so theirs stays in memory until an entry is filed
   * at their head again (rare, and bounded by it). */
  private readonly headsUnreadable = new Set<string>();
  /** Highest seq whose commit is durable, for users with appends in flight; answers (MP,
   * CONNECT_ACK) never announce a seq a reader cannot see yet. */
  private readonly committedHeads = new Map<string, number>();
  /** [owner, uidHex] → seq of the owner's copy of a message (the newest when re-filed). */
  private readonly seqsByUid: Database<number, [string, string]>;
  /** [owner, conversationKey] → the owner's conversation list row. */
  readonly rows: ConversationRows;
  /** Appends not yet in the timeline and index tables. */
  readonly log: TimelineLog;
  private clockMs = 0;

  constructor(
    private readonly store: ShardStore,
    private readonly replicas: GroupReplicas,
    addLazy: (write: () => void) => void,
    writebackMs: number,
    headsCachedMax = TIMELINE_HEADS_CACHED_MAX,
  ) {
    this.heads = new TimelineHeads(headsCachedMax, (uid) => this.storedHead(uid), (uid) =>
      this.committedHeads.has(uid) || this.log.holds(uid) || this.headsUnreadable.has(uid));
    this.seqsByUid = store.env.openDB({ name: 'message_seqs' });
    this.log = new TimelineLog(store.env, {
      timeline: store.timeline,
      conversations: store.conversations,
      seqsByUid: this.seqsByUid,
      meta: store.meta,
    }, writebackMs);
    // Before anything reads the tables (a row repair reads the conversation index).
    this.log.replay();
    this.rows = new ConversationRows(
      store.env,
      (owner, conversation, row) => this.rowRepaired(owner, conversation, row),
      addLazy,
    );
  }

  /** The owner's row as the transactions queued so far leave it; call inside a commit's write. */
  conversationRow(owner: string, conversation: string): ConversationRecord | undefined {
    return this.rows.planned(owner, conversation);
  }

  /** Write the owner's row (a change that is not an append); call inside a commit's write. */
  conversationRowPut(owner: string, conversation: string, row: ConversationRecord): void {
    this.rows.put(owner, conversation, row);
  }

  /** `row` as stored, with the conversation's entries it has not folded yet (a crash came
   * between their commit and the row's write-back). Walks the conversation index from its
   * newest uid down to the first entry already folded: a recall re-filed under an older uid
   * further down changes nothing but the row's version. */
  private rowRepaired(
    owner: string,
    conversation: string,
    row: ConversationRecord,
  ): ConversationRecord {
    const folded = row.foldedSeq ?? row.lastSeq;
    // A row holding its newest message itself was written with every append: never behind.
    if (folded === undefined || folded === null) return row;
    const later: number[] = [];
    for (const { seq } of this.log.conversationIndex(owner, conversation, {
      start: 'g',
      end: '',
      reverse: true,
      limit: CONVERSATION_ROW_REPAIR_ENTRIES_MAX,
      durableOnly: false,
    })) {
      if (seq <= folded) break;
      later.push(seq);
    }
    if (later.length === 0) return row;
    let repaired = row;
    for (const seq of later.sort((a, b) => a - b)) {
      const message = this.entryAt(owner, seq)?.message;
      if (message === undefined) continue;
      repaired = conversationAfterAppend(repaired, owner, message, seq, this.clockNext());
    }
    return repaired;
  }

  /** The shard's conversation clock: wall ms, strictly increasing (conversation list versions). */
  clockNext(): number {
    this.clockMs = Math.max(Date.now(), this.clockMs + 1);
    return this.clockMs;
  }

  /** Seq of `owner`'s copy of the message `uid`, if the owner filed it. */
  seqOf(owner: string, uid: bigint): number | undefined {
    const hex = uidHex(uid);
    return this.log.entryOfUid(owner, hex)?.seq ?? this.seqsByUid.get([owner, hex]);
  }

  entryAt(owner: string, seq: number): TimelineEntry | undefined {
    return this.resolved(this.storedAt(owner, seq));
  }

  private storedAt(owner: string, seq: number): StoredTimelineEntry | undefined {
    const held = this.log.entryAt(owner, seq);
    return held === undefined ? this.log.stored(this.store.timeline.get([owner, seq])) : held.entry;
  }

  /** The owner's copy of message `uid`: `shared` when it is still a pointer into the group
   * replica (which recall, edit and reactions may already have changed for everyone), so the
   * owner's own update must still be applied and announced. */
  copyOf(owner: string, uid: bigint): { seq: number; message: StoredMessage; shared: boolean } | undefined {
    const seq = this.seqOf(owner, uid);
    const stored = seq === undefined ? undefined : this.storedAt(owner, seq);
    const entry = this.resolved(stored);
    if (seq === undefined || entry === undefined) return undefined;
    return { seq, message: entry.message, shared: stored?.kind === 'groupRef' };
  }

  /** A pointer entry as the message it points to (undefined if the replica lacks it). */
  private resolved(stored: StoredTimelineEntry | undefined): TimelineEntry | undefined {
    if (stored === undefined || stored.kind === 'message') return stored;
    const message = this.replicas.messageAt(stored.gid, stored.lseq);
    return message === undefined ? undefined : { kind: 'message', message };
  }

  /** Replace the entry at `seq` in place (recall); call inside a commit's write. */
  replace(owner: string, seq: number, message: StoredMessage): void {
    const entry: TimelineEntry = { kind: 'message', message };
    this.log.replace(owner, seq, entry);
  }

  head(uid: string): number {
    return this.heads.get(uid);
  }

  private storedHead(uid: string): number {
    for (const key of this.store.timeline.getKeys({
      start: [uid, SEQ_MAX],
      end: [uid, 0],
      reverse: true,
      limit: 1,
    })) {
      return key[1];
    }
    return 0;
  }

  /** Heads kept in memory (metrics, tests). */
  get headsCached(): number {
    return this.heads.size;
  }

  /** The head readers may be told about: everything up to it is committed. */
  visibleHead(uid: string): number {
    return this.committedHeads.get(uid) ?? this.head(uid);
  }

  /** A commit holding `seq` for `owner` is durable. */
  committed(owner: string, seq: number): void {
    if (seq >= (this.heads.peek(owner) ?? 0)) this.committedHeads.delete(owner);
    else if (seq > (this.committedHeads.get(owner) ?? 0)) this.committedHeads.set(owner, seq);
  }

  /** Assign the next seq to `message` for `owner`; the returned write must join a commit. */
  appendMessage(owner: string, message: StoredMessage): { seq: number; write: () => void } {
    const seq = this.seqNext(owner);
    const entry: TimelineEntry = { kind: 'message', message };
    const updateDt = this.clockNext();
    return {
      seq,
      write: () => this.filed(owner, seq, entry, message, updateDt),
    };
  }

  /** Assign the next seq to the replica's message (gid, lseq) for `owner`: a pointer entry. The
   * write reads the replica inside the transaction, so it sees a replica write queued before it;
   * when the replica has no such message (its commit failed) the seq stays a gap. */
  appendGroupRef(owner: string, gid: string, lseq: number): { seq: number; write: () => void } {
    const seq = this.seqNext(owner);
    const entry: StoredTimelineEntry = { kind: 'groupRef', gid, lseq };
    const updateDt = this.clockNext();
    return {
      seq,
      write: () => {
        const message = this.replicas.messageAt(gid, lseq);
        if (message === undefined) {
          this.headsUnreadable.add(owner);
          return;
        }
        this.filed(owner, seq, entry, message, updateDt);
      },
    };
  }

  private seqNext(owner: string): number {
    const seq = this.head(owner) + 1;
    if (!this.committedHeads.has(owner)) this.committedHeads.set(owner, seq - 1);
    this.heads.set(owner, seq);
    return seq;
  }

  /** Log the entry at `seq` (with its conversation and uid indexes) and fold it into the
   * conversation list row. */
  private filed(
    owner: string,
    seq: number,
    entry: StoredTimelineEntry,
    message: StoredMessage,
    updateDt: number,
  ): void {
    // Filed at the head: the tables give the head back again (a failed commit pins it anyway).
    if (this.headsUnreadable.size > 0 && seq === this.heads.peek(owner)) {
      this.headsUnreadable.delete(owner);
    }
    const conversation = conversationKey(owner, message);
    this.log.append(owner, seq, conversation, uidHex(message.uid), entry);
    // Read inside the transaction: it sees appends planned earlier in the same commit.
    const row = this.conversationRow(owner, conversation);
    const next = conversationAfterAppend(row, owner, message, seq, updateDt);
    this.rows.fold(owner, conversation, next, row === undefined);
  }

  /** Whether `owner` already filed `message` (exactly-once for replayed deliveries). */
  hasMessage(owner: string, message: StoredMessage): boolean {
    const conversation = conversationKey(owner, message);
    const hex = uidHex(message.uid);
    if (this.log.entryOfUid(owner, hex)?.conversation === conversation) return true;
    return this.store.conversations.doesExist([owner, conversation, hex]);
  }

  /** Entries with seq > afterSeq, at most `entriesMax` and about `bytesMax`. */
  page(uid: string, afterSeq: number, entriesMax: number, bytesMax: number): TimelinePage {
    const head = this.visibleHead(uid);
    const entries: { seq: number; entry: TimelineEntry }[] = [];
    let current = afterSeq;
    let bytes = 0;
    if (afterSeq < head) {
      for (const [seq, stored] of this.storedBetween(uid, afterSeq, head, entriesMax)) {
        const entry = this.resolved(stored);
        if (entry === undefined) {
          current = seq;
          continue;
        }
        const size = entrySizeEstimate(entry);
        if (entries.length > 0 && bytes + size > bytesMax) break;
        bytes += size;
        entries.push({ seq, entry });
        current = seq;
      }
    }
    return { entries, current, head };
  }

  /** Stored entries with afterSeq < seq ≤ throughSeq, tables and held merged, at most `limit`. */
  private storedBetween(
    uid: string,
    afterSeq: number,
    throughSeq: number,
    limit: number,
  ): [number, StoredTimelineEntry][] {
    const stored = this.store.timeline.getRange({
      start: [uid, afterSeq + 1],
      end: [uid, throughSeq + 1],
      limit,
    });
    // A held entry wins over the tables' copy (a write-back in flight, or a replacement).
    const merged = new Map<number, StoredTimelineEntry>();
    for (const { key, value } of stored) {
      const entry = this.log.stored(value);
      if (entry !== undefined) merged.set(key[1], entry);
    }
    const held = this.log.durableBetween(uid, afterSeq, throughSeq);
    if (held.length === 0) return [...merged.entries()];
    for (const entry of held) merged.set(entry.seq, entry.entry);
    return [...merged.entries()].sort((a, b) => a[0] - b[0]).slice(0, limit);
  }

  /** A conversation's messages with uid < beforeUid (0n: newest), newest first, at most about
   * `bytesMax` (always at least one). */
  history(owner: string, conversation: string, beforeUid: bigint, count: number, bytesMax: number): TimelineEntry[] {
    const out: TimelineEntry[] = [];
    let bytes = 0;
    // Reverse ranges include their start: start just below beforeUid ('g' sorts above all hex).
    const before = beforeUid === 0n ? 'g' : uidHex(beforeUid - 1n);
    for (const seq of this.historySeqs(owner, conversation, before, count)) {
      const entry = this.entryAt(owner, seq);
      if (entry === undefined) continue;
      bytes += entrySizeEstimate(entry);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(entry);
    }
    return out;
  }

  /** After a read report up to `readUid`: what is still unread in the conversation (others'
   * countable messages with a larger uid; at most `scanMax` entries are looked at). */
  unreadAfter(
    owner: string,
    conversation: string,
    readUid: bigint,
    scanMax: number,
  ): { unread: number; mentioned: number } {
    let unread = 0;
    let mentioned = 0;
    for (const { seq } of this.log.conversationIndex(owner, conversation, {
      start: uidHex(readUid + 1n),
      end: 'g',
      reverse: false,
      limit: scanMax,
      durableOnly: true,
    })) {
      const message = this.entryAt(owner, seq)?.message;
      if (message === undefined || message.from === owner) continue;
      if (!countsAsUnread(message.content.type)) continue;
      unread++;
      mentioned = Math.max(mentioned, mentionOf(owner, message));
    }
    return { unread, mentioned };
  }

  private historySeqs(owner: string, conversation: string, before: string, count: number): number[] {
    return this.log.conversationIndex(owner, conversation, {
      start: before,
      end: '',
      reverse: true,
      limit: count,
      durableOnly: true,
    }).map((entry) => entry.seq);
  }
}

/** The newest message of a conversation row, as the owner's timeline holds it now. */
export function conversationLast(
  timelines: Timelines,
  owner: string,
  row: ConversationRecord,
): StoredMessage | undefined {
  if (row.lastSeq === undefined || row.lastSeq === null) return row.last ?? undefined;
  return timelines.entryAt(owner, row.lastSeq)?.message;
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
    (content.extra?.length ?? 0) +
    (content.quote === undefined ? 0 : 40 + content.quote.preview.length) +
    (entry.message.reactions ?? []).reduce((n, r) => n + 8 + r.emoji.length + 24 * r.uids.length,
      0)
  );
}
