// Blacklists (Magpie's BL/BLP). The blocker's list lives on the blocker's shard; a replica
// "blocked by X" is written on the blocked user's shard (the `blockedBySet` op), so the checks
// a blocked user's own requests meet (MS → 246, FAR → 18) are answered locally, with no
// cross-shard round trip on the send path. Both ops are idempotent, last writer by origin time.

import { ErrorCode } from '../errors.js';
import { BLACKLIST_PER_USER_MAX } from '../limits.js';
import { asFields, fieldInteger } from '../protocol/fields.js';
import { SubSignal } from '../protocol/signals.js';
import type { Effect } from '../router/effects.js';
import { effectsCommit } from '../shard/effects_commit.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Inbound, Session } from '../transport/session.js';
import { uidFieldOf, versionDecode } from './friend_decode.js';
import { friendClockNext, friendDbs, ownerRange } from './friend_store.js';
import type { Applied } from './state_ops.js';

/** The owner blocks (or unblocks) `peer`. */
export interface BlacklistSetOp {
  readonly feature: 'friends';
  readonly kind: 'blacklistSet';
  readonly peer: string;
  readonly blocked: boolean;
  readonly atMs: number;
}

/** `peer` has blocked (or unblocked) the owner: the replica on the owner's shard. */
export interface BlockedBySetOp {
  readonly feature: 'friends';
  readonly kind: 'blockedBySet';
  readonly peer: string;
  readonly blocked: boolean;
  readonly atMs: number;
}

export function blacklistSetApply(
  services: ShardServices,
  owner: string,
  op: BlacklistSetOp,
): Applied {
  const db = friendDbs(services).blacklist;
  const key: [string, string] = [owner, op.peer];
  const stale = (): boolean => {
    const current = db.get(key);
    return current !== undefined && current.changedMs >= op.atMs;
  };
  if (stale()) return {};
  const updateDt = friendClockNext(services);
  return {
    write: () => {
      if (!stale()) db.put(key, { blocked: op.blocked, changedMs: op.atMs, updateDt });
    },
  };
}

export function blockedBySetApply(
  services: ShardServices,
  owner: string,
  op: BlockedBySetOp,
): Applied {
  const db = friendDbs(services).blockedBy;
  const key: [string, string] = [owner, op.peer];
  const stale = (): boolean => {
    const current = db.get(key);
    return current !== undefined && current.changedMs >= op.atMs;
  };
  if (stale()) return {};
  return {
    // An unblock keeps a tombstone: its time keeps a replayed older block from winning.
    write: () => {
      if (!stale()) db.put(key, { blocked: op.blocked, changedMs: op.atMs });
    },
  };
}

/** Has `blocker` blocked `owner`? (owner is local: answered from the replica). */
export function blockedBy(services: ShardServices, owner: string, blocker: string): boolean {
  return friendDbs(services).blockedBy.get([owner, blocker])?.blocked === true;
}

/** Has `owner` blocked `peer`? (owner is local). */
export function blocks(services: ShardServices, owner: string, peer: string): boolean {
  return friendDbs(services).blacklist.get([owner, peer])?.blocked === true;
}

/** May `from` send a private message to `target`? 246 when target has blocked from. */
export function privateSendCheck(services: ShardServices, from: string, target: string): ErrorCode {
  return blockedBy(services, from, target) ? ErrorCode.IN_BLACKLIST : ErrorCode.OK;
}

function blacklistCount(services: ShardServices, owner: string): number {
  let count = 0;
  const range = friendDbs(services).blacklist.getRange(ownerRange(owner));
  for (const { value } of range) if (value.blocked) count++;
  return count;
}

/** BL `{targetUid, status}`: status 1 (default) blocks, 0 unblocks; `{"code":200}`. */
export function blHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const replyTo = replyToOf(services, session, frame);
  const fields = asFields(frame.content);
  const peer = fields === undefined ? undefined : uidFieldOf(fields, 'targetUid', 'targetUserId');
  const status = fields === undefined ? undefined : fieldInteger(fields, 'status', 1);
  if (peer === undefined || peer === uid || (status !== 0 && status !== 1)) {
    return reply(services, replyTo, SubSignal.BL, ErrorCode.INVALID_PARAMETER);
  }
  const blocked = status === 1;
  const full = blacklistCount(services, uid) >= BLACKLIST_PER_USER_MAX;
  if (blocked && full && !blocks(services, uid, peer)) {
    return reply(services, replyTo, SubSignal.BL, ErrorCode.INVALID_PARAMETER);
  }
  const atMs = Date.now();
  const effects: Effect[] = [
    {
      kind: 'state',
      owner: uid,
      op: { feature: 'friends', kind: 'blacklistSet', peer, blocked, atMs },
    },
    {
      kind: 'state',
      owner: peer,
      op: { feature: 'friends', kind: 'blockedBySet', peer: uid, blocked, atMs },
    },
  ];
  effectsCommit(services, effects, [], (code) => reply(services, replyTo, SubSignal.BL, code));
}

/** BLP `{version}` → `[{uid, state, timestamp}]` changed after version (0 blocked, 1 removed). */
export function blpHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const version = versionDecode(frame.content);
  const changed: { uid: string; state: number; timestamp: number }[] = [];
  const range = friendDbs(services).blacklist.getRange(ownerRange(uid));
  for (const { key, value } of range) {
    if (value.updateDt <= version) continue;
    changed.push({ uid: key[1], state: value.blocked ? 0 : 1, timestamp: value.updateDt });
  }
  changed.sort((a, b) => a.timestamp - b.timestamp);
  reply(services, replyToOf(services, session, frame), SubSignal.BLP, ErrorCode.OK, changed);
}
