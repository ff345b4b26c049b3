// Reactions (MRA 70, MRAN 71). Anyone holding a copy of a message (1:1 peers, active group
// members) may add or remove an emoji on it; routed like recall (a group's owner shard knows the
// members). Each receiver's shard applies the `reacted` op to its own copy in place (set add or
// remove, so replays are harmless) and pushes MRAN to online devices. Reactions are not filed
// again in the timeline (that would make each tap a timeline entry): pulls of old ranges and
// history (LRM) show them as `reactions: {emoji: [uid]}`, present only when non-empty.
// At most REACTIONS_PER_MESSAGE_MAX (emoji, user) pairs: past it an add is refused (102) on the
// reactor's shard and skipped on a copy that filled up meanwhile.

import { ErrorCode } from '../errors.js';
import { EMOJI_CHARS_MAX, REACTIONS_PER_MESSAGE_MAX } from '../limits.js';
import { pushFor } from '../protocol/answers.js';
import { asFields, fieldInteger, fieldString, fieldUid } from '../protocol/fields.js';
import { ContentType, ConversationType, SubSignal } from '../protocol/signals.js';
import type { Effect, ReplyTo } from '../router/effects.js';
import { effectsCommit } from '../shard/effects_commit.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Reaction, StoredMessage } from '../store/records.js';
import type { Inbound, Session } from '../transport/session.js';
import { commandSend } from './commands.js';
import { groupTableOf } from './group_store.js';
import type { Applied } from './state_ops.js';

export interface ReactionChange {
  readonly messageUid: bigint;
  /** The reacting user. */
  readonly uid: string;
  readonly emoji: string;
  readonly on: boolean;
}

/** Applied on each receiver's shard (owner = the receiver). */
export interface ReactionOp {
  readonly feature: 'reactions';
  readonly kind: 'reacted';
  readonly change: ReactionChange;
  /** The reacting session (it has its answer): no MRAN to it. */
  readonly exceptShard: number;
  readonly exceptSessionId: number;
}

/** A group message's reaction, served by the group's owner shard. */
export interface ReactionCommand {
  readonly feature: 'reactions';
  readonly kind: 'groupReact';
  readonly replyTo: ReplyTo;
  readonly gid: string;
  readonly change: ReactionChange;
}

function pairCount(reactions: readonly Reaction[] | undefined): number {
  return (reactions ?? []).reduce((n, r) => n + r.uids.length, 0);
}

/** The reaction set after `change`, or undefined when nothing changes (or it is full). */
export function reactionsAfter(
  reactions: readonly Reaction[] | undefined,
  change: ReactionChange,
): Reaction[] | undefined {
  const list = reactions ?? [];
  const index = list.findIndex((r) => r.emoji === change.emoji);
  const uids = index < 0 ? [] : (list[index]?.uids ?? []);
  const has = uids.includes(change.uid);
  if (has === change.on) return undefined;
  if (change.on && pairCount(list) >= REACTIONS_PER_MESSAGE_MAX) return undefined;
  const nextUids = change.on ? [...uids, change.uid] : uids.filter((u) => u !== change.uid);
  const next = list.filter((r) => r.emoji !== change.emoji);
  if (nextUids.length === 0) return next;
  const entry = { emoji: change.emoji, uids: nextUids };
  if (index < 0) return [...next, entry];
  next.splice(index, 0, entry);
  return next;
}

/** MRA `{messageUid, emoji, on: 1|0}` → `{code: 200}`; 251 bad request, 253 unknown or
 * recalled, 248 not a member any more, 102 the message has REACTIONS_PER_MESSAGE_MAX. */
export function mraHandle(services: ShardServices, session: Session, frame: Inbound): void {
  const replyTo = replyToOf(services, session, frame);
  const uid = session.uid as string;
  const fields = asFields(frame.content);
  const messageUid = fields === undefined ? undefined : fieldUid(fields, 'messageUid');
  const emoji = fields === undefined ? undefined : fieldString(fields, 'emoji', EMOJI_CHARS_MAX);
  const on = fields === undefined ? undefined : fieldInteger(fields, 'on', 1);
  if (messageUid === undefined || !emoji || (on !== 0 && on !== 1)) {
    return reply(services, replyTo, SubSignal.MRA, ErrorCode.INVALID_PARAMETER);
  }
  const { timelines } = services;
  const seq = timelines.seqOf(uid, messageUid);
  const message = seq === undefined ? undefined : timelines.entryAt(uid, seq)?.message;
  if (message === undefined || message.content.type === ContentType.RECALLED) {
    return reply(services, replyTo, SubSignal.MRA, ErrorCode.NOT_EXIST);
  }
  const change: ReactionChange = { messageUid, uid, emoji, on: on === 1 };
  if (change.on && pairCount(message.reactions) >= REACTIONS_PER_MESSAGE_MAX) {
    return reply(services, replyTo, SubSignal.MRA, ErrorCode.TOO_LARGE);
  }
  if (message.conversationType === ConversationType.GROUP) {
    const gid = message.target;
    const kind = 'groupReact';
    const command: ReactionCommand = { feature: 'reactions', kind, replyTo, gid, change };
    return commandSend(services, gid, command);
  }
  const { from, target } = message;
  const receivers = from === target ? [from] : [from, target];
  reactionCommit(services, replyTo, change, receivers, () => undefined);
}

export function groupReactServe(services: ShardServices, command: ReactionCommand): void {
  const { replyTo, gid, change } = command;
  const table = groupTableOf(services);
  const group = table.get(gid);
  if (group === undefined || group.record.dismissed) {
    return reply(services, replyTo, SubSignal.MRA, ErrorCode.NOT_EXIST);
  }
  if (group.memberOf(change.uid) === undefined) {
    return reply(services, replyTo, SubSignal.MRA, ErrorCode.NO_RIGHT);
  }
  if (group.stale) return reply(services, replyTo, SubSignal.MRA, ErrorCode.SHARD_UNAVAILABLE);
  group.inFlight++;
  reactionCommit(services, replyTo, change, group.activeMembers(), () => {
    table.settled(group);
  });
}

function reactionCommit(
  services: ShardServices,
  replyTo: ReplyTo,
  change: ReactionChange,
  receivers: readonly string[],
  settled: () => void,
): void {
  const op: ReactionOp = {
    feature: 'reactions',
    kind: 'reacted',
    change,
    exceptShard: replyTo.shard,
    exceptSessionId: replyTo.sessionId,
  };
  const effects: Effect[] = receivers.map((owner) => ({ kind: 'state', owner, op }));
  effectsCommit(services, effects, [], (code) => {
    settled();
    reply(services, replyTo, SubSignal.MRA, code);
  });
}

/** On the receiver's shard: change its copy's reaction set in place; MRAN when it changed. */
export function reactionApply(services: ShardServices, owner: string, op: ReactionOp): Applied {
  const { timelines } = services;
  const { change } = op;
  const except = op.exceptShard === services.shardId ? op.exceptSessionId : -1;
  let applied = false;
  return {
    write: () => {
      // A read-fan-out group's replica copy, for members that have not filed it yet.
      services.groupReplicas.messageUpdate(change.messageUid, (copy) => reacted(copy, change));
      const copy = timelines.copyOf(owner, change.messageUid);
      if (copy === undefined) return;
      // A copy still shared with the replica may already carry the change: announce it anyway.
      const shared = copy.shared && copy.message.content.type !== ContentType.RECALLED;
      const message = reacted(copy.message, change) ?? (shared ? copy.message : undefined);
      if (message === undefined) return;
      timelines.replace(owner, copy.seq, message);
      applied = true;
    },
    after: () => {
      if (applied) reactionPush(services, owner, change, except);
    },
  };
}

/** `copy` with `change` applied, or undefined when it changes nothing (or was recalled). */
function reacted(copy: StoredMessage, change: ReactionChange): StoredMessage | undefined {
  if (copy.content.type === ContentType.RECALLED) return undefined;
  const next = reactionsAfter(copy.reactions, change);
  if (next === undefined) return undefined;
  const { reactions: _dropped, ...rest } = copy;
  return next.length === 0 ? rest : { ...rest, reactions: next };
}

/** MRAN `{fromUser, messageUid, emoji, on}` to the owner's online devices but the reacting one. */
function reactionPush(
  services: ShardServices,
  owner: string,
  change: ReactionChange,
  except: number,
): void {
  const body = {
    fromUser: change.uid,
    messageUid: change.messageUid,
    emoji: change.emoji,
    on: change.on ? 1 : 0,
  };
  let native: string | Uint8Array | undefined;
  let compat: string | Uint8Array | undefined;
  for (const session of services.sessionsOf(owner)) {
    if (session.id === except || session.closed) continue;
    if (session.profile === 'native') {
      session.send((native ??= pushFor('native', SubSignal.MRAN, body)));
    } else session.send((compat ??= pushFor('compat', SubSignal.MRAN, body)));
  }
}
