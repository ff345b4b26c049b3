// Timeline appends, held ahead of their tables. Filing an entry used to cost three puts with
// per-user keys ([owner, seq] timeline, [owner, conversation, uid] and [owner, uid] indexes),
// and LMDB copies one page per user per table in every transaction that touches it: most of a
// commit's time (PERF.md). Now an append is one put to a per-shard log whose keys only grow,
// and the entry is held in memory; owners whose entries have waited TIMELINE_WRITEBACK_MS are
// written to the tables in a later transaction, all of an owner's entries together (one page
// copy for a second of appends), and their log records are removed in that same transaction.
// The log always holds exactly the entries the tables lack, so a start replays what it finds.
//
// An entry is `planned` while its transaction runs, `committed` once durable, `writing` while
// the transaction writing it back runs. Readers of the tables merge the held entries in.

import type { Database, RootDatabase } from 'lmdb';
import { TIMELINE_HELD_ENTRIES_MAX, TIMELINE_WRITEBACK_ENTRIES_MAX } from '../limits.js';
import type { StoredTimelineEntry } from './records.js';

/** The tables an entry is written back to. */
export interface TimelineTables {
  /** [owner, seq] → entry. */
  readonly timeline: Database<StoredTimelineEntry, [string, number]>;
  /** [owner, conversation, uidHex] → seq. */
  readonly conversations: Database<number, [string, string, string]>;
  /** [owner, uidHex] → seq (the newest copy when a message is filed again). */
  readonly seqsByUid: Database<number, [string, string]>;
}

interface LogRecord {
  readonly owner: string;
  readonly seq: number;
  readonly conversation: string;
  readonly hex: string;
  readonly entry: StoredTimelineEntry;
}

export interface HeldEntry {
  readonly logKey: number;
  readonly owner: string;
  readonly seq: number;
  readonly conversation: string;
  readonly hex: string;
  entry: StoredTimelineEntry;
  state: 'planned' | 'committed' | 'writing';
  /** Replaced while being written back: write it again. */
  rewrite: boolean;
}

interface OwnerHeld {
  /** seq → entry, in seq order. */
  readonly entries: Map<number, HeldEntry>;
  /** uidHex → the newest entry filing that message. */
  readonly uids: Map<string, HeldEntry>;
  /** When the oldest entry not yet written back came (owners stay in this order). */
  sinceMs: number;
}

/** One transaction's changes, undone if it fails. */
interface TransactionChanges {
  readonly appended: HeldEntry[];
  readonly replaced: { readonly held: HeldEntry; readonly previous: StoredTimelineEntry }[];
  readonly written: HeldEntry[];
}

/** A conversation index entry: the message's uid (hex) and the owner's seq for it. */
export interface IndexEntry {
  readonly hex: string;
  readonly seq: number;
}

export class TimelineLog {
  private readonly log: Database<LogRecord, number>;
  private readonly owners = new Map<string, OwnerHeld>();
  private logKeyNext = 1;
  private changes: TransactionChanges = { appended: [], replaced: [], written: [] };
  /** Entries held in memory (any state). */
  private heldCount = 0;
  /** Write back every held entry regardless of age (drain). */
  private everything = false;

  constructor(
    private readonly env: RootDatabase,
    private readonly tables: TimelineTables,
    private readonly writebackMs: number,
  ) {
    this.log = env.openDB({ name: 'timeline_log' });
  }

  /** Write what a crash left in the log to the tables (before the shard serves). */
  replay(): number {
    let replayed = 0;
    this.env.transactionSync(() => {
      for (const { key, value } of this.log.getRange({})) {
        this.tablesPut(value);
        this.log.remove(key);
        this.logKeyNext = Math.max(this.logKeyNext, key + 1);
        replayed++;
      }
    });
    return replayed;
  }

  /** Entries held in memory, not yet in the tables (metrics, drain). */
  get held(): number {
    return this.heldCount;
  }

  /** For CommitQueue.observe: writes back what is due, then learns the transaction's outcome. */
  readonly observer = (): ((committed: boolean) => void) => {
    const changes: TransactionChanges = { appended: [], replaced: [], written: [] };
    this.changes = changes;
    this.writeBackDue(changes.written);
    return (committed) => (committed ? this.landed(changes) : this.lost(changes));
  };

  /** File `entry` at `seq` for `owner`; call inside a transaction's write. */
  append(owner: string, seq: number, conversation: string, hex: string, entry: StoredTimelineEntry): void {
    const logKey = this.logKeyNext++;
    this.log.put(logKey, { owner, seq, conversation, hex, entry });
    let owned = this.owners.get(owner);
    if (owned === undefined) {
      owned = { entries: new Map(), uids: new Map(), sinceMs: performance.now() };
      this.owners.set(owner, owned);
    }
    const held: HeldEntry = {
      logKey, owner, seq, conversation, hex, entry, state: 'planned', rewrite: false,
    };
    owned.entries.set(seq, held);
    owned.uids.set(hex, held);
    this.heldCount++;
    this.changes.appended.push(held);
  }

  /** Replace a held entry (recall, edit); false when the entry is in the tables already. Call
   * inside a transaction's write. */
  replace(owner: string, seq: number, entry: StoredTimelineEntry): boolean {
    const held = this.owners.get(owner)?.entries.get(seq);
    if (held === undefined) return false;
    this.changes.replaced.push({ held, previous: held.entry });
    held.entry = entry;
    if (held.state === 'writing') held.rewrite = true;
    this.log.put(held.logKey, this.recordOf(held));
    return true;
  }

  entryAt(owner: string, seq: number): HeldEntry | undefined {
    return this.owners.get(owner)?.entries.get(seq);
  }

  /** The newest held entry filing message `hex` for `owner`. */
  entryOfUid(owner: string, hex: string): HeldEntry | undefined {
    return this.owners.get(owner)?.uids.get(hex);
  }

  /** Held entries with afterSeq < seq ≤ throughSeq whose transaction is durable, in seq order. */
  durableBetween(owner: string, afterSeq: number, throughSeq: number): HeldEntry[] {
    const owned = this.owners.get(owner);
    if (owned === undefined) return [];
    const out: HeldEntry[] = [];
    for (const held of owned.entries.values()) {
      if (held.seq > afterSeq && held.seq <= throughSeq && held.state !== 'planned') out.push(held);
    }
    return out;
  }

  /** The conversation index as the tables and the held entries make it: like an LMDB range
   * over [owner, conversation, hex] (`start` included, `end` not), at most `limit` entries. */
  conversationIndex(
    owner: string,
    conversation: string,
    range: { start: string; end: string; reverse: boolean; limit: number; durableOnly: boolean },
  ): IndexEntry[] {
    const { start, end, reverse, limit } = range;
    const stored = this.tables.conversations.getRange({
      start: [owner, conversation, start],
      end: [owner, conversation, end],
      reverse,
      limit,
    });
    const owned = this.owners.get(owner);
    if (owned === undefined) {
      const out: IndexEntry[] = [];
      for (const { key, value } of stored) out.push({ hex: key[2], seq: value });
      return out;
    }
    const merged = new Map<string, number>();
    for (const { key, value } of stored) merged.set(key[2], value);
    for (const held of owned.uids.values()) {
      if (held.conversation !== conversation) continue;
      const inside = reverse
        ? held.hex <= start && held.hex > end
        : held.hex >= start && held.hex < end;
      if (!inside || (range.durableOnly && held.state === 'planned')) continue;
      merged.set(held.hex, held.seq);
    }
    const hexes = [...merged.keys()].sort();
    if (reverse) hexes.reverse();
    return hexes.slice(0, limit).map((hex) => ({ hex, seq: merged.get(hex)! }));
  }

  /** Write back every held entry (drain): `commit` runs a transaction and calls back when done. */
  async writeBackAll(commit: (done: (ok: boolean) => void) => void): Promise<void> {
    this.everything = true;
    try {
      while (this.heldCount > 0) {
        const ok = await new Promise<boolean>((resolve) => commit(resolve));
        if (!ok) return;
      }
    } finally {
      this.everything = false;
    }
  }

  private writeBackDue(written: HeldEntry[]): void {
    const now = performance.now();
    const all = this.everything || this.heldCount > TIMELINE_HELD_ENTRIES_MAX;
    for (const owned of this.owners.values()) {
      if (written.length >= TIMELINE_WRITEBACK_ENTRIES_MAX) return;
      if (!all && now - owned.sinceMs < this.writebackMs) return;
      for (const held of owned.entries.values()) {
        if (held.state !== 'committed') continue;
        this.tablesPut(held);
        this.log.remove(held.logKey);
        held.state = 'writing';
        written.push(held);
      }
    }
  }

  private tablesPut(record: LogRecord | HeldEntry): void {
    const { owner, seq, conversation, hex } = record;
    this.tables.timeline.put([owner, seq], record.entry);
    this.tables.conversations.put([owner, conversation, hex], seq);
    this.tables.seqsByUid.put([owner, hex], seq);
  }

  private recordOf(held: HeldEntry): LogRecord {
    const { owner, seq, conversation, hex, entry } = held;
    return { owner, seq, conversation, hex, entry };
  }

  private landed(changes: TransactionChanges): void {
    for (const held of changes.appended) {
      if (held.state === 'planned') held.state = 'committed';
    }
    const touched = new Set<string>();
    for (const held of changes.written) {
      if (held.rewrite) {
        // The replacement's log record is durable; the tables still have the old entry.
        held.rewrite = false;
        held.state = 'committed';
        continue;
      }
      const owned = this.owners.get(held.owner);
      if (owned === undefined || owned.entries.get(held.seq) !== held) continue;
      owned.entries.delete(held.seq);
      if (owned.uids.get(held.hex) === held) owned.uids.delete(held.hex);
      this.heldCount--;
      touched.add(held.owner);
    }
    const now = performance.now();
    for (const owner of touched) {
      const owned = this.owners.get(owner)!;
      this.owners.delete(owner);
      // Entries that came since wait their own turn, behind the owners already waiting.
      if (owned.entries.size === 0) continue;
      owned.sinceMs = now;
      this.owners.set(owner, owned);
    }
  }

  /** A transaction failed: its appends never happened, its replacements are undone and what it
   * wrote back is still only in the log. */
  private lost(changes: TransactionChanges): void {
    for (const { held, previous } of changes.replaced.reverse()) held.entry = previous;
    for (const held of changes.written) {
      if (held.state === 'writing') held.state = 'committed';
    }
    const touched = new Set<string>();
    for (const held of changes.appended) {
      const owned = this.owners.get(held.owner);
      if (owned?.entries.get(held.seq) !== held) continue;
      owned.entries.delete(held.seq);
      this.heldCount--;
      touched.add(held.owner);
    }
    for (const owner of touched) {
      const owned = this.owners.get(owner)!;
      owned.uids.clear();
      for (const held of owned.entries.values()) owned.uids.set(held.hex, held);
      if (owned.entries.size === 0) this.owners.delete(owner);
    }
  }
}
