// Decoders of the group requests (PROTOCOL.md §7 and Magpie's GSM, GTO, GMM, GMA, GJR, GJRH,
// GMAL, GSR): untrusted
// content in, a typed GroupChange or an error code out (251 for a bad or over-limit value).
// Nothing here throws; ids are printable ASCII so that they order safely inside LMDB keys.

import { ErrorCode, fail, ok, type Result } from '../errors.js';
import {
  GROUP_ALIAS_CHARS_MAX,
  GROUP_EXTRA_CHARS_MAX,
  GROUP_INFOS_PER_REQUEST_MAX,
  GROUP_MEMBERS_CEILING,
  GROUP_NAME_CHARS_MAX,
  GROUP_PORTRAIT_CHARS_MAX,
  GROUP_SEARCH_PAGES_MAX,
  JOIN_REQUEST_REASON_CHARS_MAX,
  SEARCH_KEYWORD_CHARS_MAX,
  USER_ID_CHARS_MAX,
} from '../limits.js';
import { asFields, fieldInteger, fieldString, type Fields } from '../protocol/fields.js';
import {
  GMI_MUTE_ALL,
  GroupField,
  GroupSetting,
  JoinStatus,
  JoinType,
  MemberType,
  type GroupChange,
  type MemberWanted,
} from './group_types.js';

const ID_PATTERN = /^[0-9A-Za-z_.@-]+$/;
const GROUP_TYPE_MAX = 3;

/** A uid or gid given as a string or a safe integer. */
export function idOf(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== 'string' || text.length > USER_ID_CHARS_MAX) return undefined;
  return ID_PATTERN.test(text) ? text : undefined;
}

/** A text field: missing or null is ''; too long or not a string is 251. */
function textOf(fields: Fields, key: string, charsMax: number): Result<string> {
  const value = fields[key];
  if (value === undefined || value === null) return ok('');
  if (typeof value !== 'string' || value.length > charsMax)
    return fail(ErrorCode.INVALID_PARAMETER);
  return ok(value);
}

/** Distinct ids, at least one, at most GROUP_MEMBERS_CEILING; items may be `{memberId}` objects. */
function idsOf(value: unknown): Result<string[]> {
  if (!Array.isArray(value) || value.length === 0 || value.length > GROUP_MEMBERS_CEILING) {
    return fail(ErrorCode.INVALID_PARAMETER);
  }
  const ids = new Set<string>();
  for (const item of value as unknown[]) {
    const fields = asFields(item);
    const id = idOf(fields === undefined ? item : fields['memberId']);
    if (id === undefined) return fail(ErrorCode.INVALID_PARAMETER);
    ids.add(id);
  }
  return ok([...ids]);
}

function gidOf(fields: Fields | undefined): string | undefined {
  return fields === undefined ? undefined : idOf(fields['groupId']);
}

/** `value` 1 (on) or 0 (off); also true/false. */
function onOf(fields: Fields): boolean | undefined {
  const value = fields['value'];
  if (typeof value === 'boolean') return value;
  const number = fieldInteger(fields, 'value');
  return number === 1 ? true : number === 0 ? false : undefined;
}

const bad = fail<GroupChange>(ErrorCode.INVALID_PARAMETER);

/** GC: the creator is the owner whatever the list says; listed type 1 makes a manager. */
export function createDecode(content: unknown, creator: string, gid: string): Result<GroupChange> {
  const fields = asFields(content);
  const info = fields === undefined ? undefined : asFields(fields['groupInfo']);
  if (fields === undefined || info === undefined) return bad;
  const name = textOf(info, 'name', GROUP_NAME_CHARS_MAX);
  const portrait = textOf(info, 'portrait', GROUP_PORTRAIT_CHARS_MAX);
  const extra = textOf(info, 'extra', GROUP_EXTRA_CHARS_MAX);
  const groupType = fieldInteger(info, 'type', 0);
  if (!name.ok || !portrait.ok || !extra.ok) return bad;
  if (groupType === undefined || groupType < 0 || groupType > GROUP_TYPE_MAX) return bad;
  const listed = fields['groupMembers'] ?? [];
  if (!Array.isArray(listed) || listed.length > GROUP_MEMBERS_CEILING) return bad;
  const types = new Map<string, MemberType>([[creator, MemberType.OWNER]]);
  for (const item of listed as unknown[]) {
    const member = asFields(item);
    const uid = idOf(member === undefined ? item : member['memberId']);
    if (uid === undefined) return bad;
    if (uid === creator) continue;
    const type = member === undefined ? 0 : fieldInteger(member, 'type', 0);
    types.set(uid, type === MemberType.MANAGER ? MemberType.MANAGER : MemberType.NORMAL);
  }
  if (types.size > GROUP_MEMBERS_CEILING) return bad;
  const members: MemberWanted[] = [...types].map(([uid, type]) => ({ uid, type }));
  return ok({
    type: 'create',
    gid,
    name: name.value,
    portrait: portrait.value,
    groupType,
    extra: extra.value,
    members,
  });
}

/** GAM `{groupId, groupMembers}`. */
export function addDecode(content: unknown): Result<GroupChange> {
  const fields = asFields(content);
  const gid = gidOf(fields);
  if (fields === undefined || gid === undefined) return bad;
  const uids = idsOf(fields['groupMembers']);
  return uids.ok ? ok({ type: 'add', gid, uids: uids.value }) : bad;
}

/** GKM `{groupId, memberIds}`. */
export function kickDecode(content: unknown): Result<GroupChange> {
  const fields = asFields(content);
  const gid = gidOf(fields);
  if (fields === undefined || gid === undefined) return bad;
  const uids = idsOf(fields['memberIds']);
  return uids.ok ? ok({ type: 'kick', gid, uids: uids.value }) : bad;
}

/** GQ `{groupId}`. */
export function quitDecode(content: unknown): Result<GroupChange> {
  const gid = gidOf(asFields(content));
  return gid === undefined ? bad : ok({ type: 'quit', gid });
}

/** GD `{groupId}`. */
export function dismissDecode(content: unknown): Result<GroupChange> {
  const gid = gidOf(asFields(content));
  return gid === undefined ? bad : ok({ type: 'dismiss', gid });
}

const FIELD_CHARS_MAX: Record<GroupField, number> = {
  [GroupField.NAME]: GROUP_NAME_CHARS_MAX,
  [GroupField.PORTRAIT]: GROUP_PORTRAIT_CHARS_MAX,
  [GroupField.EXTRA]: GROUP_EXTRA_CHARS_MAX,
};

/** The highest value of each numeric setting (the lowest is 0). */
const SETTING_MAX: Record<GroupSetting, number> = {
  [GroupSetting.JOIN_TYPE]: JoinType.CLOSED,
  [GroupSetting.PRIVATE_CHAT]: 1,
  [GroupSetting.SEARCHABLE]: 1,
};

/** GMI `{groupId, type, value}`: 0 name (not empty), 1 portrait, 2 extra; 3 mute all (as
 * GMA), 4 join type 0–2, 5 private chat 0/1, 6 searchable 0/1 (numbers or numeric strings). */
export function modifyDecode(content: unknown): Result<GroupChange> {
  const fields = asFields(content);
  const gid = gidOf(fields);
  if (fields === undefined || gid === undefined) return bad;
  const field = fieldInteger(fields, 'type');
  if (field === GMI_MUTE_ALL) return muteAllDecode(content);
  if (
    field === GroupSetting.JOIN_TYPE ||
    field === GroupSetting.PRIVATE_CHAT ||
    field === GroupSetting.SEARCHABLE
  ) {
    const value = fieldInteger(fields, 'value');
    if (value === undefined || value < 0 || value > SETTING_MAX[field]) return bad;
    return ok({ type: 'setting', gid, setting: field, value });
  }
  if (field !== GroupField.NAME && field !== GroupField.PORTRAIT && field !== GroupField.EXTRA) {
    return bad;
  }
  const value = textOf(fields, 'value', FIELD_CHARS_MAX[field]);
  if (!value.ok || (field === GroupField.NAME && value.value === '')) return bad;
  return ok({ type: 'modify', gid, field, value: value.value });
}

/** GJR `{groupId, reason}`. */
export function joinRequestDecode(content: unknown): Result<GroupChange> {
  const fields = asFields(content);
  const gid = gidOf(fields);
  if (fields === undefined || gid === undefined) return bad;
  const reason = textOf(fields, 'reason', JOIN_REQUEST_REASON_CHARS_MAX);
  return reason.ok ? ok({ type: 'joinRequest', gid, reason: reason.value }) : bad;
}

/** GJRH `{groupId, memberId, status}`: status 1 accepts, 2 rejects. */
export function joinHandleDecode(content: unknown): Result<GroupChange> {
  const fields = asFields(content);
  const gid = gidOf(fields);
  if (fields === undefined || gid === undefined) return bad;
  const uid = idOf(fields['memberId']);
  const status = fieldInteger(fields, 'status');
  if (uid === undefined) return bad;
  if (status !== JoinStatus.ACCEPTED && status !== JoinStatus.REJECTED) return bad;
  return ok({ type: 'joinHandle', gid, uid, accept: status === JoinStatus.ACCEPTED });
}

/** GMAL `{groupId, alias}`: missing or null clears it. */
export function aliasDecode(content: unknown): Result<GroupChange> {
  const fields = asFields(content);
  const gid = gidOf(fields);
  if (fields === undefined || gid === undefined) return bad;
  const alias = textOf(fields, 'alias', GROUP_ALIAS_CHARS_MAX);
  return alias.ok ? ok({ type: 'alias', gid, alias: alias.value }) : bad;
}

/** GSR `{keyword, page}`: the keyword trimmed and lowercased; pages 0 to the limit − 1. */
export function searchDecode(content: unknown): Result<{ keyword: string; page: number }> {
  const fields = asFields(content);
  if (fields === undefined) return fail(ErrorCode.INVALID_PARAMETER);
  const keyword = fieldString(fields, 'keyword', SEARCH_KEYWORD_CHARS_MAX);
  const page = fieldInteger(fields, 'page', 0);
  if (keyword === undefined || page === undefined || page < 0 || page >= GROUP_SEARCH_PAGES_MAX) {
    return fail(ErrorCode.INVALID_PARAMETER);
  }
  return ok({ keyword: keyword.trim().toLowerCase(), page });
}

/** GSM and GMM `{groupId, memberIds, value}`. */
export function rolesDecode(
  content: unknown,
  type: 'managers' | 'muteMembers',
): Result<GroupChange> {
  const fields = asFields(content);
  const gid = gidOf(fields);
  if (fields === undefined || gid === undefined) return bad;
  const uids = idsOf(fields['memberIds']);
  const on = onOf(fields);
  if (!uids.ok || on === undefined) return bad;
  return ok({ type, gid, uids: uids.value, on });
}

/** GTO `{groupId, memberId}`. */
export function transferDecode(content: unknown): Result<GroupChange> {
  const fields = asFields(content);
  const gid = gidOf(fields);
  const uid = fields === undefined ? undefined : idOf(fields['memberId']);
  return gid === undefined || uid === undefined ? bad : ok({ type: 'transfer', gid, uid });
}

/** GMA `{groupId, value}`. */
export function muteAllDecode(content: unknown): Result<GroupChange> {
  const fields = asFields(content);
  const gid = gidOf(fields);
  const on = fields === undefined ? undefined : onOf(fields);
  return gid === undefined || on === undefined ? bad : ok({ type: 'muteAll', gid, on });
}

/** GPGM and GJRP `{groupId, version}`: members (requests) changed after `version` (ms;
 * anything else counts as 0). */
export function membersPullDecode(content: unknown): Result<{ gid: string; version: number }> {
  const fields = asFields(content);
  const gid = gidOf(fields);
  if (fields === undefined || gid === undefined) return fail(ErrorCode.INVALID_PARAMETER);
  return ok({ gid, version: fieldInteger(fields, 'version', 0) ?? 0 });
}

/** GPGI `["gid", …]`: never fails; bad input or more than the limit is no gids. */
export function infosDecode(content: unknown): string[] {
  if (!Array.isArray(content) || content.length > GROUP_INFOS_PER_REQUEST_MAX) return [];
  const gids = new Set<string>();
  for (const item of content as unknown[]) {
    const gid = idOf(item);
    if (gid === undefined) return [];
    gids.add(gid);
  }
  return [...gids];
}
