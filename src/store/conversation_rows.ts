// The conversation-list rows of a shard's users, kept ahead of LMDB. Every append changes its
// conversation's row (unread count, newest message): writing the row with each append cost a
// put and a pack per append, so rows changed by appends are folded in memory and written back
// in batches (CONVERSATION_ROWS_WRITEBACK_MS, or sooner when CONVERSATION_ROWS_DIRTY_MAX wait).
// A row is a fold over its conversation's timeline entries, so a row a crash left behind is
// repaired when read (the caller's `repair` folds in the entries past the row's foldedSeq).
// A conversation's first row and changes that are not appends (read reports, settings) cannot
// be rebuilt from the timeline: they are written through.
//
// Three views: `planned` (inside a transaction: what the queued transactions leave, for the
// next fold), `committed` (readers: what durable transactions leave, LMDB plus the rows those
// committed but not yet written back) and LMDB itself.

import type { Database, RootDatabase } from 'lmdb';
import {
  CONVERSATION_ROWS_CACHED_MAX,
  CONVERSATION_ROWS_DIRTY_MAX,
} from '../limits.js';
import type { ConversationRecord } from './records.js';

/** Folds the timeline entries a stored row has not seen yet; returns the row itself when none. */
export type RowRepair =
  (owner: string, conversation: string, row: ConversationRecord) => ConversationRecord;

interface RowChange {
  readonly owner: string;
  readonly conversation: string;
  readonly row: ConversationRecord;
  /** Put in LMDB by this transaction (written through or written back). */
  readonly written: boolean;
}

function keyOf(owner: string, conversation: string): string {
  return `${owner}\u0000${conversation}`;
}

export class ConversationRows {
  readonly db: Database<ConversationRecord, [string, string]>;
  /** Rows folded by appends and not written to LMDB yet (never evicted: write-back bounds them). */
  private readonly dirty = new Map<string, RowChange>();
  /** Rows as last written, newest use last (a bounded cache of what LMDB holds or will). */
  private readonly clean = new Map<string, ConversationRecord>();
  /** owner → conversation → row left by a durable transaction and not yet in LMDB. */
  private readonly committedRows = new Map<string, Map<string, ConversationRecord>>();
  /** Changes made by the transaction whose writes are running. */
  private changes: RowChange[] = [];
  private writeBackQueued = false;

  constructor(
    env: RootDatabase,
    private readonly repair: RowRepair,
    /** Queue a write that rides in the next transaction (CommitQueue.addLazy). */
    private readonly addLazy: (write: () => void) => void,
  ) {
    this.db = env.openDB({ name: 'conversation_list' });
  }

  /** For CommitQueue.observe: collect this transaction's changes, learn its outcome. */
  readonly observer = (): ((committed: boolean) => void) => {
    const changes: RowChange[] = [];
    this.changes = changes;
    return (committed) => (committed ? this.landed(changes) : this.lost());
  };

  /** The row as the queued transactions leave it; call inside a transaction's write. */
  planned(owner: string, conversation: string): ConversationRecord | undefined {
    const key = keyOf(owner, conversation);
    const dirty = this.dirty.get(key);
    if (dirty !== undefined) return dirty.row;
    const clean = this.clean.get(key);
    if (clean !== undefined) return clean;
    const stored = this.db.get([owner, conversation]);
    return stored === undefined ? undefined : this.repair(owner, conversation, stored);
  }

  /** The row as durable transactions leave it (for readers outside a transaction). */
  committed(owner: string, conversation: string): ConversationRecord | undefined {
    const held = this.committedRows.get(owner)?.get(conversation);
    if (held !== undefined) return held;
    const stored = this.db.get([owner, conversation]);
    return stored === undefined ? undefined : this.repair(owner, conversation, stored);
  }

  /** Every row of `owner` as durable transactions leave them, and which ones were repaired. */
  committedOf(owner: string): { rows: ConversationRecord[]; repaired: string[] } {
    const held = new Map(this.committedRows.get(owner));
    const rows: ConversationRecord[] = [];
    const repaired: string[] = [];
    for (const { key, value } of this.db.getRange({ start: [owner, ''], end: [owner, '\uffff'] })) {
      const conversation = key[1];
      const newer = held.get(conversation);
      if (newer !== undefined) {
        held.delete(conversation);
        rows.push(newer);
        continue;
      }
      const row = this.repair(owner, conversation, value);
      if (row !== value) repaired.push(conversation);
      rows.push(row);
    }
    // A fold needs an earlier row, so a held row without a stored one should not exist; it is
    // listed anyway rather than hidden.
    rows.push(...held.values());
    return { rows, repaired };
  }

  /** An append changed the row; call inside a transaction's write. A conversation's first row
   * is written at once: the conversation must be listed even if a crash comes first. */
  fold(owner: string, conversation: string, row: ConversationRecord, first: boolean): void {
    if (first) {
      this.put(owner, conversation, row);
      return;
    }
    const change: RowChange = { owner, conversation, row, written: false };
    this.dirty.set(keyOf(owner, conversation), change);
    this.changes.push(change);
    if (this.dirty.size >= CONVERSATION_ROWS_DIRTY_MAX) this.writeBackSoon();
  }

  /** Write the row now (changes the timeline cannot rebuild); call inside a transaction. */
  put(owner: string, conversation: string, row: ConversationRecord): void {
    const key = keyOf(owner, conversation);
    this.dirty.delete(key);
    this.cleanSet(key, row);
    void this.db.put([owner, conversation], row);
    this.changes.push({ owner, conversation, row, written: true });
  }

  /** Queue the write-back of every changed row into the next transaction. */
  writeBackSoon(): void {
    if (this.writeBackQueued || this.dirty.size === 0) return;
    this.writeBackQueued = true;
    this.addLazy(() => this.writeBack());
  }

  /** Rows waiting for write-back (metrics, tests). */
  get waiting(): number {
    return this.dirty.size;
  }

  private writeBack(): void {
    this.writeBackQueued = false;
    // After a failed transaction `dirty` was rebuilt from the committed rows; a committed row
    // missing from it has been written by a transaction still in flight.
    for (const { owner, conversation, row } of this.dirty.values()) {
      this.put(owner, conversation, row);
    }
  }

  private landed(changes: readonly RowChange[]): void {
    for (const { owner, conversation, row, written } of changes) {
      let held = this.committedRows.get(owner);
      if (written) {
        held?.delete(conversation);
        if (held?.size === 0) this.committedRows.delete(owner);
        continue;
      }
      if (held === undefined) {
        held = new Map();
        this.committedRows.set(owner, held);
      }
      held.set(conversation, row);
    }
  }

  /** A transaction failed: what it folded never happened. Start again from the durable rows. */
  private lost(): void {
    this.clean.clear();
    this.dirty.clear();
    for (const [owner, held] of this.committedRows) {
      for (const [conversation, row] of held) {
        this.dirty.set(keyOf(owner, conversation), { owner, conversation, row, written: false });
      }
    }
  }

  private cleanSet(key: string, row: ConversationRecord): void {
    this.clean.delete(key);
    this.clean.set(key, row);
    if (this.clean.size > CONVERSATION_ROWS_CACHED_MAX) {
      const oldest = this.clean.keys().next();
      if (oldest.done !== true) this.clean.delete(oldest.value);
    }
  }
}
