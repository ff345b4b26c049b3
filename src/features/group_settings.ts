// Planning the changes of a group's info and roles: GMI (name, portrait, extra; join type,
// private chat, searchable) and Magpie's GSM (managers), GTO (owner), GMM (mute members), GMA
// (mute all) and GMAL (own alias). Same rules as membership planners: check first, then edit;
// a change to what already is answers OK with no notice.

import { ErrorCode } from '../errors.js';
import { ContentType } from '../protocol/signals.js';
import type { ShardServices } from '../shard/services.js';
import { flag, noticeMessage } from './group_notices.js';
import type { GroupEdit, GroupRecord } from './group_store.js';
import { GROUP_TYPE_RESTRICTED, isManager } from './group_membership.js';
import {
  GroupField,
  GroupSetting,
  MemberType,
  type GroupChange,
  type Planned,
} from './group_types.js';

type Change<T extends GroupChange['type']> = Extract<GroupChange, { type: T }>;

const FIELD_NOTICES = {
  [GroupField.NAME]: { key: 'name', contentType: ContentType.GROUP_NAME },
  [GroupField.PORTRAIT]: { key: 'portrait', contentType: ContentType.GROUP_PORTRAIT },
  [GroupField.EXTRA]: { key: 'extra', contentType: ContentType.GROUP_EXTRA },
} as const satisfies Record<GroupField, { key: keyof GroupRecord; contentType: number }>;

/** GMI: every member may, or only the owner and managers of a restricted group. */
export function modifyPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'modify'>,
): Planned {
  const { group } = edit;
  if (group.record.type === GROUP_TYPE_RESTRICTED && !isManager(group.memberOf(operator))) {
    return ErrorCode.NO_RIGHT;
  }
  const { key, contentType } = FIELD_NOTICES[change.field];
  if (group.record[key] === change.value) return 'unchanged';
  edit.recordPatch({ [key]: change.value });
  const notice = noticeMessage(services, change.gid, operator, contentType, { n: change.value });
  return { notices: [notice], receivers: group.activeMembers(), joined: [], left: [] };
}

/** GSM: the owner makes members managers (on) or normal members again (off). */
export function managersPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'managers'>,
): Planned {
  const { group } = edit;
  if (group.memberOf(operator)?.type !== MemberType.OWNER) return ErrorCode.NO_RIGHT;
  const changed: string[] = [];
  for (const uid of change.uids) {
    const member = group.memberOf(uid);
    if (member === undefined || member.type === MemberType.OWNER)
      return ErrorCode.INVALID_PARAMETER;
    if ((member.type === MemberType.MANAGER) !== change.on) changed.push(uid);
  }
  if (changed.length === 0) return 'unchanged';
  for (const uid of changed) {
    edit.memberSet(uid, change.on ? MemberType.MANAGER : MemberType.NORMAL);
  }
  const notice = noticeMessage(services, change.gid, operator, ContentType.GROUP_SET_MANAGER, {
    n: flag(change.on),
    ms: changed,
  });
  return { notices: [notice], receivers: group.activeMembers(), joined: [], left: [] };
}

/** GTO: the owner hands the group to another member and becomes a normal member. */
export function transferPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'transfer'>,
): Planned {
  const { group } = edit;
  if (group.memberOf(operator)?.type !== MemberType.OWNER) return ErrorCode.NO_RIGHT;
  if (change.uid === operator || group.memberOf(change.uid) === undefined)
    return ErrorCode.INVALID_PARAMETER;
  edit.memberSet(change.uid, MemberType.OWNER);
  edit.memberSet(operator, MemberType.NORMAL);
  edit.recordPatch({ owner: change.uid });
  const notice = noticeMessage(services, change.gid, operator, ContentType.GROUP_TRANSFER, {
    m: change.uid,
  });
  return { notices: [notice], receivers: group.activeMembers(), joined: [], left: [] };
}

/** GMM: the owner and managers mute (SILENT) or unmute normal members; never a manager. */
export function muteMembersPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'muteMembers'>,
): Planned {
  const { group } = edit;
  if (!isManager(group.memberOf(operator))) return ErrorCode.NO_RIGHT;
  const changed: string[] = [];
  for (const uid of change.uids) {
    const member = group.memberOf(uid);
    if (member === undefined) return ErrorCode.INVALID_PARAMETER;
    if (isManager(member)) return ErrorCode.NO_RIGHT;
    if ((member.type === MemberType.SILENT) !== change.on) changed.push(uid);
  }
  if (changed.length === 0) return 'unchanged';
  for (const uid of changed) edit.memberSet(uid, change.on ? MemberType.SILENT : MemberType.NORMAL);
  const notice = noticeMessage(services, change.gid, operator, ContentType.GROUP_MUTE_MEMBER, {
    n: flag(change.on),
    ms: changed,
  });
  return { notices: [notice], receivers: group.activeMembers(), joined: [], left: [] };
}

/** GMA: the owner and managers mute everyone but themselves (on) or lift it (off). */
export function muteAllPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'muteAll'>,
): Planned {
  const { group } = edit;
  if (!isManager(group.memberOf(operator))) return ErrorCode.NO_RIGHT;
  if (group.record.muteAll === change.on) return 'unchanged';
  edit.recordPatch({ muteAll: change.on });
  const notice = noticeMessage(services, change.gid, operator, ContentType.GROUP_MUTE_ALL, {
    n: flag(change.on),
  });
  return { notices: [notice], receivers: group.activeMembers(), joined: [], left: [] };
}

const SETTING_NOTICES = {
  [GroupSetting.JOIN_TYPE]: { key: 'joinType', contentType: ContentType.GROUP_JOIN_TYPE },
  [GroupSetting.PRIVATE_CHAT]: { key: 'privateChat', contentType: ContentType.GROUP_PRIVATE_CHAT },
  [GroupSetting.SEARCHABLE]: { key: 'searchable', contentType: ContentType.GROUP_SEARCHABLE },
} as const satisfies Record<GroupSetting, { key: keyof GroupRecord; contentType: number }>;

/** GMI 4–6: the owner and managers set the join type, private chat or searchable. */
export function settingPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'setting'>,
): Planned {
  const { group } = edit;
  if (!isManager(group.memberOf(operator))) return ErrorCode.NO_RIGHT;
  const { key, contentType } = SETTING_NOTICES[change.setting];
  if ((group.record[key] ?? 0) === change.value) return 'unchanged';
  edit.recordPatch({ [key]: change.value });
  const notice = noticeMessage(services, change.gid, operator, contentType, {
    n: String(change.value),
  });
  return { notices: [notice], receivers: group.activeMembers(), joined: [], left: [] };
}

/** GMAL: a member sets (or clears, with '') their own alias in the group. */
export function aliasPlan(
  services: ShardServices,
  edit: GroupEdit,
  operator: string,
  change: Change<'alias'>,
): Planned {
  const { group } = edit;
  if (group.memberOf(operator)?.alias === change.alias) return 'unchanged';
  edit.memberAliasSet(operator, change.alias);
  const notice = noticeMessage(services, change.gid, operator, ContentType.GROUP_MEMBER_ALIAS, {
    n: change.alias,
  });
  return { notices: [notice], receivers: group.activeMembers(), joined: [], left: [] };
}
