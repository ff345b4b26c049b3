// The conversation list (Magpie's CLP 65, CLS 66, CLN 67): one row per (user, conversation) on
// the user's shard, kept by every timeline append (store/timelines.ts: last message, unread
// count, mention flag), by the user's own read reports (unread resets, read position) and by
// the user's settings (pin, do-not-disturb, draft). Rows carry a version (the shard's
// conversation clock); a device pulls rows changed after the version it has, so an offline
// device catches up on reads made elsewhere. CLN `{version}` tells online devices to pull.
//
// CLP `{version}` → `{version, conversations: [{conversation: {type, target, line},
//   lastMessage: <MP entry> | null, unread, mentionedType, readUid, pinned, silent, draft,
//   timestamp}]}` (changed after version, oldest change first, at most CONVERSATIONS_PULL_MAX rows
//   and about PULL_PAGE_BYTES_MAX: pull again from the answer's version until the list comes back empty).
// CLS `{conversation, pinned?: 0|1, silent?: 0|1, draft?: string}` → `{version}`.

import { ErrorCode } from '../errors.js';
import {
  CONVERSATION_DRAFT_CHARS_MAX,
  CONVERSATIONS_PULL_MAX,
  PULL_PAGE_BYTES_MAX,
  USER_ID_CHARS_MAX,
} from '../limits.js';
import { pushFor } from '../protocol/answers.js';
import { asFields, fieldInteger, fieldString, type Fields } from '../protocol/fields.js';
import { SubSignal } from '../protocol/signals.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import { messageWire } from '../shard/wire.js';
import {
  conversationKeyOf,
  type ConversationRecord,
  type StoredMessage,
} from '../store/records.js';
import { conversationRowNew } from '../store/conversation_fold.js';
import { conversationLast, entrySizeEstimate } from '../store/timelines.js';
import type { Inbound, Session } from '../transport/session.js';
import type { Applied } from './state_ops.js';

/** Read reports look at most this many newer entries to recount what is still unread. */
const UNREAD_RECOUNT_ENTRIES_MAX = 1000;

export interface ConversationRef {
  readonly type: number;
  readonly target: string;
  readonly line: number;
}

/** The owner read the conversation up to `messageUid` (applied on the owner's shard). */
export interface ConversationReadOp {
  readonly feature: 'conversations';
  readonly kind: 'read';
  readonly conversation: ConversationRef;
  readonly messageUid: bigint;
  readonly exceptShard: number;
  readonly exceptSessionId: number;
}

/** `{type, target, line}` under `conversation`, or undefined. */
export function conversationDecode(fields: Fields): ConversationRef | undefined {
  const conversation = asFields(fields['conversation']);
  if (conversation === undefined) return undefined;
  const type = fieldInteger(conversation, 'type', 0);
  const target = fieldString(conversation, 'target', USER_ID_CHARS_MAX);
  const line = fieldInteger(conversation, 'line', 0);
  if (type === undefined || type < 0 || type > 3 || !target) return undefined;
  if (line === undefined || line < 0 || line > 255) return undefined;
  return { type, target, line };
}

function rowNew(ref: ConversationRef, updateDt: number): ConversationRecord {
  return conversationRowNew(ref.type, ref.target, ref.line, updateDt);
}

/** CLN to the owner's online devices except one session (-1: none). */
export function conversationsChangedPush(
  services: ShardServices,
  owner: string,
  version: number,
  exceptSessionId: number,
): void {
  const body = { version };
  let native: string | Uint8Array | undefined;
  let compat: string | Uint8Array | undefined;
  for (const session of services.sessionsOf(owner)) {
    if (session.id === exceptSessionId || session.closed) continue;
    if (session.profile === 'native') {
      session.send((native ??= pushFor('native', SubSignal.CLN, body)));
    } else session.send((compat ??= pushFor('compat', SubSignal.CLN, body)));
  }
}

export function conversationReadApply(
  services: ShardServices,
  owner: string,
  op: ConversationReadOp,
): Applied {
  const { timelines } = services;
  const { type, target, line } = op.conversation;
  const key: [string, string] = [owner, conversationKeyOf(type, target, line)];
  const before = timelines.rows.committed(owner, key[1]);
  if (before !== undefined && before.readUid >= op.messageUid) return {};
  const updateDt = timelines.clockNext();
  const except = op.exceptShard === services.shardId ? op.exceptSessionId : -1;
  return {
    write: () => {
      const row = timelines.conversationRow(owner, key[1]) ?? rowNew(op.conversation, updateDt);
      if (row.readUid >= op.messageUid) return;
      const left = timelines.unreadAfter(owner, key[1], op.messageUid, UNREAD_RECOUNT_ENTRIES_MAX);
      const next = { ...row, ...left, readUid: op.messageUid, updateDt };
      timelines.conversationRowPut(owner, key[1], next);
    },
    after: () => conversationsChangedPush(services, owner, updateDt, except),
  };
}

function rowWire(
  row: ConversationRecord,
  last: StoredMessage | undefined,
  native: boolean,
): unknown {
  return {
    conversation: { type: row.conversationType, target: row.target, line: row.line },
    lastMessage: last === undefined ? null : messageWire(last, native),
    unread: row.unread,
    mentionedType: row.mentioned,
    readUid: native ? row.readUid : row.readUid.toString(),
    pinned: row.pinned ? 1 : 0,
    silent: row.silent ? 1 : 0,
    draft: row.draft,
    timestamp: row.updateDt,
  };
}

/** Rows a crash left behind were repaired for a reader: store them so, or every pull would
 * repair them again (each time with a new version). */
function repairedRowsPersist(
  services: ShardServices,
  owner: string,
  conversations: readonly string[],
): void {
  const { timelines } = services;
  services.commits.add(
    () => {
      for (const conversation of conversations) {
        const row = timelines.conversationRow(owner, conversation);
        if (row !== undefined) timelines.conversationRowPut(owner, conversation, row);
      }
    },
    () => undefined,
  );
}

/** CLP: rows changed after `version`, oldest change first. */
export function clpHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const owner = session.uid as string;
  const fields = asFields(frame.content);
  const version = (fields === undefined ? 0 : fieldInteger(fields, 'version', 0)) ?? 0;
  const listed = services.timelines.rows.committedOf(owner);
  if (listed.repaired.length > 0) repairedRowsPersist(services, owner, listed.repaired);
  const rows = listed.rows.filter((row) => row.updateDt > version);
  rows.sort((a, b) => a.updateDt - b.updateDt);
  // Bounded like MP pages: a row may carry a 64 KiB last message.
  const page: { row: ConversationRecord; last: StoredMessage | undefined }[] = [];
  let bytes = 0;
  for (const row of rows) {
    const last = conversationLast(services.timelines, owner, row);
    const lastBytes =
      last === undefined ? 0 : entrySizeEstimate({ kind: 'message', message: last });
    bytes += 200 + lastBytes + 3 * row.draft.length;
    if (page.length >= CONVERSATIONS_PULL_MAX || (page.length > 0 && bytes > PULL_PAGE_BYTES_MAX)) {
      break;
    }
    page.push({ row, last });
  }
  const native = session.profile === 'native';
  const newest = page[page.length - 1];
  const result = {
    version: newest === undefined ? version : newest.row.updateDt,
    conversations: page.map(({ row, last }) => rowWire(row, last, native)),
  };
  reply(services, replyToOf(services, session, frame), SubSignal.CLP, ErrorCode.OK, result);
}

interface SettingsPatch {
  pinned?: boolean;
  silent?: boolean;
  draft?: string;
}

function settingsDecode(fields: Fields): SettingsPatch | undefined {
  const patch: SettingsPatch = {};
  for (const name of ['pinned', 'silent'] as const) {
    if (fields[name] === undefined || fields[name] === null) continue;
    const raw = fields[name];
    const value = typeof raw === 'boolean' ? Number(raw) : fieldInteger(fields, name);
    if (value !== 0 && value !== 1) return undefined;
    patch[name] = value === 1;
  }
  if (fields['draft'] !== undefined && fields['draft'] !== null) {
    const draft = fields['draft'];
    if (typeof draft !== 'string' || draft.length > CONVERSATION_DRAFT_CHARS_MAX) return undefined;
    patch.draft = draft;
  }
  return patch;
}

/** CLS: pin, do-not-disturb, draft; every other device of the user gets CLN. */
export function clsHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const owner = session.uid as string;
  const replyTo = replyToOf(services, session, frame);
  const fields = asFields(frame.content);
  const ref = fields === undefined ? undefined : conversationDecode(fields);
  const patch = fields === undefined ? undefined : settingsDecode(fields);
  if (ref === undefined || patch === undefined) {
    return reply(services, replyTo, SubSignal.CLS, ErrorCode.INVALID_PARAMETER);
  }
  const { timelines, commits } = services;
  const key: [string, string] = [owner, conversationKeyOf(ref.type, ref.target, ref.line)];
  const updateDt = timelines.clockNext();
  commits.add(
    () => {
      const row = timelines.conversationRow(owner, key[1]) ?? rowNew(ref, updateDt);
      timelines.conversationRowPut(owner, key[1], { ...row, ...patch, updateDt });
    },
    (code) => {
      reply(services, replyTo, SubSignal.CLS, code, { version: updateDt });
      if (code === ErrorCode.OK) conversationsChangedPush(services, owner, updateDt, session.id);
    },
  );
}
