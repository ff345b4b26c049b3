// Recall (MR 30, RMN 31; PROTOCOL.md §6). The recaller's shard finds its own copy of the
// message by uid; a 1:1 message is recalled there (sender only, within RECALL_WINDOW_MS), a group
// message by the group's owner shard (the sender within the window, owner and managers always),
// which knows the members. Every receiver's shard then applies the idempotent `recalled` op:
// the copy becomes content type 80 in place (old pages show it), the same uid is filed again at
// the head of the timeline (syncing devices learn it), and online devices get RMN.
//
// Recalled content: `{type: 80, content: <operator uid>, binaryContent: Base64(<uid decimal>)}`
// (Wildfire's RecallMessageContent); the entry keeps the message's uid, from and timestamp.

import { ErrorCode } from '../errors.js';
import { RECALL_WINDOW_MS } from '../limits.js';
import { pushFor } from '../protocol/answers.js';
import { asFields, fieldUid } from '../protocol/fields.js';
import { ContentType, ConversationType, SubSignal } from '../protocol/signals.js';
import type { Effect, ReplyTo } from '../router/effects.js';
import { effectsCommit } from '../shard/effects_commit.js';
import { notifyAppended } from '../shard/notify.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { MessageContent, StoredMessage } from '../store/records.js';
import type { Inbound, Session } from '../transport/session.js';
import { commandSend } from './commands.js';
import { isManager } from './group_membership.js';
import { groupTableOf } from './group_store.js';
import type { Applied } from './state_ops.js';

/** Applied on each receiver's shard (owner = the receiver). */
export interface RecallOp {
  readonly feature: 'recall';
  readonly kind: 'recalled';
  /** The message as recalled (type 80 content; small whatever the original's size). */
  readonly recalled: StoredMessage;
  readonly operator: string;
  /** The recalling session (it has its answer): no RMN or MN to it. */
  readonly exceptShard: number;
  readonly exceptSessionId: number;
}

/** A group message's recall, served by the group's owner shard. */
export interface RecallCommand {
  readonly feature: 'recall';
  readonly kind: 'groupRecall';
  readonly replyTo: ReplyTo;
  readonly operator: string;
  readonly message: StoredMessage;
}

export function recalledContent(operator: string, messageUid: bigint): MessageContent {
  const binaryContent = Buffer.from(messageUid.toString()).toString('base64');
  return { type: ContentType.RECALLED, content: operator, binaryContent };
}

/** The sender may recall its own message within the window. */
export function senderMay(message: StoredMessage, operator: string, nowMs: number): boolean {
  return message.from === operator && nowMs - message.timestamp <= RECALL_WINDOW_MS;
}

/** MR `{messageUid}` → `{code: 200}`; 248 no right, 253 unknown uid (compat `{code}` too). */
export function mrHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const replyTo = replyToOf(services, session, frame);
  const operator = session.uid as string;
  const fields = asFields(frame.content);
  const messageUid = fields === undefined ? undefined : fieldUid(fields, 'messageUid');
  if (messageUid === undefined) {
    return reply(services, replyTo, SubSignal.MR, ErrorCode.INVALID_PARAMETER);
  }
  const { timelines } = services;
  const seq = timelines.seqOf(operator, messageUid);
  const entry = seq === undefined ? undefined : timelines.entryAt(operator, seq);
  if (entry === undefined) return reply(services, replyTo, SubSignal.MR, ErrorCode.NOT_EXIST);
  const message = entry.message;
  // Recalling twice is success with nothing to do.
  if (message.content.type === ContentType.RECALLED) {
    return reply(services, replyTo, SubSignal.MR, ErrorCode.OK);
  }
  if (message.conversationType === ConversationType.GROUP) {
    const command: RecallCommand = {
      feature: 'recall',
      kind: 'groupRecall',
      replyTo,
      operator,
      message,
    };
    return commandSend(services, message.target, command);
  }
  if (!senderMay(message, operator, Date.now())) {
    return reply(services, replyTo, SubSignal.MR, ErrorCode.NO_RIGHT);
  }
  const { from, target } = message;
  const receivers = from === target ? [from] : [from, target];
  recallCommit(services, replyTo, operator, message, receivers, () => undefined);
}

export function groupRecallServe(services: ShardServices, command: RecallCommand): void {
  const { replyTo, operator, message } = command;
  const table = groupTableOf(services);
  const group = table.get(message.target);
  if (group === undefined || group.record.dismissed) {
    return reply(services, replyTo, SubSignal.MR, ErrorCode.NOT_EXIST);
  }
  const allowed = isManager(group.memberOf(operator)) || senderMay(message, operator, Date.now());
  if (!allowed) return reply(services, replyTo, SubSignal.MR, ErrorCode.NO_RIGHT);
  if (group.stale) return reply(services, replyTo, SubSignal.MR, ErrorCode.SHARD_UNAVAILABLE);
  const receivers = new Set(group.activeMembers());
  receivers.add(operator);
  group.inFlight++;
  recallCommit(services, replyTo, operator, message, [...receivers], () => {
    table.settled(group);
  });
}

function recallCommit(
  services: ShardServices,
  replyTo: ReplyTo,
  operator: string,
  message: StoredMessage,
  receivers: readonly string[],
  settled: () => void,
): void {
  const recalled = { ...message, content: recalledContent(operator, message.uid) };
  const op: RecallOp = {
    feature: 'recall',
    kind: 'recalled',
    recalled,
    operator,
    exceptShard: replyTo.shard,
    exceptSessionId: replyTo.sessionId,
  };
  const effects: Effect[] = receivers.map((owner) => ({ kind: 'state', owner, op }));
  effectsCommit(services, effects, [], (code) => {
    settled();
    reply(services, replyTo, SubSignal.MR, code);
  });
}

/** On the receiver's shard: replace its copy, file it again, tell its devices. Idempotent: a
 * copy already recalled (or never filed) is left alone. */
export function recallApply(services: ShardServices, owner: string, op: RecallOp): Applied {
  const { timelines } = services;
  const { recalled } = op;
  const recalledCopy = (): boolean => {
    const copy = timelines.copyOf(owner, recalled.uid);
    return copy?.shared === false && copy.message.content.type === ContentType.RECALLED;
  };
  if (recalledCopy()) return {};
  // The copy may still be committing here (its delivery came just before): the transaction
  // decides; when it finds nothing to recall, the seq planned now stays a gap.
  const append = timelines.appendMessage(owner, recalled);
  const except = op.exceptShard === services.shardId ? op.exceptSessionId : -1;
  let applied = false;
  return {
    write: () => {
      // A read-fan-out group's replica copy, for members that have not filed it yet.
      services.groupReplicas.messageUpdate(recalled.uid, (copy) =>
        copy.content.type === ContentType.RECALLED ? undefined : recalled);
      const seq = timelines.seqOf(owner, recalled.uid);
      if (seq === undefined || recalledCopy()) return;
      timelines.replace(owner, seq, recalled);
      append.write();
      applied = true;
    },
    after: () => {
      timelines.committed(owner, append.seq);
      if (!applied) return;
      notifyAppended(services, owner, append.seq, except);
      recalledPush(services, owner, op, except);
    },
  };
}

/** RMN `{fromUser, messageUid}` to the owner's online devices but the recalling one. */
function recalledPush(services: ShardServices, owner: string, op: RecallOp, except: number): void {
  const body = { fromUser: op.operator, messageUid: op.recalled.uid };
  let native: string | Uint8Array | undefined;
  let compat: string | Uint8Array | undefined;
  for (const session of services.sessionsOf(owner)) {
    if (session.id === except || session.closed) continue;
    if (session.profile === 'native') {
      session.send((native ??= pushFor('native', SubSignal.RMN, body)));
    } else session.send((compat ??= pushFor('compat', SubSignal.RMN, body)));
  }
}
