// Join types and join requests, planned on the group's owner shard. joinType 0 lets anyone join
// (GJR joins at once) and any member add; 1 turns GJR, and GAM by a normal member, into pending
// requests the owner and managers accept (the user joins as through GAM, notice 105) or reject
// (GJRH); 2 lets only the owner and managers add. Requests are stored with the group and pushed
// as GJRN to the owner's and managers' online devices; offline ones pull them with GJRP. A
// rejected user gets notice 125 in its own timeline (joining is told by notice 105).

import { ErrorCode } from '../errors.js';
import {
  JOIN_REQUEST_TTL_MS,
  JOIN_REQUESTS_KEPT_MAX,
  JOIN_REQUESTS_PENDING_MAX,
  JOIN_REQUESTS_PULL_MAX,
} from '../limits.js';
import { ContentType, SubSignal } from '../protocol/signals.js';
import { pushToUsers, reply } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import { addPlan, freshOf, isManager, membersJoin } from './group_membership.js';
import { noticeMessage } from './group_notices.js';
import { groupTableOf, type Group, type GroupEdit } from './group_store.js';
import type { JoinRequestRecord } from './group_store.js';
import {
  JoinStatus,
  JoinType,
  type ChangePlan,
  type GroupChange,
  type GroupsCommand,
  type Planned,
} from './group_types.js';

type Change<T extends GroupChange['type']> = Extract<GroupChange, { type: T }>;

const NOTHING: ChangePlan = { notices: [], receivers: [], joined: [], left: [] };

function joinTypeOf(group: Group): number {
  return group.record.joinType ?? JoinType.FREE;
}

/** A pending request past JOIN_REQUEST_TTL_MS: no longer counted, shown as status 3. */
export function expired(request: JoinRequestRecord, nowMs: number): boolean {
  return request.status === JoinStatus.PENDING && nowMs - request.createdMs > JOIN_REQUEST_TTL_MS;
}

/** GJR: join now (type 0), ask (type 1) or be refused (type 2, 248); a member gets 200. */
export function joinRequestPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'joinRequest'>,
): Planned {
  const { group } = edit;
  if (group.memberOf(operator) !== undefined) return 'unchanged';
  const joinType = joinTypeOf(group);
  if (joinType === JoinType.CLOSED) return ErrorCode.NO_RIGHT;
  if (joinType === JoinType.APPROVAL) {
    return requestsPlan(services, edit, [operator], change.reason, '');
  }
  const joined = membersJoin(services, edit, operator, [operator]);
  if (typeof joined !== 'object') return joined;
  return { ...joined, result: { code: 200, status: JoinStatus.ACCEPTED } };
}

/** GAM under the join type: owner and managers add; a normal member adds (0), asks for the
 * users (1: pending requests with the member as inviter) or is refused (2, 248). */
export function addByJoinTypePlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'add'>,
): Planned {
  const { group } = edit;
  const joinType = joinTypeOf(group);
  if (isManager(group.memberOf(operator)) || joinType === JoinType.FREE) {
    return addPlan(services, edit, operator, change);
  }
  if (joinType === JoinType.CLOSED) return ErrorCode.NO_RIGHT;
  const fresh = freshOf(group, change.uids);
  if (fresh.length === 0) return 'unchanged';
  return requestsPlan(services, edit, fresh, '', operator);
}

/** Pending requests for `uids` (a pending one is asked again: its time and reason renewed). */
function requestsPlan(
  services: ShardServices,
  edit: GroupEdit,
  uids: readonly string[],
  reason: string,
  inviter: string,
): Planned {
  const { group, atMs } = edit;
  let pending = 0;
  for (const request of group.requests.values()) {
    if (request.status !== JoinStatus.PENDING || expired(request, atMs)) continue;
    if (!uids.includes(request.uid)) pending++;
  }
  if (pending + uids.length > JOIN_REQUESTS_PENDING_MAX) return ErrorCode.INVALID_PARAMETER;
  requestsPrune(edit, uids.length);
  for (const uid of uids) {
    edit.requestPut({
      uid,
      reason,
      inviter,
      status: JoinStatus.PENDING,
      createdMs: atMs,
      handler: '',
    });
  }
  return {
    ...NOTHING,
    result: { code: 200, status: JoinStatus.PENDING },
    after: () => requestsChangedPush(services, group, atMs),
  };
}

/** Drop expired requests and handled ones past the TTL; then, to make room for `adding`
 * within JOIN_REQUESTS_KEPT_MAX, the oldest handled ones. */
function requestsPrune(edit: GroupEdit, adding: number): void {
  const { group, atMs } = edit;
  const handled: JoinRequestRecord[] = [];
  for (const request of [...group.requests.values()]) {
    const old = atMs - request.updateDt > JOIN_REQUEST_TTL_MS;
    if (expired(request, atMs) || (request.status !== JoinStatus.PENDING && old)) {
      edit.requestDrop(request.uid);
    } else if (request.status !== JoinStatus.PENDING) handled.push(request);
  }
  handled.sort((a, b) => a.updateDt - b.updateDt);
  for (const request of handled) {
    if (group.requests.size + adding <= JOIN_REQUESTS_KEPT_MAX) break;
    edit.requestDrop(request.uid);
  }
}

/** What GJRH may do with `request`: handle it, nothing (the same decision again: 200), or
 * refuse: none 253, the other decision taken 5, expired 19. */
export function joinHandleVerdict(
  request: JoinRequestRecord | undefined,
  accept: boolean,
  nowMs: number,
): 'handle' | 'unchanged' | ErrorCode {
  if (request === undefined) return ErrorCode.NOT_EXIST;
  const status = accept ? JoinStatus.ACCEPTED : JoinStatus.REJECTED;
  if (request.status !== JoinStatus.PENDING) {
    return request.status === status ? 'unchanged' : ErrorCode.NOT_MODIFIED;
  }
  return expired(request, nowMs) ? ErrorCode.FRIEND_REQUEST_OVERTIME : 'handle';
}

/** GJRH: the owner or a manager accepts (the user joins, notice 105) or rejects a request. */
export function joinHandlePlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'joinHandle'>,
): Planned {
  const { group, atMs } = edit;
  if (!isManager(group.memberOf(operator))) return ErrorCode.NO_RIGHT;
  const request = group.requests.get(change.uid);
  const verdict = joinHandleVerdict(request, change.accept, atMs);
  if (verdict !== 'handle') return verdict;
  if (request === undefined) return ErrorCode.NOT_EXIST;
  let joined: Planned;
  if (change.accept) {
    joined = membersJoin(services, edit, operator, freshOf(group, [change.uid]));
    if (typeof joined === 'number') return joined;
  } else joined = rejectedPlan(services, group, operator, change.uid);
  const status = change.accept ? JoinStatus.ACCEPTED : JoinStatus.REJECTED;
  edit.requestPut({ ...request, status, handler: operator });
  const base = joined === 'unchanged' ? NOTHING : joined;
  return { ...base, after: () => requestsChangedPush(services, group, atMs) };
}

/** A rejected user is told durably, on every device and after being offline: notice 125
 * `{ms: [user]}` (`o` = handler) in its own timeline only; the members are not told. */
function rejectedPlan(
  services: ShardServices,
  group: Group,
  operator: string,
  uid: string,
): ChangePlan {
  const gid = group.record.gid;
  const notice = noticeMessage(services, gid, operator, ContentType.GROUP_JOIN_REJECTED, {
    ms: [uid],
  });
  return { notices: [notice], receivers: [uid], joined: [], left: [], direct: true };
}

/** GJRN `{groupId, version}` to the owner's and managers' online devices. */
function requestsChangedPush(services: ShardServices, group: Group, version: number): void {
  const managers = group.activeMembers().filter((uid) => isManager(group.memberOf(uid)));
  pushToUsers(services, managers, SubSignal.GJRN, { groupId: group.record.gid, version });
}

type RequestsCommand = Extract<GroupsCommand, { kind: 'joinRequests' }>;

/** GJRP on the owner shard: requests changed after `version`, oldest change first, about
 * JOIN_REQUESTS_PULL_MAX (`more` says another pull from `version` has more). */
export function joinRequestsServe(services: ShardServices, command: RequestsCommand): void {
  const { replyTo, gid, uid, version } = command;
  const answer = (code: number, result?: unknown): void =>
    reply(services, replyTo, SubSignal.GJRP, code, result);
  const group = groupTableOf(services).get(gid);
  if (group === undefined || group.record.dismissed) return answer(ErrorCode.NOT_EXIST);
  const member = group.memberOf(uid);
  if (member === undefined) return answer(ErrorCode.NOT_IN_GROUP);
  if (!isManager(member)) return answer(ErrorCode.NO_RIGHT);
  const changed = [...group.requests.values()]
    .filter((request) => request.updateDt > version)
    .sort((a, b) => a.updateDt - b.updateDt);
  // A page ends between versions only: requests made by one GAM share one, and a pull from
  // the page's version must not skip the rest of them.
  let end = Math.min(changed.length, JOIN_REQUESTS_PULL_MAX);
  while (end < changed.length && changed[end]?.updateDt === changed[end - 1]?.updateDt) end++;
  const page = changed.slice(0, end);
  const nowMs = Date.now();
  const requests = page.map((request) => ({
    memberId: request.uid,
    reason: request.reason,
    inviter: request.inviter,
    status: expired(request, nowMs) ? JoinStatus.EXPIRED : request.status,
    handler: request.handler,
    createdMs: request.createdMs,
    updateDt: request.updateDt,
  }));
  const last = page.at(-1)?.updateDt ?? version;
  answer(ErrorCode.OK, { version: last, more: changed.length > page.length, requests });
}
