// Chat rooms' durable state. On a room's owner shard: the room record, its members (one row per
// (room, uid): joins survive reconnects and restarts) and its history window, the last
// CHATROOM_HISTORY_MAX messages (one row per message, not one per member: rooms are read-fan-out).
// On every user's shard: the user's own list of rooms (CHATROOM_ROOMS_PER_USER_MAX).
// A loaded room is the truth for its shard; a failed commit drops it so it reloads from LMDB.

import type { Database } from 'lmdb';
import {
  CHATROOM_HISTORY_MAX,
  CHATROOM_ROOMS_PER_USER_MAX,
  CHATROOMS_CACHED_MAX,
} from '../limits.js';
import type { ShardServices } from '../shard/services.js';
import type { Write } from '../store/commit_queue.js';
import { uidHex, type StoredMessage } from '../store/records.js';
import type { DedupeRecord } from '../store/shard_store.js';

export interface RoomRecord {
  readonly roomId: string;
  readonly createdMs: number;
}

/** One message of a room's window, with the dedupe key of its send ('' when the client gave
 * no message id): a retry within the window gets the first ack. */
export interface RoomHistoryRecord {
  readonly message: StoredMessage;
  readonly clientKey: string;
}

export interface ChatroomDbs {
  /** roomId → room. */
  readonly rooms: Database<RoomRecord, string>;
  /** [roomId, uid] → when the member joined. */
  readonly members: Database<{ readonly joinedMs: number }, [string, string]>;
  /** [roomId, uidHex] → message: the window, oldest first in key order. */
  readonly history: Database<RoomHistoryRecord, [string, string]>;
  /** [uid, roomId] → when the user joined: the rooms of a user owned by this shard. */
  readonly userRooms: Database<{ readonly joinedMs: number }, [string, string]>;
}

/** Tuple ranges over one id: ids are printable ASCII, all below this. */
export const KEY_END = '\uffff';

export type RoomDedupeWaiter = (code: number, ack: DedupeRecord | undefined) => void;

export class Room {
  /** Uids of the window's messages, oldest first (at most CHATROOM_HISTORY_MAX). */
  private readonly window: bigint[] = [];
  /** clientKey → ack, for the messages still in the window; uid → clientKey to prune it. */
  private readonly acks = new Map<string, DedupeRecord>();
  private readonly keyOfUid = new Map<bigint, string>();
  /** Sends whose first commit is still running: retries wait for its ack. */
  readonly committing = new Map<string, RoomDedupeWaiter[]>();

  constructor(
    readonly record: RoomRecord,
    readonly members: Set<string>,
  ) {}

  ackOf(clientKey: string): DedupeRecord | undefined {
    return this.acks.get(clientKey);
  }

  /** Add `message` to the window; the writes (its row, and the oldest row's removal when the
   * window is full) must join one commit. */
  historyAppend(dbs: ChatroomDbs, message: StoredMessage, clientKey: string): Write[] {
    const roomId = this.record.roomId;
    const record: RoomHistoryRecord = { message, clientKey };
    const writes: Write[] = [() => void dbs.history.put([roomId, uidHex(message.uid)], record)];
    this.remember(message, clientKey);
    while (this.window.length > CHATROOM_HISTORY_MAX) {
      const oldest = this.window.shift() as bigint;
      const key = this.keyOfUid.get(oldest);
      if (key !== undefined) this.acks.delete(key);
      this.keyOfUid.delete(oldest);
      writes.push(() => void dbs.history.remove([roomId, uidHex(oldest)]));
    }
    return writes;
  }

  /** Used by the loader too (rows arrive oldest first). */
  remember(message: StoredMessage, clientKey: string): void {
    this.window.push(message.uid);
    if (clientKey === '') return;
    const ack = { messageUid: message.uid, timestamp: message.timestamp, atMs: message.timestamp };
    this.acks.set(clientKey, ack);
    this.keyOfUid.set(message.uid, clientKey);
  }
}

export class ChatroomTable {
  /** Loaded rooms in least-recently-used order (Map order, refreshed on use). */
  private readonly cache = new Map<string, Room>();
  /** Commits in flight per room: a room is evicted only when it has none. */
  private readonly inFlight = new Map<string, number>();

  constructor(readonly dbs: ChatroomDbs) {}

  /** The room (loaded on first use), or undefined when nobody ever joined it. */
  get(roomId: string): Room | undefined {
    let room = this.cache.get(roomId);
    if (room !== undefined) {
      this.cache.delete(roomId);
      this.cache.set(roomId, room);
      return room;
    }
    const record = this.dbs.rooms.get(roomId);
    if (record === undefined) return undefined;
    const members = new Set<string>();
    // Fresh range objects: lmdb-js getKeys marks the options it is given as keys-only.
    const range = () => ({ start: [roomId, ''], end: [roomId, KEY_END] });
    for (const key of this.dbs.members.getKeys(range())) members.add(key[1]);
    room = new Room(record, members);
    for (const { value } of this.dbs.history.getRange(range())) {
      room.remember(value.message, value.clientKey);
    }
    this.cacheAdd(room);
    return room;
  }

  /** A new room in memory; the caller commits its record with the first join. */
  add(roomId: string): Room {
    const room = new Room({ roomId, createdMs: Date.now() }, new Set());
    this.cacheAdd(room);
    return room;
  }

  /** Run `writes` in the next commit; a failure drops the room (memory may be ahead). */
  commit(services: ShardServices, room: Room, writes: Write[], done: (code: number) => void): void {
    const roomId = room.record.roomId;
    this.inFlight.set(roomId, (this.inFlight.get(roomId) ?? 0) + 1);
    const write: Write = () => {
      for (const each of writes) each();
    };
    services.commits.add(write, (code) => {
      const left = (this.inFlight.get(roomId) ?? 1) - 1;
      if (left === 0) this.inFlight.delete(roomId);
      else this.inFlight.set(roomId, left);
      if (code !== 0 && this.cache.get(roomId) === room) this.cache.delete(roomId);
      done(code);
    });
  }

  /** Has `uid` (owned by this shard) joined CHATROOM_ROOMS_PER_USER_MAX rooms already? */
  userFull(uid: string): boolean {
    const count = this.dbs.userRooms.getCount({ start: [uid, ''], end: [uid, KEY_END] });
    return count >= CHATROOM_ROOMS_PER_USER_MAX;
  }

  private cacheAdd(room: Room): void {
    this.cache.set(room.record.roomId, room);
    if (this.cache.size <= CHATROOMS_CACHED_MAX) return;
    for (const [roomId] of this.cache) {
      if (this.cache.size <= CHATROOMS_CACHED_MAX) break;
      if (!this.inFlight.has(roomId)) this.cache.delete(roomId);
    }
  }
}

const tables = new WeakMap<ShardServices, ChatroomTable>();

/** The shard's room table, its databases opened on first use. */
export function chatroomTableOf(services: ShardServices): ChatroomTable {
  let table = tables.get(services);
  if (table === undefined) {
    const env = services.store.env;
    table = new ChatroomTable({
      rooms: env.openDB({ name: 'chatrooms' }),
      members: env.openDB({ name: 'chatroom_members' }),
      history: env.openDB({ name: 'chatroom_history' }),
      userRooms: env.openDB({ name: 'user_chatrooms' }),
    });
    tables.set(services, table);
  }
  return table;
}
