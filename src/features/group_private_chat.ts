// The private-chat barrier of groups with `privateChat` 1 (GMI type 5): two normal (or muted)
// members of such a group may not send each other 1:1 messages unless they are friends; the
// owner and managers may write and be written to. The check runs on the sender's shard in the
// 1:1 send path, so every shard holding a normal member keeps a replica of the group's normal
// members (DB `group_private_chat`), written by an idempotent state op that the group's owner
// shard commits with every change that alters the set (last writer wins by the change's time).

import type { Database } from 'lmdb';
import { ErrorCode } from '../errors.js';
import type { Effect } from '../router/effects.js';
import type { ShardServices } from '../shard/services.js';
import { friendDbs, FriendState } from './friend_store.js';
import type { Group } from './group_store.js';
import { MemberType } from './group_types.js';
import type { Applied } from './state_ops.js';

/** The normal members of a group whose private chat is off; none once it is back on. */
export interface PrivateChatOp {
  readonly feature: 'groups';
  readonly kind: 'privateChat';
  readonly gid: string;
  /** The group change's time (strictly increasing per group): older ops never win. */
  readonly version: number;
  readonly normals: readonly string[];
}

interface PrivateChatRecord {
  readonly version: number;
  readonly normals: readonly string[];
}

/** A shard's replicas: what LMDB holds, indexed in memory for the send-path check. */
interface Barrier {
  readonly db: Database<PrivateChatRecord, string>;
  readonly groups: Map<string, { version: number; normals: Set<string> }>;
  /** Local users → the barred groups they are a normal member of. */
  readonly byUser: Map<string, Set<string>>;
}

const barriers = new WeakMap<ShardServices, Barrier>();

function barrierOf(services: ShardServices): Barrier {
  let barrier = barriers.get(services);
  if (barrier === undefined) {
    const db = services.store.env.openDB<PrivateChatRecord, string>({
      name: 'group_private_chat',
    });
    barrier = { db, groups: new Map(), byUser: new Map() };
    for (const { key, value } of db.getRange({})) barrierSet(services, barrier, key, value);
    barriers.set(services, barrier);
  }
  return barrier;
}

function barrierSet(
  services: ShardServices,
  barrier: Barrier,
  gid: string,
  record: PrivateChatRecord,
): void {
  const local = (uid: string): boolean => services.partitions.shardOf(uid) === services.shardId;
  for (const uid of barrier.groups.get(gid)?.normals ?? []) {
    const gids = barrier.byUser.get(uid);
    gids?.delete(gid);
    if (gids?.size === 0) barrier.byUser.delete(uid);
  }
  const normals = new Set(record.normals);
  barrier.groups.set(gid, { version: record.version, normals });
  for (const uid of normals) {
    if (!local(uid)) continue;
    let gids = barrier.byUser.get(uid);
    if (gids === undefined) barrier.byUser.set(uid, (gids = new Set()));
    gids.add(gid);
  }
}

/** May `from` (owned here) send a 1:1 message to `target`? 248 when a barred group holds both
 * as normal members and they are not friends. One map miss for users in no such group. */
export function privateChatCheck(services: ShardServices, from: string, target: string): ErrorCode {
  const barrier = barrierOf(services);
  const gids = barrier.byUser.get(from);
  if (gids === undefined || from === target) return ErrorCode.OK;
  for (const gid of gids) {
    if (barrier.groups.get(gid)?.normals.has(target) !== true) continue;
    const friend = friendDbs(services).friends.get([from, target]);
    return friend?.state === FriendState.FRIEND ? ErrorCode.OK : ErrorCode.NO_RIGHT;
  }
  return ErrorCode.OK;
}

/** Last writer wins by `version`, judged against LMDB (a failed commit leaves nothing behind,
 * and the outbox's resend then applies it); memory follows once the commit is durable. */
export function privateChatApply(services: ShardServices, op: PrivateChatOp): Applied {
  const barrier = barrierOf(services);
  const newer = (): boolean => (barrier.db.get(op.gid)?.version ?? -1) < op.version;
  if (!newer()) return {};
  const record: PrivateChatRecord = { version: op.version, normals: op.normals };
  return {
    // Inside the transaction reads see its own writes: of two ops in one commit, the newer wins.
    write: () => {
      if (newer()) barrier.db.put(op.gid, record);
    },
    after: () => {
      const known = barrier.groups.get(op.gid)?.version ?? -1;
      if (known < op.version) barrierSet(services, barrier, op.gid, record);
    },
  };
}

/** The sorted normal members while the group bars private chat, else none. */
export function privateChatNormals(group: Group): readonly string[] {
  const { record } = group;
  if (record.privateChat !== 1 || record.dismissed) return [];
  const normals = group.activeMembers().filter((uid) => {
    const type = group.memberOf(uid)?.type;
    return type === MemberType.NORMAL || type === MemberType.SILENT;
  });
  return normals.sort();
}

/** After a change of `group` on its owner shard: the ops that bring every shard holding a
 * normal member, before or after, up to date (none when the set did not change). */
export function privateChatEffects(
  services: ShardServices,
  group: Group,
  before: readonly string[],
  version: number,
): Effect[] {
  const after = privateChatNormals(group);
  if (before.length === after.length && before.every((uid, i) => uid === after[i])) return [];
  // One address per shard: a state op is applied by the shard owning its `owner`.
  const addresses = new Map<number, string>();
  for (const uid of [...before, ...after]) {
    const shard = services.partitions.shardOf(uid);
    if (!addresses.has(shard)) addresses.set(shard, uid);
  }
  const op: PrivateChatOp = {
    feature: 'groups',
    kind: 'privateChat',
    gid: group.record.gid,
    version,
    normals: after,
  };
  return [...addresses.values()].map((owner) => ({ kind: 'state', owner, op }));
}
