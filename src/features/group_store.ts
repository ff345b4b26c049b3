// Groups' durable state: on a group's owner shard its record, its members (removed ones kept with
// type REMOVED, so incremental GPGM tells clients about removals) and its send dedupe keys; on
// every user's shard the user's own list of groups. A loaded group is the truth for its shard:
// changes update it as they are planned (so later requests see them, in arrival order) and a
// failed commit marks it stale: it is reloaded from LMDB once its commits have settled.

import type { Database } from 'lmdb';
import { GROUPS_CACHED_MAX, GROUPS_PER_USER_MAX } from '../limits.js';
import type { ShardServices } from '../shard/services.js';
import type { Write } from '../store/commit_queue.js';
import type { DedupeRecord } from '../store/shard_store.js';
import { MemberType } from './group_types.js';

export interface GroupRecord {
  readonly gid: string;
  readonly name: string;
  readonly portrait: string;
  readonly type: number;
  readonly extra: string;
  readonly owner: string;
  readonly muteAll: boolean;
  readonly dismissed: boolean;
  readonly createdMs: number;
  /** Last change (ms, strictly increasing per group): GPGI `updateDt`. */
  readonly updateDt: number;
  /** Joins so far: the next member's joinSeq (join order decides who inherits ownership). */
  readonly joins: number;
}

/** What a change may set on a group record (updateDt and joins are the edit's own). */
export type GroupRecordPatch = Partial<
  Pick<GroupRecord, 'name' | 'portrait' | 'extra' | 'owner' | 'muteAll' | 'dismissed'>
>;

export interface MemberRecord {
  readonly type: MemberType;
  readonly alias: string;
  readonly joinSeq: number;
  /** The group's updateDt of the change that last touched this member (GPGM `version`). */
  readonly updateDt: number;
}

export interface GroupDbs {
  /** gid → group. */
  readonly groups: Database<GroupRecord, string>;
  /** [gid, uid] → member, removed ones included. */
  readonly members: Database<MemberRecord, [string, string]>;
  /** [gid, from, fromDevice, clientMessageId] → first ack of a group send. */
  readonly dedupe: Database<DedupeRecord, [string, string, string, string]>;
  /** [uid, gid] → when the user joined: the groups of a user owned by this shard. */
  readonly userGroups: Database<{ readonly joinedMs: number }, [string, string]>;
}

/** Waiters for the first commit of a client message id (retries while it is in flight). */
export type DedupeWaiter = (code: number, ack: DedupeRecord | undefined) => void;

/** Tuple ranges over one id: ids are printable ASCII, all below this. */
const KEY_END = '\uffff';

export class Group {
  /** Changes and sends planned but not yet committed. */
  inFlight = 0;
  /** A commit failed: memory may be ahead of LMDB; reload once `inFlight` is 0. */
  stale = false;
  readonly committing = new Map<string, DedupeWaiter[]>();
  private active: string[] | undefined;

  constructor(
    public record: GroupRecord,
    readonly members: Map<string, MemberRecord>,
  ) {}

  /** Members that are not removed, in no particular order (cached until the next change). */
  activeMembers(): readonly string[] {
    if (this.active === undefined) {
      this.active = [];
      for (const [uid, member] of this.members) {
        if (member.type !== MemberType.REMOVED) this.active.push(uid);
      }
    }
    return this.active;
  }

  memberOf(uid: string): MemberRecord | undefined {
    const member = this.members.get(uid);
    return member === undefined || member.type === MemberType.REMOVED ? undefined : member;
  }

  membersChanged(): void {
    this.active = undefined;
  }
}

/**
 * One change to one group: every member and record update carries the same new updateDt, and
 * the writes it returns must join the commit of the change's effects.
 */
export class GroupEdit {
  readonly writes: Write[] = [];
  readonly atMs: number;

  constructor(
    private readonly dbs: GroupDbs,
    readonly group: Group,
  ) {
    this.atMs = Math.max(Date.now(), group.record.updateDt + 1);
  }

  /** Set `uid`'s type; a member who was not active joins (last in join order). */
  memberSet(uid: string, type: MemberType): void {
    const { group } = this;
    const before = group.members.get(uid);
    let joinSeq = before?.joinSeq ?? 0;
    if (before === undefined || before.type === MemberType.REMOVED) {
      joinSeq = group.record.joins;
      group.record = { ...group.record, joins: joinSeq + 1 };
    }
    const member: MemberRecord = { type, alias: before?.alias ?? '', joinSeq, updateDt: this.atMs };
    group.members.set(uid, member);
    group.membersChanged();
    const members = this.dbs.members;
    const gid = group.record.gid;
    this.writes.push(() => members.put([gid, uid], member));
  }

  recordPatch(patch: GroupRecordPatch): void {
    this.group.record = { ...this.group.record, ...patch };
  }

  /** The writes of the change, the group record (with the new updateDt) last. */
  finish(): Write[] {
    const record: GroupRecord = { ...this.group.record, updateDt: this.atMs };
    this.group.record = record;
    const groups = this.dbs.groups;
    this.writes.push(() => groups.put(record.gid, record));
    return this.writes;
  }
}

export class GroupTable {
  /** Loaded groups in least-recently-used order (Map order, refreshed on use). */
  private readonly cache = new Map<string, Group>();

  constructor(readonly dbs: GroupDbs) {}

  /** The group (loaded on first use), or undefined when it never existed. */
  get(gid: string): Group | undefined {
    let group = this.cache.get(gid);
    if (group !== undefined) {
      this.cache.delete(gid);
      this.cache.set(gid, group);
      return group;
    }
    const record = this.dbs.groups.get(gid);
    if (record === undefined) return undefined;
    const members = new Map<string, MemberRecord>();
    for (const { key, value } of this.dbs.members.getRange({
      start: [gid, ''],
      end: [gid, KEY_END],
    })) {
      members.set(key[1], value);
    }
    group = new Group(record, members);
    this.cacheAdd(group);
    return group;
  }

  /** A new group, in memory; its writes come from the GroupEdit that fills it. */
  add(record: GroupRecord): Group {
    const group = new Group(record, new Map());
    this.cacheAdd(group);
    return group;
  }

  /** A commit of `group` settled; a stale group is dropped once nothing is in flight. */
  settled(group: Group): void {
    group.inFlight--;
    if (group.stale && group.inFlight === 0 && this.cache.get(group.record.gid) === group) {
      this.cache.delete(group.record.gid);
    }
  }

  /** Is `uid` (owned by this shard) in GROUPS_PER_USER_MAX groups already? */
  userFull(uid: string): boolean {
    const count = this.dbs.userGroups.getCount({ start: [uid, ''], end: [uid, KEY_END] });
    return count >= GROUPS_PER_USER_MAX;
  }

  private cacheAdd(group: Group): void {
    this.cache.set(group.record.gid, group);
    if (this.cache.size <= GROUPS_CACHED_MAX) return;
    for (const [gid, cached] of this.cache) {
      if (this.cache.size <= GROUPS_CACHED_MAX) break;
      if (cached.inFlight === 0) this.cache.delete(gid);
    }
  }
}

const tables = new WeakMap<ShardServices, GroupTable>();

/** The shard's group table, its databases opened on first use. */
export function groupTableOf(services: ShardServices): GroupTable {
  let table = tables.get(services);
  if (table === undefined) {
    const env = services.store.env;
    table = new GroupTable({
      groups: env.openDB({ name: 'groups' }),
      members: env.openDB({ name: 'group_members' }),
      dedupe: env.openDB({ name: 'group_dedupe' }),
      userGroups: env.openDB({ name: 'user_groups' }),
    });
    tables.set(services, table);
  }
  return table;
}
