// Groups' durable state: on a group's owner shard its record, its members (removed ones kept with
// type REMOVED, so incremental GPGM tells clients about removals), its join requests, its send
// dedupe keys and the shard's name index of searchable groups (written with the record); on
// every user's shard the user's own list of groups. A loaded group is the truth for its shard:
// changes update it as they are planned (so later requests see them, in arrival order) and a
// failed commit marks it stale: it is reloaded from LMDB once its commits have settled.

import type { Database } from 'lmdb';
import {
  GROUP_NAME_INDEX_KEYS_MAX,
  GROUPS_CACHED_MAX,
  GROUPS_PER_USER_MAX,
} from '../limits.js';
import type { ShardServices } from '../shard/services.js';
import type { Write } from '../store/commit_queue.js';
import type { DedupeRecord } from '../store/shard_store.js';
import { MemberType, type JoinStatus } from './group_types.js';

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
  /** JoinType; missing in records written before it existed (= 0). */
  readonly joinType?: number;
  /** 1 = members may not start private chats from the group (stored and shown, see docs). */
  readonly privateChat?: number;
  /** 1 = found by GSR (name index). */
  readonly searchable?: number;
}

/** What a change may set on a group record (updateDt and joins are the edit's own). */
export type GroupRecordPatch = Partial<
  Pick<
    GroupRecord,
    | 'name'
    | 'portrait'
    | 'extra'
    | 'owner'
    | 'muteAll'
    | 'dismissed'
    | 'joinType'
    | 'privateChat'
    | 'searchable'
  >
>;

export interface JoinRequestRecord {
  readonly uid: string;
  readonly reason: string;
  /** The member whose GAM became this request; '' when the user asked (GJR). */
  readonly inviter: string;
  readonly status: JoinStatus;
  /** When it was (last) asked: it expires JOIN_REQUEST_TTL_MS later. */
  readonly createdMs: number;
  /** The group's updateDt of the change that last touched it (GJRP `version`). */
  readonly updateDt: number;
  /** Who accepted or rejected it; '' while pending. */
  readonly handler: string;
}

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
  /** [gid, uid] → that user's latest join request. */
  readonly joinRequests: Database<JoinRequestRecord, [string, string]>;
  /** [lowercased name or name from a word start, gid] → 1: searchable, live groups only. */
  readonly nameIndex: Database<number, [string, string]>;
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
    readonly requests: Map<string, JoinRequestRecord>,
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
  /** The record before the change (undefined for a new group): the name index diff. */
  private readonly before: GroupRecord | undefined;

  constructor(
    private readonly dbs: GroupDbs,
    readonly group: Group,
    isNew = false,
  ) {
    this.atMs = Math.max(Date.now(), group.record.updateDt + 1);
    this.before = isNew ? undefined : group.record;
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

  /** A member's own alias; touching updateDt so incremental GPGM returns it. */
  memberAliasSet(uid: string, alias: string): void {
    const before = this.group.members.get(uid);
    if (before === undefined) return;
    const member: MemberRecord = { ...before, alias, updateDt: this.atMs };
    this.group.members.set(uid, member);
    const { members } = this.dbs;
    const gid = this.group.record.gid;
    this.writes.push(() => members.put([gid, uid], member));
  }

  /** Store `request` (its updateDt becomes this change's), or drop the one of `uid`. */
  requestPut(request: Omit<JoinRequestRecord, 'updateDt'>): void {
    const record: JoinRequestRecord = { ...request, updateDt: this.atMs };
    this.group.requests.set(record.uid, record);
    const { joinRequests } = this.dbs;
    const gid = this.group.record.gid;
    this.writes.push(() => joinRequests.put([gid, record.uid], record));
  }

  requestDrop(uid: string): void {
    this.group.requests.delete(uid);
    const { joinRequests } = this.dbs;
    const gid = this.group.record.gid;
    this.writes.push(() => joinRequests.remove([gid, uid]));
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
    this.nameIndexWrite(record);
    return this.writes;
  }

  private nameIndexWrite(record: GroupRecord): void {
    const old = this.before === undefined ? [] : nameKeysOf(this.before);
    const fresh = nameKeysOf(record);
    const gone = old.filter((key) => !fresh.includes(key));
    const added = fresh.filter((key) => !old.includes(key));
    if (gone.length === 0 && added.length === 0) return;
    const { nameIndex } = this.dbs;
    this.writes.push(() => {
      for (const key of gone) nameIndex.remove([key, record.gid]);
      for (const key of added) nameIndex.put([key, record.gid], 1);
    });
  }
}

/** The index keys of a group: its lowercased name and the name from each word start on. */
export function nameKeysOf(record: GroupRecord): string[] {
  if (record.dismissed || record.searchable !== 1) return [];
  const name = record.name.toLowerCase();
  const keys = new Set<string>();
  if (name !== '') keys.add(name);
  for (let at = name.indexOf(' '); at !== -1; at = name.indexOf(' ', at + 1)) {
    if (keys.size >= GROUP_NAME_INDEX_KEYS_MAX) break;
    const rest = name.slice(at + 1).trimStart();
    if (rest !== '') keys.add(rest);
  }
  return [...keys];
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
    const range = { start: [gid, ''], end: [gid, KEY_END] };
    for (const { key, value } of this.dbs.members.getRange(range)) members.set(key[1], value);
    const requests = new Map<string, JoinRequestRecord>();
    for (const { key, value } of this.dbs.joinRequests.getRange(range)) {
      requests.set(key[1], value);
    }
    group = new Group(record, members, requests);
    this.cacheAdd(group);
    return group;
  }

  /** The record alone (no member load when the group is not cached). */
  recordOf(gid: string): GroupRecord | undefined {
    return this.cache.get(gid)?.record ?? this.dbs.groups.get(gid);
  }

  /** A new group, in memory; its writes come from the GroupEdit that fills it. */
  add(record: GroupRecord): Group {
    const group = new Group(record, new Map(), new Map());
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

  /** The groups of `uid` (owned by this shard), oldest join first. */
  userGroupsOf(uid: string): { groupId: string; joinedMs: number }[] {
    const range = { start: [uid, ''], end: [uid, KEY_END] };
    const list = [];
    for (const { key, value } of this.dbs.userGroups.getRange(range)) {
      list.push({ groupId: key[1], joinedMs: value.joinedMs });
    }
    return list.sort((a, b) => a.joinedMs - b.joinedMs);
  }

  /** Gids with an index key starting with `prefix` (lowercase), reading at most `keysMax`. */
  nameMatches(prefix: string, keysMax: number): Set<string> {
    const gids = new Set<string>();
    const range = { start: [prefix], end: [prefix + KEY_END], limit: keysMax };
    for (const key of this.dbs.nameIndex.getKeys(range)) gids.add(key[1]);
    return gids;
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
      joinRequests: env.openDB({ name: 'group_join_requests' }),
      nameIndex: env.openDB({ name: 'group_names' }),
    });
    tables.set(services, table);
  }
  return table;
}
