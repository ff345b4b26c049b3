// Friend lists: each user's records live on the user's owner shard and change only through the
// idempotent `friendSet` op (last writer by origin time wins, so a replayed op never undoes a
// newer one). FP pulls changes since a version; deleted friends stay as state 1 tombstones so
// that an incremental pull removes them. FALS sets an alias, FD deletes on both sides.

import { ErrorCode } from '../errors.js';
import { FRIEND_ALIAS_CHARS_MAX as ALIAS_CHARS_MAX } from '../limits.js';
import { asFields } from '../protocol/fields.js';
import { SubSignal } from '../protocol/signals.js';
import type { Effect } from '../router/effects.js';
import { effectsCommit } from '../shard/effects_commit.js';
import { pushToLocalUsers, reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Inbound, Session } from '../transport/session.js';
import { textFieldOf, uidFieldOf, versionDecode } from './friend_decode.js';
import {
  friendClockNext,
  friendDbs,
  FriendState,
  headRaise,
  ownerRange,
  type FriendRecord,
} from './friend_store.js';
import type { Applied } from './state_ops.js';

export interface FriendSetOp {
  readonly feature: 'friends';
  readonly kind: 'friendSet';
  readonly peer: string;
  readonly state: FriendState;
  /** Origin time of the change (last writer wins). */
  readonly atMs: number;
}

export function friendSetEffect(
  owner: string,
  peer: string,
  state: FriendState,
  atMs: number,
): Effect {
  return { kind: 'state', owner, op: { feature: 'friends', kind: 'friendSet', peer, state, atMs } };
}

/** FN to the owner's devices: the friend list changed at `updateDt`. */
export function friendsChangedPush(services: ShardServices, owner: string, updateDt: number): void {
  // bigint: native gets a uint64, compat the decimal string the original client expects.
  pushToLocalUsers(services, [owner], SubSignal.FN, { head: BigInt(updateDt) });
}

export function friendSetApply(services: ShardServices, owner: string, op: FriendSetOp): Applied {
  const dbs = friendDbs(services);
  const key: [string, string] = [owner, op.peer];
  // A delete with nothing to delete still leaves its tombstone: a friendSet from the same
  // exchange still in flight (older) must not create the friendship after it.
  const stale = (record: FriendRecord | undefined): boolean =>
    record !== undefined && record.changedMs >= op.atMs;
  if (stale(dbs.friends.get(key))) return {};
  const updateDt = friendClockNext(services);
  return {
    write: () => {
      // Checked again inside the transaction: an op planned in the same window may be newer.
      const current = dbs.friends.get(key);
      if (stale(current)) return;
      const alias = op.state === FriendState.FRIEND ? (current?.alias ?? '') : '';
      dbs.friends.put(key, { alias, state: op.state, changedMs: op.atMs, updateDt });
      headRaise(dbs, owner, 'friendHead', updateDt);
    },
    after: () => friendsChangedPush(services, owner, updateDt),
  };
}

/** The owner's friend record for `peer`, if they are friends. */
export function friendOf(
  services: ShardServices,
  owner: string,
  peer: string,
): FriendRecord | undefined {
  const record = friendDbs(services).friends.get([owner, peer]);
  return record?.state === FriendState.FRIEND ? record : undefined;
}

export function friendCount(services: ShardServices, owner: string): number {
  let count = 0;
  const range = friendDbs(services).friends.getRange(ownerRange(owner));
  for (const { value } of range) if (value.state === FriendState.FRIEND) count++;
  return count;
}

/** FP `{version}` → `[{friendUid, alias, state, timestamp}]` changed after version, in order. */
export function fpHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const version = versionDecode(frame.content);
  const changed: { friendUid: string; alias: string; state: number; timestamp: number }[] = [];
  const range = friendDbs(services).friends.getRange(ownerRange(uid));
  for (const { key, value } of range) {
    if (value.updateDt <= version) continue;
    const { alias, state, updateDt } = value;
    changed.push({ friendUid: key[1], alias, state, timestamp: updateDt });
  }
  changed.sort((a, b) => a.timestamp - b.timestamp);
  reply(services, replyToOf(services, session, frame), SubSignal.FP, ErrorCode.OK, changed);
}

/** FALS `{targetUserId, reason: alias}`: only for a friend; FN to the owner's devices. */
export function falsHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const replyTo = replyToOf(services, session, frame);
  const fields = asFields(frame.content);
  const peer = fields === undefined ? undefined : uidFieldOf(fields, 'targetUserId', 'targetUid');
  const alias = fields === undefined ? undefined : textFieldOf(fields, 'reason', ALIAS_CHARS_MAX);
  if (peer === undefined || alias === undefined) {
    return reply(services, replyTo, SubSignal.FALS, ErrorCode.INVALID_PARAMETER);
  }
  if (friendOf(services, uid, peer) === undefined) {
    return reply(services, replyTo, SubSignal.FALS, ErrorCode.NOT_EXIST);
  }
  const dbs = friendDbs(services);
  const updateDt = friendClockNext(services);
  let changed = false;
  const write = (): void => {
    const current = dbs.friends.get([uid, peer]);
    if (current?.state !== FriendState.FRIEND) return;
    dbs.friends.put([uid, peer], { ...current, alias, updateDt });
    headRaise(dbs, uid, 'friendHead', updateDt);
    changed = true;
  };
  services.commits.add(write, (code) => {
    // Unfriended between the check and the commit: nothing to name.
    const answer = code === ErrorCode.OK && !changed ? ErrorCode.NOT_EXIST : code;
    reply(services, replyTo, SubSignal.FALS, answer);
    if (code === ErrorCode.OK && changed) friendsChangedPush(services, uid, updateDt);
  });
}

/** FD `{targetUid}` (Magpie): the friendship ends on both sides; FN to both. */
export function fdHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const replyTo = replyToOf(services, session, frame);
  const fields = asFields(frame.content);
  const peer = fields === undefined ? undefined : uidFieldOf(fields, 'targetUid', 'targetUserId');
  if (peer === undefined) {
    return reply(services, replyTo, SubSignal.FD, ErrorCode.INVALID_PARAMETER);
  }
  if (friendOf(services, uid, peer) === undefined) {
    return reply(services, replyTo, SubSignal.FD, ErrorCode.NOT_EXIST);
  }
  const atMs = Date.now();
  const effects = [
    friendSetEffect(uid, peer, FriendState.DELETED, atMs),
    friendSetEffect(peer, uid, FriendState.DELETED, atMs),
  ];
  effectsCommit(services, effects, [], (code) => reply(services, replyTo, SubSignal.FD, code));
}
