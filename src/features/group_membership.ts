// Planning the changes of who is in a group: create, add, kick, quit, dismiss. A planner checks
// everything first and only then edits the group (memory and writes), so a refusal changes
// nothing. Notices go to the members before the change and after it, removed ones included.

import { ErrorCode } from '../errors.js';
import { ContentType } from '../protocol/signals.js';
import type { ShardServices } from '../shard/services.js';
import { noticeMessage } from './group_notices.js';
import type { Group, GroupEdit, MemberRecord } from './group_store.js';
import { MemberType, type GroupChange, type Planned } from './group_types.js';

/** Group type 2 (restricted): only the owner and managers add members or change the info. */
export const GROUP_TYPE_RESTRICTED = 2;

export function isManager(member: MemberRecord | undefined): boolean {
  return member?.type === MemberType.OWNER || member?.type === MemberType.MANAGER;
}

type Change<T extends GroupChange['type']> = Extract<GroupChange, { type: T }>;

export function createPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'create'>,
): Planned {
  if (change.members.length > services.groupLimits.membersMax) return ErrorCode.INVALID_PARAMETER;
  for (const { uid, type } of change.members) edit.memberSet(uid, type);
  const uids = change.members.map((member) => member.uid);
  const notice = noticeMessage(services, change.gid, operator, ContentType.GROUP_CREATE, {
    n: change.name,
    ms: uids,
  });
  return { notices: [notice], receivers: uids, joined: uids, left: [] };
}

export function addPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'add'>,
): Planned {
  const { group } = edit;
  if (group.record.type === GROUP_TYPE_RESTRICTED && !isManager(group.memberOf(operator))) {
    return ErrorCode.NO_RIGHT;
  }
  return membersJoin(services, edit, operator, freshOf(group, change.uids));
}

/** The users of `uids` who are not active members. */
export function freshOf(group: Group, uids: readonly string[]): string[] {
  return uids.filter((uid) => group.memberOf(uid) === undefined);
}

/** `fresh` (no active member among them) join as normal members: notice 105 to everyone. */
export function membersJoin(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  fresh: readonly string[],
): Planned {
  const { group } = edit;
  if (fresh.length === 0) return 'unchanged';
  if (group.activeMembers().length + fresh.length > services.groupLimits.membersMax)
    return ErrorCode.INVALID_PARAMETER;
  for (const uid of fresh) edit.memberSet(uid, MemberType.NORMAL);
  const notice = noticeMessage(services, group.record.gid, operator, ContentType.GROUP_ADD, {
    ms: fresh,
  });
  return { notices: [notice], receivers: [...group.activeMembers()], joined: fresh, left: [] };
}

/** Owner and managers kick; a manager kicks neither the owner nor another manager. */
export function kickPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'kick'>,
): Planned {
  const { group } = edit;
  const role = group.memberOf(operator);
  if (!isManager(role)) return ErrorCode.NO_RIGHT;
  if (change.uids.includes(operator)) return ErrorCode.INVALID_PARAMETER;
  const targets: string[] = [];
  for (const uid of change.uids) {
    const member = group.memberOf(uid);
    if (member === undefined) continue;
    if (member.type === MemberType.OWNER) return ErrorCode.NO_RIGHT;
    if (member.type === MemberType.MANAGER && role?.type !== MemberType.OWNER)
      return ErrorCode.NO_RIGHT;
    targets.push(uid);
  }
  if (targets.length === 0) return 'unchanged';
  const receivers = [...group.activeMembers()];
  for (const uid of targets) edit.memberSet(uid, MemberType.REMOVED);
  const notice = noticeMessage(services, change.gid, operator, ContentType.GROUP_KICK, {
    ms: targets,
  });
  return { notices: [notice], receivers, joined: [], left: targets };
}

/**
 * A member leaves. An owner leaving hands the group to the oldest manager, or else the oldest
 * member (a transfer notice first, then the quit); the last member leaving ends the group.
 */
export function quitPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'quit'>,
): Planned {
  const { group } = edit;
  const receivers = [...group.activeMembers()];
  const notices = [];
  if (group.memberOf(operator)?.type === MemberType.OWNER) {
    const heir = heirOf(group, operator);
    if (heir === undefined) edit.recordPatch({ dismissed: true });
    else {
      edit.memberSet(heir, MemberType.OWNER);
      edit.recordPatch({ owner: heir });
      notices.push(
        noticeMessage(services, change.gid, operator, ContentType.GROUP_TRANSFER, { m: heir }),
      );
    }
  }
  edit.memberSet(operator, MemberType.REMOVED);
  notices.push(noticeMessage(services, change.gid, operator, ContentType.GROUP_QUIT, {}));
  return { notices, receivers, joined: [], left: [operator] };
}

/** The oldest manager, else the oldest member, other than `owner`. */
function heirOf(group: Group, owner: string): string | undefined {
  let heir: string | undefined;
  let heirMember: MemberRecord | undefined;
  for (const uid of group.activeMembers()) {
    const member = group.memberOf(uid);
    if (uid === owner || member === undefined) continue;
    if (heirMember === undefined || outranks(member, heirMember)) {
      heir = uid;
      heirMember = member;
    }
  }
  return heir;
}

/** Managers before everyone else; within a rank, the earlier join. */
function outranks(a: MemberRecord, b: MemberRecord): boolean {
  const aManager = a.type === MemberType.MANAGER;
  if (aManager !== (b.type === MemberType.MANAGER)) return aManager;
  return a.joinSeq < b.joinSeq;
}

/** The owner ends the group: every member gets the notice and leaves. */
export function dismissPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'dismiss'>,
): Planned {
  const { group } = edit;
  if (group.memberOf(operator)?.type !== MemberType.OWNER) return ErrorCode.NO_RIGHT;
  const members = [...group.activeMembers()];
  edit.recordPatch({ dismissed: true });
  const notice = noticeMessage(services, change.gid, operator, ContentType.GROUP_DISMISS, {});
  return { notices: [notice], receivers: members, joined: [], left: members };
}
