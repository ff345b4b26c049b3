// Serving a group change on the group's owner shard: find the group, check the operator is a
// member, plan the change, and commit in one effectsCommit the group's writes, the notices
// (appended to every member's timeline, wherever owned), the members' group-list ops and the
// private-chat barrier's replicas.
// The operator's answer is sent once that commit is durable.

import { assertNever, ErrorCode } from '../errors.js';
import { GROUP_IN_FLIGHT_MAX } from '../limits.js';
import type { Effect } from '../router/effects.js';
import { effectsCommit } from '../shard/effects_commit.js';
import { reply } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import { createPlan, dismissPlan, kickPlan, quitPlan } from './group_membership.js';
import { noticeAppend } from './group_notices.js';
import { privateChatEffects, privateChatNormals } from './group_private_chat.js';
import { addByJoinTypePlan, joinHandlePlan, joinRequestPlan } from './group_join.js';
import {
  aliasPlan,
  managersPlan,
  modifyPlan,
  muteAllPlan,
  muteMembersPlan,
  settingPlan,
  transferPlan,
} from './group_settings.js';
import { GroupEdit, groupTableOf, type Group, type GroupRecord } from './group_store.js';
import type { GroupChange, GroupsCommand, Planned } from './group_types.js';

type ChangeCommand = Extract<GroupsCommand, { kind: 'change' }>;

export function groupChangeServe(services: ShardServices, command: ChangeCommand): void {
  const { change, operator, replyTo, subSignal } = command;
  const answer = (code: number, result?: unknown): void =>
    reply(services, replyTo, subSignal, code, result);
  const table = groupTableOf(services);
  const found = table.get(change.gid);
  let group: Group;
  if (change.type === 'create') {
    if (found !== undefined) return answer(ErrorCode.GROUP_EXISTS);
    group = table.add(recordNew(change, operator));
  } else {
    if (found === undefined || found.record.dismissed) return answer(ErrorCode.NOT_EXIST);
    if (found.stale) return answer(ErrorCode.SHARD_UNAVAILABLE);
    if (found.inFlight >= GROUP_IN_FLIGHT_MAX) return answer(ErrorCode.MAILBOX_FULL);
    // Asking to join is the one change a non-member makes.
    const member = found.memberOf(operator) !== undefined;
    if (!member && change.type !== 'joinRequest') return answer(ErrorCode.NOT_IN_GROUP);
    group = found;
  }
  const barredBefore = found === undefined ? [] : privateChatNormals(found);
  const edit = new GroupEdit(table.dbs, group, change.type === 'create');
  const planned = changePlan(services, edit, operator, change);
  if (planned === 'unchanged') return answer(ErrorCode.OK);
  if (typeof planned === 'number') return answer(planned);
  const gid = change.gid;
  const effects: Effect[] = planned.notices.map((notice) =>
    noticeAppend(notice, planned.receivers, planned.direct === true),
  );
  for (const uid of planned.joined) {
    effects.push({
      kind: 'state',
      owner: uid,
      op: { feature: 'groups', kind: 'joined', gid, atMs: edit.atMs },
    });
  }
  for (const uid of planned.left) {
    effects.push({ kind: 'state', owner: uid, op: { feature: 'groups', kind: 'left', gid } });
  }
  effects.push(...privateChatEffects(services, group, barredBefore, edit.atMs));
  // GC answers the new gid to native clients; the original client learns it from the notice.
  const created = change.type === 'create' && replyTo.profile === 'native';
  const result = created ? { code: 200, gid } : planned.result;
  group.inFlight++;
  effectsCommit(services, effects, edit.finish(), (code) => {
    if (code !== ErrorCode.OK) group.stale = true;
    table.settled(group);
    answer(code, code === ErrorCode.OK ? result : undefined);
    if (code === ErrorCode.OK) planned.after?.();
  });
}

function recordNew(change: Extract<GroupChange, { type: 'create' }>, owner: string): GroupRecord {
  const now = Date.now();
  return {
    gid: change.gid,
    name: change.name,
    portrait: change.portrait,
    type: change.groupType,
    extra: change.extra,
    owner,
    muteAll: false,
    dismissed: false,
    createdMs: now,
    updateDt: 0,
    joins: 0,
    joinType: 0,
    privateChat: 0,
    searchable: 0,
  };
}

function changePlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: GroupChange,
): Planned {
  switch (change.type) {
    case 'create':
      return createPlan(services, edit, operator, change);
    case 'add':
      return addByJoinTypePlan(services, edit, operator, change);
    case 'kick':
      return kickPlan(services, edit, operator, change);
    case 'quit':
      return quitPlan(services, edit, operator, change);
    case 'dismiss':
      return dismissPlan(services, edit, operator, change);
    case 'modify':
      return modifyPlan(services, edit, operator, change);
    case 'managers':
      return managersPlan(services, edit, operator, change);
    case 'transfer':
      return transferPlan(services, edit, operator, change);
    case 'muteMembers':
      return muteMembersPlan(services, edit, operator, change);
    case 'muteAll':
      return muteAllPlan(services, edit, operator, change);
    case 'setting':
      return settingPlan(services, edit, operator, change);
    case 'alias':
      return aliasPlan(services, edit, operator, change);
    case 'joinRequest':
      return joinRequestPlan(services, edit, operator, change);
    case 'joinHandle':
      return joinHandlePlan(services, edit, operator, change);
    default:
      return assertNever(change);
  }
}
