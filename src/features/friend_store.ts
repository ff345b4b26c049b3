// The friends feature's LMDB databases on one shard, opened once per shard (cached per services),
// and the shard's friend clock. Every key starts with the owning user's uid, so a shard reads and
// writes only its own users' rows. Values are msgpack, keys ordered-binary tuples.

import type { Database } from 'lmdb';
import type { ShardServices } from '../shard/services.js';

/** A user's profile (PROTOCOL.md §7 User), kept on the user's owner shard. */
export interface ProfileRecord {
  readonly uid: string;
  readonly name: string;
  readonly displayName: string;
  readonly portrait: string;
  readonly mobile: string;
  readonly email: string;
  readonly address: string;
  readonly company: string;
  readonly gender: number;
  readonly social: string;
  readonly extra: string;
  readonly type: number;
  readonly updateDt: number;
}

/** Friend state as FP shows it: 0 friends, 1 deleted (the client removes the entry). */
export const FriendState = { FRIEND: 0, DELETED: 1 } as const;
export type FriendState = (typeof FriendState)[keyof typeof FriendState];

export interface FriendRecord {
  readonly alias: string;
  readonly state: FriendState;
  /** Origin time of the last state change: older state ops (replays) never win. */
  readonly changedMs: number;
  /** This shard's friend clock at the last change (FP's incremental version). */
  readonly updateDt: number;
}

/** Request status (PROTOCOL.md §6): 0 sent, 1 accepted, 2 rejected; 3 ignored is Magpie's. */
export const RequestStatus = { SENT: 0, ACCEPTED: 1, REJECTED: 2, IGNORED: 3 } as const;
export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];

/** Both users keep a copy of a request: 'i' incoming (owner is the target), 'o' outgoing. */
export type RequestDirection = 'i' | 'o';

export interface RequestRecord {
  readonly from: string;
  readonly target: string;
  readonly reason: string;
  readonly status: RequestStatus;
  /** When the request was (last) sent; it expires FRIEND_REQUEST_TTL_MS later. */
  readonly createdMs: number;
  readonly changedMs: number;
  readonly updateDt: number;
}

export interface BlacklistRecord {
  /** true: blocked; false: unblocked (kept so BLP deltas can remove it). */
  readonly blocked: boolean;
  readonly changedMs: number;
  readonly updateDt: number;
}

/** A replica of someone else's blacklist entry about the owner, for local send checks. */
export interface BlockedByRecord {
  readonly blocked: boolean;
  readonly changedMs: number;
}

export interface FriendDbs {
  /** uid → profile. */
  readonly profiles: Database<ProfileRecord, string>;
  /** ['m', mobile, uid] and ['n', lowercased name or displayName, uid] → 1: search index. */
  readonly profileIndex: Database<number, [string, string, string]>;
  /** [owner, friendUid] → friend record (tombstones stay, so FP deltas can remove). */
  readonly friends: Database<FriendRecord, [string, string]>;
  /** [owner, direction, peer] → the latest request between the two. */
  readonly requests: Database<RequestRecord, [string, RequestDirection, string]>;
  /** [owner, blockedUid] → the owner's blacklist. */
  readonly blacklist: Database<BlacklistRecord, [string, string]>;
  /** [owner, blockerUid] → whether blocker has blocked owner (replicated). */
  readonly blockedBy: Database<BlockedByRecord, [string, string]>;
  /** [owner, name] → small per-user values (friend-request read mark). */
  readonly userMeta: Database<number, [string, string]>;
}

interface FriendShardState {
  readonly dbs: FriendDbs;
  clockMs: number;
}

const states = new WeakMap<ShardServices, FriendShardState>();

function stateOf(services: ShardServices): FriendShardState {
  let state = states.get(services);
  if (state === undefined) {
    const env = services.store.env;
    state = {
      dbs: {
        profiles: env.openDB({ name: 'profiles' }),
        profileIndex: env.openDB({ name: 'profile_index' }),
        friends: env.openDB({ name: 'friends' }),
        requests: env.openDB({ name: 'friend_requests' }),
        blacklist: env.openDB({ name: 'blacklist' }),
        blockedBy: env.openDB({ name: 'blocked_by' }),
        userMeta: env.openDB({ name: 'friend_user_meta' }),
      },
      clockMs: 0,
    };
    states.set(services, state);
  }
  return state;
}

export function friendDbs(services: ShardServices): FriendDbs {
  return stateOf(services).dbs;
}

/**
 * The shard's friend clock: wall time, strictly increasing per shard. Versions (updateDt) come
 * from it so that two changes never share a version a client could stop between.
 */
export function friendClockNext(services: ShardServices): number {
  const state = stateOf(services);
  state.clockMs = Math.max(Date.now(), state.clockMs + 1);
  return state.clockMs;
}

/** Per-user heads kept in userMeta: the newest version of the friend list and of received
 * requests, so CONNECT_ACK can announce them without a scan. */
export type HeadName = 'friendHead' | 'requestHead';

/** Raise a head (inside a transaction: reads the transaction's own state). */
export function headRaise(dbs: FriendDbs, owner: string, name: HeadName, version: number): void {
  if ((dbs.userMeta.get([owner, name]) ?? 0) < version) dbs.userMeta.put([owner, name], version);
}

/** Upper bound for a range over every key that starts with `prefix` (UTF-8 order). */
export const KEY_TEXT_END = '\u{10FFFF}';

/** Every key of `owner` (keys are tuples that start with the owner's uid). */
export function ownerRange(owner: string): { start: string[]; end: string[] } {
  return { start: [owner], end: [owner, KEY_TEXT_END] };
}
