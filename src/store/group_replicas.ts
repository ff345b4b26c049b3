// A shard's replicas of read-fan-out group timelines and its members' cursors. The group's owner
// shard sends each message once to every shard holding members; the shard files it here under
// its own `lseq` (per group, assigned when planned, so commit order is lseq order; a failed
// commit leaves a gap). Per local member a cursor: the highest lseq materialized into the
// member's timeline (written in the same transaction as those pointer entries) and `end`, the
// last lseq the member may see (0 while a member). Also the owner's sticky "reads" flag.

import type { Database } from 'lmdb';
import { GROUP_REPLICAS_CACHED_MAX } from '../limits.js';
import type { Write } from './commit_queue.js';
import type { ShardStore } from './shard_store.js';
import { uidHex, type StoredMessage } from './records.js';

export interface MemberCursor {
  readonly cursor: number;
  /** The member left: lseqs above it are not theirs. 0 while a member. */
  readonly end: number;
}

/** One group's replica on this shard as planned (memory may run ahead of LMDB by the commits
 * in flight; a failed one marks it stale and it is reloaded once they settle). */
export class ReplicaGroup {
  /** Highest lseq planned. */
  head: number;
  readonly members = new Map<string, MemberCursor>();
  /** Members whose `end` is 0. */
  active = 0;
  inFlight = 0;
  stale = false;

  constructor(
    readonly gid: string,
    head: number,
  ) {
    this.head = head;
  }

  /** The last lseq `uid` should see now (0: not a member here). */
  lastFor(member: MemberCursor): number {
    return member.end === 0 ? this.head : Math.min(member.end, this.head);
  }
}

const KEY_END = '\uffff';
const LSEQ_MAX = Number.MAX_SAFE_INTEGER;

export class GroupReplicas {
  /** [gid, lseq] → the message (edits, recalls and reactions replace it in place). */
  private readonly messages: Database<StoredMessage, [string, number]>;
  /** uidHex → where the message sits (replayed deliveries, edits, recalls find it here). */
  private readonly uids: Database<{ readonly gid: string; readonly lseq: number }, string>;
  /** [gid, uid] → the member's cursor. */
  private readonly cursors: Database<MemberCursor, [string, string]>;
  /** [uid, gid] → 1: the read-fan-out groups a local user has a cursor in (catch-up on connect). */
  private readonly userIndex: Database<number, [string, string]>;
  /** gid → since when the group (owned here) uses read fan-out; never removed. */
  private readonly modes: Database<{ readonly sinceMs: number }, string>;
  /** Loaded groups in least-recently-used order. */
  private readonly cache = new Map<string, ReplicaGroup>();
  /** Groups owned here known to read (the flag never goes back). */
  private readonly reading = new Set<string>();

  constructor(store: ShardStore) {
    const env = store.env;
    this.messages = env.openDB({ name: 'group_replica' });
    this.uids = env.openDB({ name: 'group_replica_uids' });
    this.cursors = env.openDB({ name: 'group_cursors' });
    this.userIndex = env.openDB({ name: 'group_cursor_users' });
    this.modes = env.openDB({ name: 'group_fanout' });
  }

  /** On the group's owner: has the group switched to read fan-out? */
  readFanout(gid: string): boolean {
    if (this.reading.has(gid)) return true;
    if (!this.modes.doesExist(gid)) return false;
    this.reading.add(gid);
    return true;
  }

  /** Switch `gid` to read fan-out from now on; the write joins the commit of the first post. */
  readFanoutStart(gid: string): Write {
    this.reading.add(gid);
    const modes = this.modes;
    const record = { sinceMs: Date.now() };
    return () => void modes.put(gid, record);
  }

  /** The group's replica here, loaded on first use (an empty one when it has none yet). */
  groupOf(gid: string): ReplicaGroup {
    let group = this.cache.get(gid);
    if (group !== undefined) {
      this.cache.delete(gid);
      this.cache.set(gid, group);
      return group;
    }
    let head = 0;
    for (const key of this.messages.getKeys({ start: [gid, LSEQ_MAX], end: [gid, 0], reverse: true, limit: 1 })) {
      head = key[1];
    }
    group = new ReplicaGroup(gid, head);
    for (const { key, value } of this.cursors.getRange({ start: [gid, ''], end: [gid, KEY_END] })) {
      group.members.set(key[1], value);
      if (value.end === 0) group.active++;
    }
    this.cacheAdd(group);
    return group;
  }

  /** A commit planned against `group` settled; a stale group is dropped once none is in flight. */
  settled(group: ReplicaGroup, ok: boolean): void {
    group.inFlight--;
    if (!ok) group.stale = true;
    if (group.stale && group.inFlight === 0 && this.cache.get(group.gid) === group) {
      this.cache.delete(group.gid);
    }
  }

  /** Was the message `uid` filed here already (a replayed delivery)? */
  filed(uid: bigint): boolean {
    return this.uids.doesExist(uidHex(uid));
  }

  messageAt(gid: string, lseq: number): StoredMessage | undefined {
    return this.messages.get([gid, lseq]);
  }

  /** Give `message` the next lseq of `group`; the write must join a commit. */
  file(group: ReplicaGroup, message: StoredMessage): { lseq: number; write: Write } {
    const lseq = ++group.head;
    const gid = group.gid;
    const { messages, uids } = this;
    const where = { gid, lseq };
    const hex = uidHex(message.uid);
    return {
      lseq,
      write: () => {
        messages.put([gid, lseq], message);
        uids.put(hex, where);
      },
    };
  }

  /** Set `uid`'s cursor in memory now; the returned write makes it durable. A finished member
   * (left, everything up to `end` materialized) is forgotten. */
  memberSet(group: ReplicaGroup, uid: string, next: MemberCursor): Write {
    const before = group.members.get(uid);
    if ((before?.end ?? -1) === 0) group.active--;
    const gid = group.gid;
    const { cursors, userIndex } = this;
    if (next.end !== 0 && next.cursor >= next.end) {
      group.members.delete(uid);
      return () => {
        cursors.remove([gid, uid]);
        userIndex.remove([uid, gid]);
      };
    }
    group.members.set(uid, next);
    if (next.end === 0) group.active++;
    if (before !== undefined) return () => void cursors.put([gid, uid], next);
    return () => {
      cursors.put([gid, uid], next);
      userIndex.put([uid, gid], 1);
    };
  }

  /** The read-fan-out groups in which local user `uid` has a cursor. */
  groupsOfUser(uid: string): string[] {
    const gids: string[] = [];
    for (const key of this.userIndex.getKeys({ start: [uid, ''], end: [uid, KEY_END] })) {
      gids.push(key[1]);
    }
    return gids;
  }

  /** Inside a commit's write: replace the replica's copy of message `uid` with `next(copy)`
   * (recall, edit, reactions); `undefined` keeps it. Unknown messages are left alone. */
  messageUpdate(uid: bigint, next: (copy: StoredMessage) => StoredMessage | undefined): void {
    const where = this.uids.get(uidHex(uid));
    if (where === undefined) return;
    const copy = this.messages.get([where.gid, where.lseq]);
    const replaced = copy === undefined ? undefined : next(copy);
    if (replaced !== undefined) this.messages.put([where.gid, where.lseq], replaced);
  }

  private cacheAdd(group: ReplicaGroup): void {
    this.cache.set(group.gid, group);
    if (this.cache.size <= GROUP_REPLICAS_CACHED_MAX) return;
    for (const [gid, cached] of this.cache) {
      if (this.cache.size <= GROUP_REPLICAS_CACHED_MAX) break;
      if (cached.inFlight === 0) this.cache.delete(gid);
    }
  }
}
