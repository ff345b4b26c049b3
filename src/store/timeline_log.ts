// Timeline appends: a per-shard log is the message store, per-user tables index it. Filing an
// entry used to cost three puts with per-user keys ([owner, seq] → entry, [owner, conversation,
// uid] and [owner, uid] → seq), and LMDB copies one page per user per table in every
// transaction that touches it: most of a commit's time (PERF.md). Now an append is one put to
// the log, whose keys only grow, and the entry is held in memory; owners whose entries have
// waited TIMELINE_WRITEBACK_MS get their index entries ([owner, seq] → log key, and the two
// seq indexes) in a later transaction, all of the owner's together. Each write-back also moves
// the log's `folded` mark (every record below it is indexed), and a start indexes the records
// from the mark on (again: index puts are idempotent). Timeline values written before the log
// existed are entries themselves and still read.
//
// An entry is `planned` while its transaction runs, `committed` once durable, `writing` while
// the transaction writing it back runs. Readers of the tables merge the held entries in.

import type { Database, RootDatabase } from 'lmdb';
import {
  TIMELINE_HELD_ENTRIES_MAX,
  TIMELINE_WRITEBACK_ENTRIES_MAX,
  TIMELINE_WRITEBACK_ENTRIES_MIN,
} from '../limits.js';
import { conversationKey, uidHex, type StoredTimelineEntry } from './records.js';

/** The tables an entry is written back to. */
export interface TimelineTables {
  /** [owner, seq] → log key (an entry itself when written before the log). */
  readonly timeline: Database<StoredTimelineEntry | number, [string, number]>;
  /** [owner, conversation, uidHex] → seq. */
  readonly conversations: Database<number, [string, string, string]>;
  /** [owner, uidHex] → seq (the newest copy when a message is filed again). */
  readonly seqsByUid: Database<number, [string, string]>;
  /** Holds the log's folded mark. */
  readonly meta: Database<unknown, string>;
}

const FOLDED_KEY = 'timelineLogFolded';

/** A message entry's conversation and uid follow from the message; a pointer entry
 * (groupRef) names them. */
interface LogRecord {
  readonly owner: string;
  readonly seq: number;
  readonly entry: StoredTimelineEntry;
  readonly conversation?: string;
  readonly hex?: string;
}

/** Where an entry is filed: the keys of its three index entries. */
interface IndexedAt {
  readonly owner: string;
  readonly seq: number;
  readonly conversation: string;
  readonly hex: string;
}

export interface HeldEntry extends IndexedAt {
  readonly logKey: number;
  entry: StoredTimelineEntry;
  state: 'planned' | 'committed' | 'writing';
}

interface OwnerHeld {
  /** seq → entry, in seq order. */
  readonly entries: Map<number, HeldEntry>;
  /** uid hex → the newest held entry filing it, built on the first lookup (resent deliveries
   * ask per receiver whether it already has the message; under a write fan-out overload an
   * owner holds hundreds of entries and a scan per receiver once took a shard thread for
   * seconds) and kept from then on; null until then, so plain appends pay nothing for it. */
  newestByHex: Map<string, HeldEntry> | null;
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
  /** Log keys of the held entries, oldest first: the first is the folded mark. */
  private readonly heldKeys = new Set<number>();
  /** Write back every held entry regardless of age (drain). */
  private everything = false;
  /** Entries the previous transaction appended: the next one writes back about twice that, so
   * the write-back keeps up with appends in small slices instead of one burst a second. */
  private appendedLast = 0;
  /** The folded mark as last written (-1: unknown, write it again). */
  private markWritten = -1;

  constructor(
    private readonly env: RootDatabase,
    private readonly tables: TimelineTables,
    private readonly writebackMs: number,
  ) {
    this.log = env.openDB({ name: 'timeline_log' });
  }

  /** Index the records from the folded mark on (a crash left them unindexed); before the
   * shard serves. */
  replay(): number {
    let replayed = 0;
    const folded = this.tables.meta.get(FOLDED_KEY);
    const start = typeof folded === 'number' ? folded : 0;
    this.env.transactionSync(() => {
      for (const { key, value } of this.log.getRange({ start })) {
        const { owner, seq, entry } = value;
        const message = entry.kind === 'message' ? entry.message : undefined;
        const conversation = value.conversation ?? (message && conversationKey(owner, message));
        const hex = value.hex ?? (message && uidHex(message.uid));
        if (conversation === undefined || hex === undefined) continue;
        this.tablesPut(key, { owner, seq, conversation, hex });
        replayed++;
      }
    });
    for (const key of this.log.getKeys({ reverse: true, limit: 1 })) this.logKeyNext = key + 1;
    return replayed;
  }

  /** Entries held in memory, not yet in the tables (metrics, drain). */
  get held(): number {
    return this.heldKeys.size;
  }

  /** Whether held entries or the folded mark wait for a transaction. */
  get needsTransaction(): boolean {
    return this.held > 0 || this.markDue;
  }

  private get markDue(): boolean {
    return this.markWritten !== this.mark();
  }

  private mark(): number {
    const oldest = this.heldKeys.values().next();
    return oldest.done === true ? this.logKeyNext : oldest.value;
  }

  /** What a timeline table value stands for. */
  stored(value: StoredTimelineEntry | number | undefined): StoredTimelineEntry | undefined {
    return typeof value === 'number' ? this.log.get(value)?.entry : value;
  }

  /** For CommitQueue.observe: writes back what is due, then learns the transaction's outcome. */
  readonly observer = (): ((committed: boolean) => void) => {
    this.appendedLast = this.changes.appended.length;
    const changes: TransactionChanges = { appended: [], replaced: [], written: [] };
    this.changes = changes;
    this.writeBackDue(changes.written);
    if (changes.written.length === 0 && this.markDue) this.foldedMark();
    return (committed) => (committed ? this.landed(changes) : this.lost(changes));
  };

  /** File `entry` at `seq` for `owner`; call inside a transaction's write. */
  append(
    owner: string,
    seq: number,
    conversation: string,
    hex: string,
    entry: StoredTimelineEntry,
  ): void {
    const logKey = this.logKeyNext++;
    const held: HeldEntry = { logKey, owner, seq, conversation, hex, entry, state: 'planned' };
    this.log.put(logKey, this.recordOf(held));
    let owned = this.owners.get(owner);
    if (owned === undefined) {
      owned = { entries: new Map(), newestByHex: null, sinceMs: performance.now() };
      this.owners.set(owner, owned);
    }
    owned.entries.set(seq, held);
    owned.newestByHex?.set(hex, held);
    this.heldKeys.add(logKey);
    this.changes.appended.push(held);
  }

  /** Replace the entry at `seq` in place (recall, edit); call inside a transaction's write. */
  replace(owner: string, seq: number, entry: StoredTimelineEntry): void {
    const held = this.owners.get(owner)?.entries.get(seq);
    if (held !== undefined) {
      this.changes.replaced.push({ held, previous: held.entry });
      held.entry = entry;
      this.log.put(held.logKey, this.recordOf(held));
      return;
    }
    const value = this.tables.timeline.get([owner, seq]);
    const record = typeof value === 'number' ? this.log.get(value) : undefined;
    if (typeof value === 'number' && record !== undefined) {
      this.log.put(value, { ...record, entry });
    } else {
      // Written before the log: the table holds the entry itself.
      this.tables.timeline.put([owner, seq], entry);
    }
  }

  /** Whether `owner` has entries not yet in the tables. */
  holds(owner: string): boolean {
    return this.owners.has(owner);
  }

  entryAt(owner: string, seq: number): HeldEntry | undefined {
    return this.owners.get(owner)?.entries.get(seq);
  }

  /** The newest held entry filing message `hex` for `owner`. */
  entryOfUid(owner: string, hex: string): HeldEntry | undefined {
    const owned = this.owners.get(owner);
    if (owned === undefined) return undefined;
    if (owned.newestByHex === null) this.uidIndexBuild(owned);
    return owned.newestByHex!.get(hex);
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
    // In seq order: a message filed again ends on its newest seq, as in the index.
    for (const held of owned.entries.values()) {
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
      while (this.needsTransaction) {
        const ok = await new Promise<boolean>((resolve) => commit(resolve));
        if (!ok) return;
      }
    } finally {
      this.everything = false;
    }
  }

  private writeBackDue(written: HeldEntry[]): void {
    const now = performance.now();
    const over = this.held > TIMELINE_HELD_ENTRIES_MAX;
    const all = this.everything || over;
    // Over the memory bound the write-back outpaces the appends, however many they are: held
    // entries shrink back under it (an overload pays the index puts inline, as before the log).
    // A transaction with no appends before it (idle store, drain) has no ack waiting behind it.
    const budget = over
      ? this.appendedLast + TIMELINE_WRITEBACK_ENTRIES_MAX
      : this.appendedLast === 0 || all
        ? TIMELINE_WRITEBACK_ENTRIES_MAX
        : Math.min(TIMELINE_WRITEBACK_ENTRIES_MAX,
          TIMELINE_WRITEBACK_ENTRIES_MIN + 2 * this.appendedLast);
    for (const owned of this.owners.values()) {
      if (written.length >= budget) return;
      if (!all && now - owned.sinceMs < this.writebackMs) return;
      for (const held of owned.entries.values()) {
        if (held.state !== 'committed') continue;
        // Before this transaction's entries leave: the mark may lag, never lead.
        if (written.length === 0) this.foldedMark();
        this.tablesPut(held.logKey, held);
        held.state = 'writing';
        written.push(held);
      }
    }
  }

  private foldedMark(): void {
    this.markWritten = this.mark();
    this.tables.meta.put(FOLDED_KEY, this.markWritten);
  }

  private tablesPut(logKey: number, at: IndexedAt): void {
    const { owner, seq, conversation, hex } = at;
    this.tables.timeline.put([owner, seq], logKey);
    this.tables.conversations.put([owner, conversation, hex], seq);
    this.tables.seqsByUid.put([owner, hex], seq);
  }

  private recordOf(held: HeldEntry): LogRecord {
    const { owner, seq, conversation, hex, entry } = held;
    return entry.kind === 'message'
      ? { owner, seq, entry }
      : { owner, seq, entry, conversation, hex };
  }

  private uidIndexBuild(owned: OwnerHeld): void {
    const index = new Map<string, HeldEntry>();
    for (const held of owned.entries.values()) index.set(held.hex, held);
    owned.newestByHex = index;
  }

  private landed(changes: TransactionChanges): void {
    for (const held of changes.appended) {
      if (held.state === 'planned') held.state = 'committed';
    }
    const touched = new Set<string>();
    for (const held of changes.written) {
      const owned = this.owners.get(held.owner);
      if (owned === undefined || owned.entries.get(held.seq) !== held) continue;
      owned.entries.delete(held.seq);
      // An owner's entries are written back oldest first, so an older copy of the same
      // message never outlives this one.
      if (owned.newestByHex?.get(held.hex) === held) owned.newestByHex.delete(held.hex);
      this.heldKeys.delete(held.logKey);
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
    this.markWritten = -1;
    for (const { held, previous } of changes.replaced.reverse()) held.entry = previous;
    for (const held of changes.written) {
      if (held.state === 'writing') held.state = 'committed';
    }
    const touched = new Set<string>();
    for (const held of changes.appended) {
      const owned = this.owners.get(held.owner);
      if (owned?.entries.get(held.seq) !== held) continue;
      owned.entries.delete(held.seq);
      this.heldKeys.delete(held.logKey);
      touched.add(held.owner);
    }
    for (const owner of touched) {
      const owned = this.owners.get(owner)!;
      if (owned.entries.size === 0) this.owners.delete(owner);
      // An older copy of a message whose newer copy failed is the newest again (rare: rebuild).
      else if (owned.newestByHex !== null) this.uidIndexBuild(owned);
    }
  }
}
