// Friend requests. Both users keep a copy (the target 'i', the requester 'o'), each on its own
// shard, written by the idempotent `requestSet` op. FAR is checked on the requester's shard
// (self, blocked-by replica, limits), then decided and committed by the target's shard (exists,
// blacklist, already sent); FRN reaches the target after that commit. FHR is decided by the
// target (the acceptor) and on accept makes both friends and files the greeting and two tips.

import { ErrorCode } from '../errors.js';
import {
  FRIEND_REQUEST_REASON_CHARS_MAX as REASON_CHARS_MAX,
  FRIEND_REQUEST_TTL_MS,
  FRIEND_REQUESTS_PER_USER_MAX,
  FRIENDS_PER_USER_MAX,
} from '../limits.js';
import { asFields, fieldInteger } from '../protocol/fields.js';
import { SubSignal } from '../protocol/signals.js';
import type { Effect, ReplyTo } from '../router/effects.js';
import { effectsCommit } from '../shard/effects_commit.js';
import { pushToLocalUsers, reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Inbound, Session } from '../transport/session.js';
import { commandSend } from './commands.js';
import { blockedBy, blocks } from './friend_blacklist.js';
import { textFieldOf, uidFieldOf } from './friend_decode.js';
import { friendCount, friendOf } from './friend_list.js';
import { acceptEffects } from './friend_accept.js';
import {
  friendClockNext,
  friendDbs,
  headRaise,
  KEY_TEXT_END,
  ownerRange,
  RequestStatus,
  type RequestDirection,
  type RequestRecord,
} from './friend_store.js';
import type { Applied } from './state_ops.js';
import { profileOf } from './user_profiles.js';

export interface RequestSetOp {
  readonly feature: 'friends';
  readonly kind: 'requestSet';
  readonly dir: RequestDirection;
  readonly peer: string;
  readonly from: string;
  readonly target: string;
  readonly reason: string;
  readonly status: RequestStatus;
  readonly createdMs: number;
  readonly atMs: number;
}

export interface RequestReceiveCommand {
  readonly feature: 'friends';
  readonly kind: 'requestReceive';
  readonly from: string;
  readonly target: string;
  readonly reason: string;
  readonly replyTo: ReplyTo;
}

/** The requestSet effects that put `request` in both users' copies (or only the owner's). */
export function requestEffects(
  request: Pick<RequestRecord, 'from' | 'target' | 'reason' | 'status' | 'createdMs'>,
  atMs: number,
  sides: 'both' | 'target',
): Effect[] {
  const { from, target } = request;
  const op = (dir: RequestDirection, peer: string) =>
    ({ feature: 'friends', kind: 'requestSet', dir, peer, ...request, atMs }) as const;
  const effects: Effect[] = [{ kind: 'state', owner: target, op: op('i', from) }];
  if (sides === 'both') effects.push({ kind: 'state', owner: from, op: op('o', target) });
  return effects;
}

export function requestExpired(request: Pick<RequestRecord, 'createdMs'>, nowMs: number): boolean {
  return nowMs - request.createdMs > FRIEND_REQUEST_TTL_MS;
}

export function requestSetApply(services: ShardServices, owner: string, op: RequestSetOp): Applied {
  const dbs = friendDbs(services);
  const db = dbs.requests;
  const key: [string, RequestDirection, string] = [owner, op.dir, op.peer];
  const stale = (): boolean => {
    const current = db.get(key);
    return current !== undefined && current.changedMs >= op.atMs;
  };
  if (stale()) return {};
  const updateDt = friendClockNext(services);
  const fresh = op.status === RequestStatus.SENT;
  const record: RequestRecord = {
    from: op.from,
    target: op.target,
    reason: op.reason,
    status: op.status,
    createdMs: op.createdMs,
    changedMs: op.atMs,
    updateDt,
  };
  return {
    write: () => {
      if (stale()) return;
      // A new request also drops the owner's expired ones: FRP stays bounded.
      if (fresh) requestsPrune(services, owner, updateDt);
      db.put(key, record);
      if (op.dir === 'i') headRaise(dbs, owner, 'requestHead', updateDt);
    },
    after: () => {
      if (!fresh || op.dir !== 'i') return;
      // FRN: the client pulls FRP with exactly this version.
      pushToLocalUsers(services, [owner], SubSignal.FRN, { version: BigInt(updateDt) });
    },
  };
}

function requestsPrune(services: ShardServices, owner: string, nowMs: number): void {
  const db = friendDbs(services).requests;
  for (const { key, value } of db.getRange(ownerRange(owner))) {
    if (nowMs - value.updateDt > FRIEND_REQUEST_TTL_MS) db.remove(key);
  }
}

/** Requests the owner keeps in one direction within the TTL (FRIEND_REQUESTS_PER_USER_MAX). */
function requestCount(
  services: ShardServices,
  owner: string,
  dir: RequestDirection,
  nowMs: number,
): number {
  let count = 0;
  const end = [owner, dir, KEY_TEXT_END];
  const range = friendDbs(services).requests.getRange({ start: [owner, dir], end });
  for (const { value } of range) if (nowMs - value.updateDt <= FRIEND_REQUEST_TTL_MS) count++;
  return count;
}

/** FAR `{targetUserId, reason}` → `{"code":200}` once the target's shard has filed it. */
export function farHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const replyTo = replyToOf(services, session, frame);
  const fields = asFields(frame.content);
  const target = fields === undefined ? undefined : uidFieldOf(fields, 'targetUserId', 'targetUid');
  const reason = fields === undefined ? undefined : textFieldOf(fields, 'reason', REASON_CHARS_MAX);
  if (target === undefined || reason === undefined || target === uid) {
    return reply(services, replyTo, SubSignal.FAR, ErrorCode.INVALID_PARAMETER);
  }
  const refused = farCheck(services, uid, target);
  if (refused !== ErrorCode.OK) return reply(services, replyTo, SubSignal.FAR, refused);
  const kind = 'requestReceive';
  commandSend(services, target, { feature: 'friends', kind, from: uid, target, reason, replyTo });
}

/** What the requester's shard knows: the blocked-by replica, friendship, its own limits. */
function farCheck(services: ShardServices, uid: string, target: string): ErrorCode {
  if (blockedBy(services, uid, target)) return ErrorCode.FRIEND_REQUEST_BLOCKED;
  if (friendOf(services, uid, target) !== undefined) return ErrorCode.NOT_MODIFIED;
  if (friendCount(services, uid) >= FRIENDS_PER_USER_MAX) return ErrorCode.INVALID_PARAMETER;
  if (requestCount(services, uid, 'o', Date.now()) >= FRIEND_REQUESTS_PER_USER_MAX) {
    return ErrorCode.INVALID_PARAMETER;
  }
  return ErrorCode.OK;
}

/** What only the target's shard knows: existence, its blacklist, pending requests, its limits. */
function receiveCheck(
  services: ShardServices,
  from: string,
  target: string,
  now: number,
): ErrorCode {
  if (profileOf(services, target) === undefined) return ErrorCode.NOT_EXIST;
  if (blocks(services, target, from)) return ErrorCode.FRIEND_REQUEST_BLOCKED;
  if (friendOf(services, target, from) !== undefined) return ErrorCode.NOT_MODIFIED;
  const existing = friendDbs(services).requests.get([target, 'i', from]);
  if (existing?.status === RequestStatus.SENT && !requestExpired(existing, now)) {
    return ErrorCode.FRIEND_REQUEST_ALREADY_SENT;
  }
  if (friendCount(services, target) >= FRIENDS_PER_USER_MAX) return ErrorCode.INVALID_PARAMETER;
  if (requestCount(services, target, 'i', now) >= FRIEND_REQUESTS_PER_USER_MAX) {
    return ErrorCode.INVALID_PARAMETER;
  }
  return ErrorCode.OK;
}

/** On the target's shard: decide and file the request on both sides. */
export function requestReceive(services: ShardServices, command: RequestReceiveCommand): void {
  const { from, target, reason, replyTo } = command;
  const now = Date.now();
  const refused = receiveCheck(services, from, target, now);
  if (refused !== ErrorCode.OK) return reply(services, replyTo, SubSignal.FAR, refused);
  const request = { from, target, reason, status: RequestStatus.SENT, createdMs: now };
  effectsCommit(services, requestEffects(request, now, 'both'), [], (code) =>
    reply(services, replyTo, SubSignal.FAR, code),
  );
}

type RequestWire = Pick<RequestRecord, 'from' | 'target' | 'reason' | 'status'> & {
  readonly timestamp: number;
};

/** FRP `{version}` → both directions' requests with updateDt > version − 1000, oldest first. */
export function frpHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const fields = asFields(frame.content);
  const version = fields === undefined ? 0 : Math.max(0, fieldInteger(fields, 'version', 0) ?? 0);
  const since = version - 1000;
  const requests: RequestWire[] = [];
  const range = friendDbs(services).requests.getRange(ownerRange(uid));
  for (const { value } of range) {
    if (value.updateDt <= since) continue;
    const { from, target, reason, status } = value;
    requests.push({ from, target, reason, status, timestamp: value.updateDt });
  }
  requests.sort((a, b) => a.timestamp - b.timestamp);
  reply(services, replyToOf(services, session, frame), SubSignal.FRP, ErrorCode.OK, requests);
}

const REQUESTS_READ_KEY = 'requestsReadMs';

/**
 * FRUS `{version}` (Magpie's reading of the original's "unread sync"): received requests with
 * updateDt ≤ version (missing, null or 0: all so far) are read on every device of the user.
 * Answers `{"code":200,"unread":n}` (native `{unread}`): pending requests still unread.
 */
export function frusHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const replyTo = replyToOf(services, session, frame);
  const fields = asFields(frame.content);
  const version = fields === undefined ? 0 : (fieldInteger(fields, 'version', 0) ?? 0);
  const dbs = friendDbs(services);
  const now = Date.now();
  const marked = dbs.userMeta.get([uid, REQUESTS_READ_KEY]) ?? 0;
  const readMs = Math.max(marked, version > 0 ? version : now);
  let unread = 0;
  const range = dbs.requests.getRange({ start: [uid, 'i'], end: [uid, 'i', KEY_TEXT_END] });
  for (const { value } of range) {
    const pending = value.status === RequestStatus.SENT && !requestExpired(value, now);
    if (pending && value.updateDt > readMs) unread++;
  }
  services.commits.add(
    () => dbs.userMeta.put([uid, REQUESTS_READ_KEY], readMs),
    (code) => {
      const result = replyTo.profile === 'native' ? { unread } : { code: 200, unread };
      reply(services, replyTo, SubSignal.FRUS, code, result);
    },
  );
}

/** FHR `{targetUid, status}`: 1 accept, 2 reject, 3 ignore (the requester is not told). */
export function fhrHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const replyTo = replyToOf(services, session, frame);
  const fields = asFields(frame.content);
  const requester = fields === undefined ? undefined : uidFieldOf(fields, 'targetUid');
  const status = fields === undefined ? undefined : fieldInteger(fields, 'status');
  const answer = (code: ErrorCode): void => reply(services, replyTo, SubSignal.FHR, code);
  if (requester === undefined || requester === uid) return answer(ErrorCode.INVALID_PARAMETER);
  const decisions: readonly RequestStatus[] = [
    RequestStatus.ACCEPTED,
    RequestStatus.REJECTED,
    RequestStatus.IGNORED,
  ];
  const decision = decisions.find((known) => known === status);
  if (decision === undefined) return answer(ErrorCode.INVALID_PARAMETER);
  const request = friendDbs(services).requests.get([uid, 'i', requester]);
  if (request === undefined) return answer(ErrorCode.NOT_EXIST);
  // A retry of the same decision is answered as done; another decision is refused.
  if (request.status !== RequestStatus.SENT) {
    return answer(request.status === decision ? ErrorCode.OK : ErrorCode.NOT_MODIFIED);
  }
  const now = Date.now();
  if (requestExpired(request, now)) return answer(ErrorCode.FRIEND_REQUEST_OVERTIME);
  const decided = { ...request, status: decision };
  if (decision !== RequestStatus.ACCEPTED) {
    const sides = decision === RequestStatus.REJECTED ? 'both' : 'target';
    return effectsCommit(services, requestEffects(decided, now, sides), [], answer);
  }
  const full = friendCount(services, uid) >= FRIENDS_PER_USER_MAX;
  if (full && friendOf(services, uid, requester) === undefined) {
    return answer(ErrorCode.INVALID_PARAMETER);
  }
  const effects = [
    ...requestEffects(decided, now, 'both'),
    ...acceptEffects(services, request, now),
  ];
  effectsCommit(services, effects, [], answer);
}
