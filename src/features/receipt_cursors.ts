// Receipt cursors: how far a reader has received (delivered) and read a conversation. 1:1 cursors
// live on the other party's shard ([owner, conversationKey, reader]), written with the report's
// commit. Group cursors, one per (group, member), live on the group's owner shard, in memory
// while the group is loaded, and are written back every RECEIPT_FLUSH_MS, one put per changed
// cursor per flush however many reports came: a crash forgets at most that much progress.

import type { Database } from 'lmdb';
import { ErrorCode } from '../errors.js';
import { RECEIPT_FLUSH_MS, RECEIPT_GROUPS_CACHED_MAX } from '../limits.js';
import type { ShardServices } from '../shard/services.js';

export interface ReceiptCursor {
  /** Everything up to this uid was read (0n: nothing). Read implies delivered. */
  readonly readUid: bigint;
  readonly deliveredUid: bigint;
  /** When the cursor last moved (ms). */
  readonly atMs: number;
}

/** The cursor after a report, or undefined when the report moves nothing (cursors only grow). */
export function cursorAdvance(
  cursor: ReceiptCursor | undefined,
  read: boolean,
  messageUid: bigint,
  atMs: number,
): ReceiptCursor | undefined {
  const readUid = cursor?.readUid ?? 0n;
  const deliveredUid = cursor?.deliveredUid ?? 0n;
  const nextRead = read && messageUid > readUid ? messageUid : readUid;
  const nextDelivered = messageUid > deliveredUid ? messageUid : deliveredUid;
  if (nextRead === readUid && nextDelivered === deliveredUid) return undefined;
  return { readUid: nextRead, deliveredUid: nextDelivered, atMs };
}

/** Tuple ranges over one id: ids are printable ASCII, all below this. */
const KEY_END = '\uffff';

export class GroupCursors {
  /** Loaded groups in least-recently-used order: gid → member → cursor. */
  private readonly groups = new Map<string, Map<string, ReceiptCursor>>();
  /** gid → members whose cursor changed since the last flush. */
  private dirty = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly services: ShardServices,
    private readonly db: Database<ReceiptCursor, [string, string]>,
  ) {}

  /** The cursors of `gid` (loaded on first use). */
  of(gid: string): ReadonlyMap<string, ReceiptCursor> {
    return this.loaded(gid);
  }

  /** Move `uid`'s cursor in `gid`; false when it did not move. */
  advance(gid: string, uid: string, read: boolean, messageUid: bigint, atMs: number): boolean {
    const cursors = this.loaded(gid);
    const next = cursorAdvance(cursors.get(uid), read, messageUid, atMs);
    if (next === undefined) return false;
    cursors.set(uid, next);
    this.markDirty(gid, uid);
    return true;
  }

  /** Write every changed cursor in one commit; a failed commit marks them dirty again. */
  flush(): void {
    this.timer = undefined;
    const batch = this.dirty;
    if (batch.size === 0) return;
    this.dirty = new Map();
    const rows: { key: [string, string]; cursor: ReceiptCursor }[] = [];
    for (const [gid, members] of batch) {
      const cursors = this.loaded(gid);
      for (const uid of members) {
        const cursor = cursors.get(uid);
        if (cursor !== undefined) rows.push({ key: [gid, uid], cursor });
      }
    }
    const db = this.db;
    this.services.commits.add(
      () => {
        for (const { key, cursor } of rows) db.put(key, cursor);
      },
      (code) => {
        if (code === ErrorCode.OK) return;
        // The in-memory value (maybe newer by now) is written by the next flush.
        for (const { key } of rows) this.markDirty(key[0], key[1]);
      },
    );
  }

  private markDirty(gid: string, uid: string): void {
    let members = this.dirty.get(gid);
    if (members === undefined) this.dirty.set(gid, (members = new Set()));
    members.add(uid);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), RECEIPT_FLUSH_MS);
      this.timer.unref();
    }
  }

  private loaded(gid: string): Map<string, ReceiptCursor> {
    let cursors = this.groups.get(gid);
    if (cursors !== undefined) {
      this.groups.delete(gid);
      this.groups.set(gid, cursors);
      return cursors;
    }
    cursors = new Map();
    for (const { key, value } of this.db.getRange({ start: [gid, ''], end: [gid, KEY_END] })) {
      cursors.set(key[1], value);
    }
    this.groups.set(gid, cursors);
    // Groups with unwritten cursors stay; the cache may briefly exceed its bound for them.
    for (const cached of this.groups.keys()) {
      if (this.groups.size <= RECEIPT_GROUPS_CACHED_MAX) break;
      if (!this.dirty.has(cached) && cached !== gid) this.groups.delete(cached);
    }
    return cursors;
  }
}

export interface ReceiptState {
  /** [owner, conversationKey, reader] → the reader's cursor in the owner's 1:1 conversation. */
  readonly privateCursors: Database<ReceiptCursor, [string, string, string]>;
  readonly groupCursors: GroupCursors;
}

const states = new WeakMap<ShardServices, ReceiptState>();

export function receiptStateOf(services: ShardServices): ReceiptState {
  let state = states.get(services);
  if (state === undefined) {
    const env = services.store.env;
    state = {
      privateCursors: env.openDB({ name: 'receipts' }),
      groupCursors: new GroupCursors(services, env.openDB({ name: 'receipt_cursors' })),
    };
    states.set(services, state);
  }
  return state;
}
