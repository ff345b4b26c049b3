// US (search users) and UPUI (profiles by uid): the requester's shard scatters a command to
// every shard (US) or to each owner (UPUI) and gathers the parts (user_gather.ts). US finds an
// exact uid, an exact mobile, and with `fuzzy` a name/displayName prefix (case-insensitive).
// Both never fail over compat (§4): US answers `[]`, UPUI `""` when it has no users.

import { ErrorCode } from '../errors.js';
import {
  SEARCH_KEYWORD_CHARS_MAX,
  SEARCH_PAGES_MAX,
  SEARCH_RESULTS_MAX,
  USER_ID_CHARS_MAX,
  USER_INFOS_PER_REQUEST_MAX,
} from '../limits.js';
import { asFields, fieldInteger, fieldString } from '../protocol/fields.js';
import { SubSignal } from '../protocol/signals.js';
import type { ReplyTo } from '../router/effects.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Inbound, Session } from '../transport/session.js';
import { friendDbs, KEY_TEXT_END, type ProfileRecord } from './friend_store.js';
import { gatherPart, gatherStart } from './user_gather.js';
import { profileWire } from './user_profiles.js';

export type UserSearchCommand =
  | {
      readonly feature: 'friends';
      readonly kind: 'search';
      readonly gatherId: number;
      readonly origin: number;
      readonly keyword: string;
      readonly fuzzy: boolean;
      readonly limit: number;
    }
  | {
      readonly feature: 'friends';
      readonly kind: 'profilesGet';
      readonly gatherId: number;
      readonly origin: number;
      readonly uids: readonly string[];
    }
  | {
      readonly feature: 'friends';
      readonly kind: 'gathered';
      readonly gatherId: number;
      readonly profiles: readonly ProfileRecord[];
    };

/** A command to shard `shard` (itself included), through the mesh's per-turn batching. */
function commandToShard(services: ShardServices, shard: number, command: UserSearchCommand): void {
  services.mesh.send(shard, { type: 'Command', command });
}

function answerUsers(
  services: ShardServices,
  replyTo: ReplyTo,
  subSignal: number,
  users: readonly ProfileRecord[],
): void {
  const native = replyTo.profile === 'native';
  // UPUI's compat answer for "no users" is "" ([] makes the original client throw).
  const empty = subSignal === SubSignal.UPUI && !native && users.length === 0;
  const result = empty ? '' : users.map((user) => profileWire(user, native));
  reply(services, replyTo, subSignal, ErrorCode.OK, result);
}

/** A refused US/UPUI: the real code over native, the empty answer over compat. */
function answerRefused(
  services: ShardServices,
  replyTo: ReplyTo,
  subSignal: number,
  code: ErrorCode,
): void {
  if (replyTo.profile === 'native') return reply(services, replyTo, subSignal, code);
  answerUsers(services, replyTo, subSignal, []);
}

interface SearchRequest {
  readonly keyword: string;
  readonly fuzzy: boolean;
  readonly page: number;
}

function searchDecode(content: unknown): SearchRequest | ErrorCode {
  const fields = asFields(content);
  if (fields === undefined) return ErrorCode.INVALID_DATA;
  const keyword = fieldString(fields, 'keyword', SEARCH_KEYWORD_CHARS_MAX)?.trim();
  const fuzzyRaw = fields['fuzzy'];
  const fuzzy = fuzzyRaw === true || (fieldInteger(fields, 'fuzzy', 0) ?? 0) !== 0;
  const page = fieldInteger(fields, 'page', 0);
  if (keyword === undefined || page === undefined || page < 0) return ErrorCode.INVALID_PARAMETER;
  if (page >= SEARCH_PAGES_MAX) return ErrorCode.INVALID_PARAMETER;
  return { keyword, fuzzy, page };
}

export function usHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const replyTo = replyToOf(services, session, frame);
  const request = searchDecode(frame.content);
  if (typeof request === 'number') return answerRefused(services, replyTo, SubSignal.US, request);
  const { keyword, fuzzy, page } = request;
  if (keyword === '') return answerUsers(services, replyTo, SubSignal.US, []);
  const shards = services.partitions.shardCount;
  const limit = (page + 1) * SEARCH_RESULTS_MAX;
  const gatherId = gatherStart(services, shards, (parts) => {
    const ranked = searchMerge(parts, keyword);
    const pageUsers = ranked.slice(page * SEARCH_RESULTS_MAX, limit);
    answerUsers(services, replyTo, SubSignal.US, pageUsers);
  });
  for (let shard = 0; shard < shards; shard++) {
    commandToShard(services, shard, {
      feature: 'friends',
      kind: 'search',
      gatherId,
      origin: services.shardId,
      keyword,
      fuzzy,
      limit,
    });
  }
}

/** Exact uid or mobile matches first, then by display name and uid: a stable page order. */
function searchMerge(parts: readonly ProfileRecord[][], keyword: string): ProfileRecord[] {
  const byUid = new Map<string, ProfileRecord>();
  for (const part of parts) for (const user of part) byUid.set(user.uid, user);
  const rank = (user: ProfileRecord): number =>
    user.uid === keyword || user.mobile === keyword ? 0 : 1;
  return [...byUid.values()].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      a.displayName.localeCompare(b.displayName) ||
      (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0),
  );
}

/** This shard's matches for a search, at most `limit`. */
export function searchLocal(
  services: ShardServices,
  keyword: string,
  fuzzy: boolean,
  limit: number,
): ProfileRecord[] {
  const dbs = friendDbs(services);
  const found = new Map<string, ProfileRecord>();
  const add = (uid: string): void => {
    if (found.size >= limit || found.has(uid)) return;
    const profile = dbs.profiles.get(uid);
    if (profile !== undefined) found.set(uid, profile);
  };
  if (keyword.length <= USER_ID_CHARS_MAX) add(keyword);
  const scan = (start: string[], end: string[]): void => {
    for (const key of dbs.profileIndex.getKeys({ start, end })) {
      if (found.size >= limit) return;
      add(key[2]);
    }
  };
  scan(['m', keyword], ['m', keyword, KEY_TEXT_END]);
  if (fuzzy) {
    const prefix = keyword.toLowerCase();
    scan(['n', prefix], ['n', prefix + KEY_TEXT_END]);
  }
  return [...found.values()];
}

/** UPUI content: `["uid",…]` (items may also be `{uid}` objects). */
function uidsDecode(content: unknown): string[] | ErrorCode {
  const list = Array.isArray(content) ? content : asFields(content)?.['userIds'];
  if (!Array.isArray(list)) return ErrorCode.INVALID_DATA;
  if (list.length > USER_INFOS_PER_REQUEST_MAX) return ErrorCode.INVALID_PARAMETER;
  const uids = new Set<string>();
  for (const item of list) {
    const uid = fieldString(asFields(item) ?? { uid: item }, 'uid', USER_ID_CHARS_MAX);
    if (!uid) return ErrorCode.INVALID_PARAMETER;
    uids.add(uid);
  }
  return [...uids];
}

export function upuiHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const replyTo = replyToOf(services, session, frame);
  const uids = uidsDecode(frame.content);
  if (typeof uids === 'number') return answerRefused(services, replyTo, SubSignal.UPUI, uids);
  if (uids.length === 0) return answerUsers(services, replyTo, SubSignal.UPUI, []);
  const byShard = new Map<number, string[]>();
  for (const uid of uids) {
    const shard = services.partitions.shardOf(uid);
    const list = byShard.get(shard);
    if (list === undefined) byShard.set(shard, [uid]);
    else list.push(uid);
  }
  const order = new Map(uids.map((uid, index) => [uid, index]));
  const gatherId = gatherStart(services, byShard.size, (parts) => {
    const users = parts.flat().sort((a, b) => (order.get(a.uid) ?? 0) - (order.get(b.uid) ?? 0));
    answerUsers(services, replyTo, SubSignal.UPUI, users);
  });
  for (const [shard, list] of byShard) {
    const origin = services.shardId;
    commandToShard(services, shard, {
      feature: 'friends',
      kind: 'profilesGet',
      gatherId,
      origin,
      uids: list,
    });
  }
}

export function userSearchCommandHandle(services: ShardServices, command: UserSearchCommand): void {
  switch (command.kind) {
    case 'search': {
      const profiles = searchLocal(services, command.keyword, command.fuzzy, command.limit);
      return commandToShard(services, command.origin, gathered(command.gatherId, profiles));
    }
    case 'profilesGet': {
      const dbs = friendDbs(services);
      const profiles: ProfileRecord[] = [];
      for (const uid of command.uids) {
        const profile = dbs.profiles.get(uid);
        if (profile !== undefined) profiles.push(profile);
      }
      return commandToShard(services, command.origin, gathered(command.gatherId, profiles));
    }
    case 'gathered':
      return gatherPart(services, command.gatherId, [...command.profiles]);
  }
}

function gathered(gatherId: number, profiles: readonly ProfileRecord[]): UserSearchCommand {
  return { feature: 'friends', kind: 'gathered', gatherId, profiles };
}
