// A group message, served on the group's owner shard: membership (9) and mute (247) checks,
// dedupe of the client message id per (group, sender, device), a uid, and one effectsCommit that
// appends it to every member's timeline (write-fan-out, batched per destination shard). Sends
// of one group are planned in arrival order here, so every member files them in one order.

import { ErrorCode } from '../errors.js';
import { GROUP_IN_FLIGHT_MAX } from '../limits.js';
import { isTransparentContentType, SubSignal } from '../protocol/signals.js';
import type { AppendEffect, ReplyTo } from '../router/effects.js';
import { effectsCommit } from '../shard/effects_commit.js';
import { pushTransparent } from '../shard/notify.js';
import { reply } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Write } from '../store/commit_queue.js';
import type { StoredMessage } from '../store/records.js';
import type { DedupeRecord } from '../store/shard_store.js';
import { isManager } from './group_membership.js';
import { groupTableOf, type Group } from './group_store.js';
import { MemberType, type GroupsCommand } from './group_types.js';

type SendCommand = Extract<GroupsCommand, { kind: 'send' }>;

function sendAnswer(
  services: ShardServices,
  replyTo: ReplyTo,
  code: number,
  ack?: DedupeRecord,
): void {
  const native = replyTo.profile === 'native';
  const result =
    ack === undefined
      ? undefined
      : {
          messageId: native ? ack.messageUid : ack.messageUid.toString(),
          timestamp: ack.timestamp,
        };
  reply(services, replyTo, SubSignal.MS, code, result);
}

/** Why `from` may not send to `group` now, or OK. */
function sendCheck(group: Group | undefined, from: string): ErrorCode {
  if (group === undefined || group.record.dismissed) return ErrorCode.NOT_EXIST;
  const member = group.memberOf(from);
  if (member === undefined) return ErrorCode.NOT_IN_GROUP;
  if (member.type === MemberType.SILENT) return ErrorCode.FORBIDDEN_TO_SEND;
  if (group.record.muteAll && !isManager(member)) return ErrorCode.FORBIDDEN_TO_SEND;
  if (group.stale) return ErrorCode.SHARD_UNAVAILABLE;
  if (group.inFlight >= GROUP_IN_FLIGHT_MAX) return ErrorCode.MAILBOX_FULL;
  return ErrorCode.OK;
}

export function groupSendServe(services: ShardServices, command: SendCommand): void {
  const { replyTo, from, fromDevice, request } = command;
  const table = groupTableOf(services);
  const group = table.get(request.target);
  const allowed = sendCheck(group, from);
  if (group === undefined || allowed !== ErrorCode.OK)
    return sendAnswer(services, replyTo, allowed);
  const gid = group.record.gid;
  const clientId = request.clientMessageId;
  const waitKey = clientId === '' ? '' : `${from}\u0000${fromDevice}\u0000${clientId}`;
  if (waitKey !== '') {
    // A retry while the first send commits waits for its ack; a later one gets the stored ack.
    const waiting = group.committing.get(waitKey);
    if (waiting !== undefined) {
      waiting.push((code, ack) => sendAnswer(services, replyTo, code, ack));
      return;
    }
    const stored = table.dbs.dedupe.get([gid, from, fromDevice, clientId]);
    if (stored !== undefined) return sendAnswer(services, replyTo, ErrorCode.OK, stored);
  }
  const message: StoredMessage = {
    uid: services.ids.next(),
    from,
    fromDevice,
    conversationType: request.conversationType,
    target: gid,
    line: request.line,
    timestamp: Date.now(),
    content: request.content,
  };
  const ack: DedupeRecord = {
    messageUid: message.uid,
    timestamp: message.timestamp,
    atMs: Date.now(),
  };
  if (isTransparentContentType(message.content.type)) {
    // Typing and call signals: online devices of the other members only, nothing stored.
    const others = group.activeMembers().filter((uid) => uid !== from);
    pushTransparent(services, message, others, -1);
    return sendAnswer(services, replyTo, ErrorCode.OK, ack);
  }
  const writes: Write[] = [];
  if (waitKey !== '') {
    const dedupe = table.dbs.dedupe;
    writes.push(() => dedupe.put([gid, from, fromDevice, clientId], ack));
    group.committing.set(waitKey, []);
  }
  const effect: AppendEffect = {
    kind: 'append',
    message,
    receivers: group.activeMembers(),
    exceptSessionId: replyTo.sessionId,
    exceptShard: replyTo.shard,
  };
  group.inFlight++;
  effectsCommit(services, [effect], writes, (code) => {
    // A failed send leaves a gap in timelines and nothing in memory to undo.
    table.settled(group);
    const committed = code === ErrorCode.OK ? ack : undefined;
    sendAnswer(services, replyTo, code, committed);
    for (const waiter of group.committing.get(waitKey) ?? []) waiter(code, committed);
    group.committing.delete(waitKey);
  });
}
