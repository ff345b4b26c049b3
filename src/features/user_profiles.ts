// User profiles on the owner shard: created with the first device session at login (the shard
// learns the mobile then), changed by MMI, read by UPUI and US through user_search.ts. The
// search index (exact mobile, name/displayName prefixes) is kept in the same transaction as
// the profile, so a committed profile is always findable.

import { ErrorCode } from '../errors.js';
import {
  PROFILE_ENTRIES_MAX,
  PROFILE_EXTRA_CHARS_MAX,
  PROFILE_NAME_CHARS_MAX,
  PROFILE_TEXT_CHARS_MAX,
  PROFILE_URL_CHARS_MAX,
} from '../limits.js';
import { asFields, fieldInteger, fieldString } from '../protocol/fields.js';
import { SubSignal } from '../protocol/signals.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Write } from '../store/commit_queue.js';
import type { Inbound, Session } from '../transport/session.js';
import { friendClockNext, friendDbs, type FriendDbs, type ProfileRecord } from './friend_store.js';

/** MMI info types (PROTOCOL.md §6). */
export const InfoType = {
  DISPLAY_NAME: 0,
  PORTRAIT: 1,
  GENDER: 2,
  MOBILE: 3,
  EMAIL: 4,
  ADDRESS: 5,
  COMPANY: 6,
  SOCIAL: 7,
  EXTRA: 8,
} as const;

type TextKey = 'displayName' | 'portrait' | 'email' | 'address' | 'company' | 'social' | 'extra';

/** Text info types: the profile field and its bound. */
const TEXT_FIELDS = new Map<number, { readonly key: TextKey; readonly charsMax: number }>([
  [InfoType.DISPLAY_NAME, { key: 'displayName', charsMax: PROFILE_NAME_CHARS_MAX }],
  [InfoType.PORTRAIT, { key: 'portrait', charsMax: PROFILE_URL_CHARS_MAX }],
  [InfoType.EMAIL, { key: 'email', charsMax: PROFILE_TEXT_CHARS_MAX }],
  [InfoType.ADDRESS, { key: 'address', charsMax: PROFILE_TEXT_CHARS_MAX }],
  [InfoType.COMPANY, { key: 'company', charsMax: PROFILE_TEXT_CHARS_MAX }],
  [InfoType.SOCIAL, { key: 'social', charsMax: PROFILE_TEXT_CHARS_MAX }],
  [InfoType.EXTRA, { key: 'extra', charsMax: PROFILE_EXTRA_CHARS_MAX }],
]);

/** The profile as US and UPUI show it; `social` (MMI type 7) only over native. */
export function profileWire(record: ProfileRecord, native: boolean): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    uid: record.uid,
    name: record.name,
    displayName: record.displayName,
    portrait: record.portrait,
    mobile: record.mobile,
    email: record.email,
    address: record.address,
    company: record.company,
    gender: record.gender,
    extra: record.extra,
    type: record.type,
    updateDt: record.updateDt,
  };
  if (native) wire['social'] = record.social;
  return wire;
}

/** Index keys of a profile: its mobile exactly, its name and displayName as prefixes. */
function indexKeys(record: ProfileRecord): [string, string, string][] {
  const keys: [string, string, string][] = [];
  if (record.mobile !== '') keys.push(['m', record.mobile, record.uid]);
  const names = new Set([record.name.toLowerCase(), record.displayName.toLowerCase()]);
  for (const name of names) if (name !== '') keys.push(['n', name, record.uid]);
  return keys;
}

function profilePut(dbs: FriendDbs, before: ProfileRecord | undefined, after: ProfileRecord): void {
  if (before !== undefined) for (const key of indexKeys(before)) dbs.profileIndex.remove(key);
  for (const key of indexKeys(after)) dbs.profileIndex.put(key, 1);
  dbs.profiles.put(after.uid, after);
}

/**
 * The profile of a user logging in, created if missing (runs inside the session's commit, so
 * it reads the transaction's own state). The default display name carries no personal data.
 */
export function profileEnsureWrite(services: ShardServices, uid: string, mobile: string): Write {
  const dbs = friendDbs(services);
  const updateDt = friendClockNext(services);
  return () => {
    if (dbs.profiles.get(uid) !== undefined) return;
    const record: ProfileRecord = {
      uid,
      name: uid,
      displayName: `user${uid.slice(-6)}`,
      portrait: '',
      mobile,
      email: '',
      address: '',
      company: '',
      gender: 0,
      social: '',
      extra: '',
      type: 0,
      updateDt,
    };
    profilePut(dbs, undefined, record);
  };
}

export function profileOf(services: ShardServices, uid: string): ProfileRecord | undefined {
  return friendDbs(services).profiles.get(uid);
}

type InfoChange =
  | { readonly key: 'gender'; readonly value: number }
  | { readonly key: TextKey; readonly value: string };

function infoApply(record: ProfileRecord, change: InfoChange): ProfileRecord {
  if (change.key === 'gender') return { ...record, gender: change.value };
  return { ...record, [change.key]: change.value };
}

/** MMI entries: `[{type,value}]`, `{infoEntries|entries:[…]}` or one `{type,value}`. */
function infoEntriesDecode(content: unknown): InfoChange[] | ErrorCode {
  const fields = asFields(content);
  const single = fields === undefined ? undefined : [fields];
  const list = Array.isArray(content)
    ? content
    : (fields?.['infoEntries'] ?? fields?.['entries'] ?? single);
  if (!Array.isArray(list) || list.length === 0) return ErrorCode.INVALID_DATA;
  if (list.length > PROFILE_ENTRIES_MAX) return ErrorCode.INVALID_PARAMETER;
  const changes: InfoChange[] = [];
  for (const item of list) {
    const entry = asFields(item);
    const type = entry === undefined ? undefined : fieldInteger(entry, 'type');
    if (entry === undefined || type === undefined) return ErrorCode.INVALID_DATA;
    // The mobile is the login identity and what US finds people by: changing it here would let
    // anyone appear under someone else's number, so it changes only with the account.
    if (type === InfoType.MOBILE) return ErrorCode.NO_RIGHT;
    if (type === InfoType.GENDER) {
      const gender = fieldInteger(entry, 'value');
      if (gender === undefined || gender < 0 || gender > 255) return ErrorCode.INVALID_PARAMETER;
      changes.push({ key: 'gender', value: gender });
      continue;
    }
    const field = TEXT_FIELDS.get(type);
    if (field === undefined) return ErrorCode.INVALID_PARAMETER;
    const raw = entry['value'];
    const absent = raw === null || raw === undefined;
    const value = absent ? '' : fieldString(entry, 'value', field.charsMax);
    if (value === undefined) return ErrorCode.INVALID_PARAMETER;
    changes.push({ key: field.key, value });
  }
  return changes;
}

/** MMI: change the caller's own profile; `{"code":200}`. */
export function mmiHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const replyTo = replyToOf(services, session, frame);
  const changes = infoEntriesDecode(frame.content);
  if (typeof changes === 'number') return reply(services, replyTo, SubSignal.MMI, changes);
  const dbs = friendDbs(services);
  if (dbs.profiles.get(uid) === undefined) {
    return reply(services, replyTo, SubSignal.MMI, ErrorCode.NOT_EXIST);
  }
  const updateDt = friendClockNext(services);
  const write: Write = () => {
    // Read inside the transaction: two devices changing different fields both win.
    const before = dbs.profiles.get(uid);
    if (before === undefined) return;
    let after: ProfileRecord = { ...before, updateDt };
    for (const change of changes) after = infoApply(after, change);
    profilePut(dbs, before, after);
  };
  services.commits.add(write, (code) => reply(services, replyTo, SubSignal.MMI, code));
}
