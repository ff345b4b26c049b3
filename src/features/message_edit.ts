// Edit (ME 68, MEN 69). The sender may replace the content of its own text message (type 1)
// within EDIT_WINDOW_MS. Routed like recall: a 1:1 edit is served on the editor's shard, a
// group edit by the group's owner shard (it knows the members; only the sender may edit).
// Every receiver's shard applies the `edited` op: its copy gets the new content, editVersion
// and editedAt in place (old pages and history show the latest version), the same uid is filed
// again at the head of the timeline (syncing devices learn it, as with recall), and online
// devices get MEN. A copy whose editVersion is already ≥ the op's, or that was recalled, is
// left alone (idempotent for outbox replays). Two edits racing from two devices of one sender
// may get the same version; each receiver keeps the first it applies.

import { ErrorCode } from '../errors.js';
import { EDIT_WINDOW_MS } from '../limits.js';
import { pushFor } from '../protocol/answers.js';
import { asFields, fieldUid } from '../protocol/fields.js';
import { contentDecode } from '../protocol/requests.js';
import { ContentType, ConversationType, SubSignal } from '../protocol/signals.js';
import type { Effect, ReplyTo } from '../router/effects.js';
import { effectsCommit } from '../shard/effects_commit.js';
import { notifyAppended } from '../shard/notify.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { StoredMessage } from '../store/records.js';
import type { Inbound, Session } from '../transport/session.js';
import { commandSend } from './commands.js';
import { groupTableOf } from './group_store.js';
import type { Applied } from './state_ops.js';

/** Applied on each receiver's shard (owner = the receiver). */
export interface EditOp {
  readonly feature: 'edit';
  readonly kind: 'edited';
  /** The message as edited (new content, editVersion, editedAt). */
  readonly edited: StoredMessage;
  /** The editing session (it has its answer): no MEN or MN to it. */
  readonly exceptShard: number;
  readonly exceptSessionId: number;
}

/** A group message's edit, served by the group's owner shard. */
export interface EditCommand {
  readonly feature: 'edit';
  readonly kind: 'groupEdit';
  readonly replyTo: ReplyTo;
  readonly operator: string;
  readonly edited: StoredMessage;
}

/** Why an edit of `message` by `operator` at `nowMs` is refused, or OK. */
export function editRefusal(message: StoredMessage, operator: string, nowMs: number): ErrorCode {
  if (message.content.type === ContentType.RECALLED) return ErrorCode.NOT_EXIST;
  if (message.content.type !== ContentType.TEXT) return ErrorCode.INVALID_PARAMETER;
  if (message.from !== operator) return ErrorCode.NO_RIGHT;
  if (nowMs - message.timestamp > EDIT_WINDOW_MS) return ErrorCode.NO_RIGHT;
  return ErrorCode.OK;
}

/** ME `{messageUid, content}` → `{editVersion, editedAt}`; 251 bad request or not text,
 * 248 not the sender or past the window, 253 unknown or recalled. */
export function meHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const replyTo = replyToOf(services, session, frame);
  const operator = session.uid as string;
  const fields = asFields(frame.content);
  const messageUid = fields === undefined ? undefined : fieldUid(fields, 'messageUid');
  const content = fields === undefined ? undefined : contentDecode(fields['content']);
  if (messageUid === undefined || content === undefined) {
    return reply(services, replyTo, SubSignal.ME, ErrorCode.INVALID_PARAMETER);
  }
  if (!content.ok) return reply(services, replyTo, SubSignal.ME, content.code);
  if (content.value.type !== ContentType.TEXT) {
    return reply(services, replyTo, SubSignal.ME, ErrorCode.INVALID_PARAMETER);
  }
  const { timelines } = services;
  const seq = timelines.seqOf(operator, messageUid);
  const message = seq === undefined ? undefined : timelines.entryAt(operator, seq)?.message;
  if (message === undefined) return reply(services, replyTo, SubSignal.ME, ErrorCode.NOT_EXIST);
  const refusal = editRefusal(message, operator, Date.now());
  if (refusal !== ErrorCode.OK) return reply(services, replyTo, SubSignal.ME, refusal);
  const edited: StoredMessage = {
    ...message,
    content: content.value,
    editVersion: (message.editVersion ?? 0) + 1,
    editedAt: Date.now(),
  };
  if (message.conversationType === ConversationType.GROUP) {
    const command: EditCommand = { feature: 'edit', kind: 'groupEdit', replyTo, operator, edited };
    return commandSend(services, message.target, command);
  }
  const { from, target } = message;
  const receivers = from === target ? [from] : [from, target];
  editCommit(services, replyTo, edited, receivers, () => undefined);
}

export function groupEditServe(services: ShardServices, command: EditCommand): void {
  const { replyTo, operator, edited } = command;
  const table = groupTableOf(services);
  const group = table.get(edited.target);
  if (group === undefined || group.record.dismissed) {
    return reply(services, replyTo, SubSignal.ME, ErrorCode.NOT_EXIST);
  }
  // The sender's window and rights were checked on its shard against its copy; the group
  // only adds that a member who left may no longer edit.
  if (group.memberOf(operator) === undefined) {
    return reply(services, replyTo, SubSignal.ME, ErrorCode.NO_RIGHT);
  }
  if (group.stale) return reply(services, replyTo, SubSignal.ME, ErrorCode.SHARD_UNAVAILABLE);
  const receivers = new Set(group.activeMembers());
  receivers.add(operator);
  group.inFlight++;
  editCommit(services, replyTo, edited, [...receivers], () => {
    table.settled(group);
  });
}

function editCommit(
  services: ShardServices,
  replyTo: ReplyTo,
  edited: StoredMessage,
  receivers: readonly string[],
  settled: () => void,
): void {
  const op: EditOp = {
    feature: 'edit',
    kind: 'edited',
    edited,
    exceptShard: replyTo.shard,
    exceptSessionId: replyTo.sessionId,
  };
  const effects: Effect[] = receivers.map((owner) => ({ kind: 'state', owner, op }));
  effectsCommit(services, effects, [], (code) => {
    settled();
    const result = { editVersion: edited.editVersion, editedAt: edited.editedAt };
    reply(services, replyTo, SubSignal.ME, code, code === ErrorCode.OK ? result : undefined);
  });
}

/** On the receiver's shard: replace its copy (keeping its reactions), file it again, tell its
 * devices. The re-filed entry carries the reactions the editor's copy had. */
export function editApply(services: ShardServices, owner: string, op: EditOp): Applied {
  const { timelines } = services;
  const { edited } = op;
  const version = edited.editVersion ?? 0;
  // A copy still shared with the group replica counts as not edited yet for this owner.
  const current = (): StoredMessage | undefined => {
    const copy = timelines.copyOf(owner, edited.uid);
    if (copy === undefined || !copy.shared) return copy?.message;
    return { ...copy.message, editVersion: 0 };
  };
  const stale = (copy: StoredMessage | undefined): boolean =>
    copy === undefined ||
    copy.content.type === ContentType.RECALLED ||
    (copy.editVersion ?? 0) >= version;
  const before = current();
  if (before !== undefined && stale(before)) return {};
  // The copy may still be committing (its delivery came just before): the transaction
  // decides; when it finds nothing to edit, the seq planned now stays a gap.
  const append = timelines.appendMessage(owner, edited);
  const except = op.exceptShard === services.shardId ? op.exceptSessionId : -1;
  let applied = false;
  return {
    write: () => {
      const { content, editedAt } = edited;
      const nextOf = (copy: StoredMessage): StoredMessage =>
        ({ ...copy, content, editVersion: version, editedAt: editedAt ?? 0 });
      // A read-fan-out group's replica copy, for members that have not filed it yet.
      services.groupReplicas.messageUpdate(edited.uid, (copy) =>
        stale(copy) ? undefined : nextOf(copy));
      const seq = timelines.seqOf(owner, edited.uid);
      const copy = current();
      if (seq === undefined || copy === undefined || stale(copy)) return;
      const next = nextOf(copy);
      timelines.replace(owner, seq, next);
      append.write();
      applied = true;
    },
    after: () => {
      timelines.committed(owner, append.seq);
      if (!applied) return;
      notifyAppended(services, owner, append.seq, except);
      editedPush(services, owner, edited, except);
    },
  };
}

/** MEN to the owner's online devices but the editing one. */
function editedPush(
  services: ShardServices,
  owner: string,
  edited: StoredMessage,
  except: number,
): void {
  const body = {
    fromUser: edited.from,
    messageUid: edited.uid,
    editVersion: edited.editVersion,
    editedAt: edited.editedAt,
    content: edited.content,
  };
  let native: string | Uint8Array | undefined;
  let compat: string | Uint8Array | undefined;
  for (const session of services.sessionsOf(owner)) {
    if (session.id === except || session.closed) continue;
    if (session.profile === 'native') {
      session.send((native ??= pushFor('native', SubSignal.MEN, body)));
    } else session.send((compat ??= pushFor('compat', SubSignal.MEN, body)));
  }
}
