// Delivery and read receipts (MDR 39, MRR 38, MRP 37, MRN 36). A report says "I (the reader)
// have received / read this conversation up to and including messageUid":
//   MDR / MRR `{messageUid, conversation?: {type, target, line}}` → `{code: 200}`
// (the conversation is taken from the reader's own copy of the message; when given it must
// match, else 251; an unknown uid is 253). Read implies delivered. MRR also marks the reader's
// own conversation read (unread recount, CLN to the reader's other devices, conversations.ts).
// 1:1: the peer's shard stores the reader's cursor with the report's commit and pushes
// MRN `{conversation: {type, target: reader, line}, uid: reader, messageUid, type: 0 delivered |
// 1 read, timestamp}` to the peer's devices. Groups: the group's owner shard moves the
// member's cursor (coalesced, receipt_cursors.ts) and pushes MRN to the message's sender.
// MRP `{conversation, messageUid?}` → `{cursors: [{uid, readUid, deliveredUid, timestamp}],
//   memberCount, readCount, deliveredCount, readers: [uid]}`: counts are about messageUid
//   (0 when absent) among the members other than its sender.

import { ErrorCode } from '../errors.js';
import { RECEIPT_READERS_MAX } from '../limits.js';
import { asFields, fieldUid } from '../protocol/fields.js';
import { ConversationType, SubSignal } from '../protocol/signals.js';
import type { Effect, ReplyTo } from '../router/effects.js';
import { effectsCommit } from '../shard/effects_commit.js';
import { pushToLocalUsers, pushToUsers, reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import { conversationKey, conversationKeyOf, type StoredMessage } from '../store/records.js';
import type { Inbound, Session } from '../transport/session.js';
import { commandSend } from './commands.js';
import { conversationDecode, type ConversationRef } from './conversations.js';
import { groupTableOf } from './group_store.js';
import { cursorAdvance, receiptStateOf, type ReceiptCursor } from './receipt_cursors.js';
import type { PublishHandler } from './registry.js';
import type { Applied } from './state_ops.js';

/** Applied on the peer's shard (owner = the peer): the reader's cursor in their 1:1 chat. */
export interface ReceiptSetOp {
  readonly feature: 'receipts';
  readonly kind: 'receiptSet';
  readonly line: number;
  readonly reader: string;
  readonly read: boolean;
  readonly messageUid: bigint;
  readonly atMs: number;
}

export type ReceiptsCommand =
  | {
      readonly feature: 'receipts';
      readonly kind: 'groupReport';
      readonly gid: string;
      readonly line: number;
      readonly reader: string;
      readonly read: boolean;
      readonly messageUid: bigint;
      /** The message's sender: it gets the MRN. */
      readonly from: string;
      readonly atMs: number;
    }
  | {
      readonly feature: 'receipts';
      readonly kind: 'groupPull';
      readonly replyTo: ReplyTo;
      readonly gid: string;
      readonly reader: string;
      readonly messageUid: bigint;
      /** Left out of the counts (the message's sender), or ''. */
      readonly exclude: string;
    };

interface MrnBody {
  readonly conversation: ConversationRef;
  readonly uid: string;
  readonly messageUid: bigint;
  readonly type: number;
  readonly timestamp: number;
}

function mrnBody(
  conversation: ConversationRef,
  reader: string,
  read: boolean,
  messageUid: bigint,
  atMs: number,
): MrnBody {
  return { conversation, uid: reader, messageUid, type: read ? 1 : 0, timestamp: atMs };
}

/** The reader's own copy of `messageUid`, checked against the conversation named (if any). */
function ownCopy(
  services: ShardServices,
  owner: string,
  fields: Readonly<Record<string, unknown>>,
): StoredMessage | ErrorCode {
  const messageUid = fieldUid(fields, 'messageUid');
  if (messageUid === undefined) return ErrorCode.INVALID_PARAMETER;
  const seq = services.timelines.seqOf(owner, messageUid);
  const message = seq === undefined ? undefined : services.timelines.entryAt(owner, seq)?.message;
  if (message === undefined) return ErrorCode.NOT_EXIST;
  if (fields['conversation'] !== undefined) {
    const ref = conversationDecode(fields);
    if (ref === undefined) return ErrorCode.INVALID_PARAMETER;
    const named = conversationKeyOf(ref.type, ref.target, ref.line);
    if (named !== conversationKey(owner, message)) return ErrorCode.INVALID_PARAMETER;
  }
  return message;
}

/** The conversation as `owner` names it. */
function refOf(owner: string, message: StoredMessage): ConversationRef {
  const peer = message.from === owner ? message.target : message.from;
  const target = message.conversationType === ConversationType.PRIVATE ? peer : message.target;
  return { type: message.conversationType, target, line: message.line };
}

function reportHandler(read: boolean): PublishHandler {
  const subSignal = read ? SubSignal.MRR : SubSignal.MDR;
  return (services, session, frame) => {
    const replyTo = replyToOf(services, session, frame);
    const reader = session.uid as string;
    const fields = asFields(frame.content);
    const message =
      fields === undefined ? ErrorCode.INVALID_DATA : ownCopy(services, reader, fields);
    if (typeof message === 'number') return reply(services, replyTo, subSignal, message);
    const ref = refOf(reader, message);
    const atMs = Date.now();
    const effects: Effect[] = [];
    if (read) {
      const op = {
        feature: 'conversations',
        kind: 'read',
        conversation: ref,
        messageUid: message.uid,
        exceptShard: services.shardId,
        exceptSessionId: session.id,
      } as const;
      effects.push({ kind: 'state', owner: reader, op });
    }
    const isGroup = ref.type === ConversationType.GROUP;
    if (!isGroup && ref.target !== reader) {
      const op: ReceiptSetOp = {
        feature: 'receipts',
        kind: 'receiptSet',
        line: ref.line,
        reader,
        read,
        messageUid: message.uid,
        atMs,
      };
      effects.push({ kind: 'state', owner: ref.target, op });
    }
    const { uid: messageUid, from } = message;
    effectsCommit(services, effects, [], (code) => {
      reply(services, replyTo, subSignal, code);
      if (code !== ErrorCode.OK || !isGroup) return;
      const command: ReceiptsCommand = {
        feature: 'receipts',
        kind: 'groupReport',
        gid: ref.target,
        line: ref.line,
        reader,
        read,
        messageUid,
        from,
        atMs,
      };
      commandSend(services, ref.target, command);
    });
  };
}

export function receiptSetApply(services: ShardServices, owner: string, op: ReceiptSetOp): Applied {
  const { privateCursors } = receiptStateOf(services);
  const named = conversationKeyOf(ConversationType.PRIVATE, op.reader, op.line);
  const key: [string, string, string] = [owner, named, op.reader];
  if (cursorAdvance(privateCursors.get(key), op.read, op.messageUid, op.atMs) === undefined) {
    return {};
  }
  const conversation = { type: ConversationType.PRIVATE, target: op.reader, line: op.line };
  return {
    write: () => {
      const next = cursorAdvance(privateCursors.get(key), op.read, op.messageUid, op.atMs);
      if (next !== undefined) privateCursors.put(key, next);
    },
    after: () => {
      const body = mrnBody(conversation, op.reader, op.read, op.messageUid, op.atMs);
      pushToLocalUsers(services, [owner], SubSignal.MRN, body);
    },
  };
}

type Report = Extract<ReceiptsCommand, { kind: 'groupReport' }>;
type Pull = Extract<ReceiptsCommand, { kind: 'groupPull' }>;

/** On the group's owner shard: members' cursors move; the sender hears of it. */
function groupReportServe(services: ShardServices, command: Report): void {
  const group = groupTableOf(services).get(command.gid);
  if (group === undefined || group.memberOf(command.reader) === undefined) return;
  const { gid, reader, read, messageUid, atMs } = command;
  const cursors = receiptStateOf(services).groupCursors;
  if (!cursors.advance(gid, reader, read, messageUid, atMs)) return;
  if (command.from === reader) return;
  const conversation = { type: ConversationType.GROUP, target: gid, line: command.line };
  const body = mrnBody(conversation, reader, read, messageUid, atMs);
  pushToUsers(services, [command.from], SubSignal.MRN, body);
}

interface CursorWire {
  readonly uid: string;
  readonly readUid: bigint | string;
  readonly deliveredUid: bigint | string;
  readonly timestamp: number;
}

/** The MRP answer from cursors of `members` (counts about `messageUid`, 0n: none). */
function pullAnswer(
  cursors: Iterable<readonly [string, ReceiptCursor]>,
  members: readonly string[],
  messageUid: bigint,
  native: boolean,
): unknown {
  const byUid = new Map(cursors);
  const list: CursorWire[] = [];
  const readers: string[] = [];
  let deliveredCount = 0;
  for (const uid of members) {
    const cursor = byUid.get(uid);
    if (cursor === undefined) continue;
    const { readUid, deliveredUid, atMs } = cursor;
    list.push({
      uid,
      readUid: native ? readUid : readUid.toString(),
      deliveredUid: native ? deliveredUid : deliveredUid.toString(),
      timestamp: atMs,
    });
    if (messageUid === 0n) continue;
    if (readUid >= messageUid && readers.length < RECEIPT_READERS_MAX) readers.push(uid);
    if (deliveredUid >= messageUid) deliveredCount++;
  }
  const memberCount = members.length;
  return { cursors: list, memberCount, readCount: readers.length, deliveredCount, readers };
}

function groupPullServe(services: ShardServices, command: Pull): void {
  const { replyTo, gid, reader, messageUid, exclude } = command;
  const group = groupTableOf(services).get(gid);
  if (group === undefined || group.record.dismissed) {
    return reply(services, replyTo, SubSignal.MRP, ErrorCode.NOT_EXIST);
  }
  if (!group.members.has(reader)) {
    return reply(services, replyTo, SubSignal.MRP, ErrorCode.NOT_IN_GROUP);
  }
  const members = group.activeMembers().filter((uid) => uid !== exclude);
  const cursors = receiptStateOf(services).groupCursors.of(gid);
  const native = replyTo.profile === 'native';
  const answer = pullAnswer(cursors, members, messageUid, native);
  reply(services, replyTo, SubSignal.MRP, ErrorCode.OK, answer);
}

/** MRP: 1:1 cursors are on the asker's own shard; a group's on its owner shard. */
function mrpHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const replyTo = replyToOf(services, session, frame);
  const owner = session.uid as string;
  const fields = asFields(frame.content);
  const ref = fields === undefined ? undefined : conversationDecode(fields);
  if (fields === undefined || ref === undefined) {
    return reply(services, replyTo, SubSignal.MRP, ErrorCode.INVALID_PARAMETER);
  }
  let messageUid = 0n;
  let exclude = '';
  if (fields['messageUid'] !== undefined && fields['messageUid'] !== null) {
    const message = ownCopy(services, owner, fields);
    if (typeof message === 'number') return reply(services, replyTo, SubSignal.MRP, message);
    messageUid = message.uid;
    exclude = message.from;
  }
  if (ref.type === ConversationType.GROUP) {
    const command: ReceiptsCommand = {
      feature: 'receipts',
      kind: 'groupPull',
      replyTo,
      gid: ref.target,
      reader: owner,
      messageUid,
      exclude,
    };
    return commandSend(services, ref.target, command);
  }
  const key = conversationKeyOf(ref.type, ref.target, ref.line);
  const { privateCursors } = receiptStateOf(services);
  const cursors: [string, ReceiptCursor][] = [];
  for (const { key: rowKey, value } of privateCursors.getRange({
    start: [owner, key, ''],
    end: [owner, key, '\uffff'],
  })) {
    cursors.push([rowKey[2], value]);
  }
  const members = ref.target === owner ? [] : [ref.target];
  const native = session.profile === 'native';
  const answer = pullAnswer(cursors, members, messageUid, native);
  reply(services, replyTo, SubSignal.MRP, ErrorCode.OK, answer);
}

export function receiptsCommandHandle(services: ShardServices, command: ReceiptsCommand): void {
  switch (command.kind) {
    case 'groupReport':
      return groupReportServe(services, command);
    case 'groupPull':
      return groupPullServe(services, command);
  }
}

export const receiptsPublishHandlers: readonly (readonly [number, PublishHandler])[] = [
  [SubSignal.MDR, reportHandler(false)],
  [SubSignal.MRR, reportHandler(true)],
  [SubSignal.MRP, mrpHandle],
];
