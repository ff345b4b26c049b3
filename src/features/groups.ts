// Groups (PROTOCOL.md §7 and §14): the feature's entry point. Requests are decoded on the
// requester's shard and served by the group's owner shard (commands); group messages are written
// out to every member's timeline (write-fan-out). The files behind it: group_requests
// (decoders), group_changes/_membership/_settings/_join (changes), group_send, group_reads
// (GPGI, GPGM, GJRP, GSR, GMY), group_search (what a shard answers), group_gather (questions to
// every shard), group_store (LMDB, cache).

import { assertNever, ErrorCode, type Result } from '../errors.js';
import type { SendRequest } from '../protocol/requests.js';
import { SubSignal } from '../protocol/signals.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Inbound, Session } from '../transport/session.js';
import { commandSend } from './commands.js';
import { groupChangeServe } from './group_changes.js';
import { gatherAnswered, gatherAsked, gatherRun, idsByShard } from './group_gather.js';
import { joinRequestsServe } from './group_join.js';
import {
  groupInfosServe,
  groupMembersRoute,
  groupMembersServe,
  groupSearchServe,
  joinRequestsRoute,
  myGroupsServe,
} from './group_reads.js';
import {
  addDecode,
  aliasDecode,
  createDecode,
  dismissDecode,
  joinHandleDecode,
  joinRequestDecode,
  kickDecode,
  modifyDecode,
  muteAllDecode,
  quitDecode,
  rolesDecode,
  transferDecode,
} from './group_requests.js';
import { privateChatApply } from './group_private_chat.js';
import { groupSendServe } from './group_send.js';
import { groupTableOf } from './group_store.js';
import type { GatherQuery, GroupChange, GroupsCommand, GroupsStateOp } from './group_types.js';
import type { PublishHandler } from './registry.js';
import type { Applied } from './state_ops.js';

export type { GroupsCommand, GroupsStateOp } from './group_types.js';

/** A member's own list of groups, kept on the member's shard. */
export function groupsOpApply(services: ShardServices, owner: string, op: GroupsStateOp): Applied {
  const { userGroups } = groupTableOf(services).dbs;
  switch (op.kind) {
    case 'joined':
      return { write: () => void userGroups.put([owner, op.gid], { joinedMs: op.atMs }) };
    case 'left':
      return { write: () => void userGroups.remove([owner, op.gid]) };
    case 'privateChat':
      return privateChatApply(services, op);
    default:
      return assertNever(op);
  }
}

export function groupsCommandHandle(services: ShardServices, command: GroupsCommand): void {
  switch (command.kind) {
    case 'change':
      return groupChangeServe(services, command);
    case 'send':
      return groupSendServe(services, command);
    case 'members':
      return groupMembersServe(services, command);
    case 'joinRequests':
      return joinRequestsServe(services, command);
    case 'gatherAsk':
      return gatherAsked(services, command.origin, command.requestId, command.query);
    case 'gatherAnswer':
      return gatherAnswered(services, command.from, command.requestId, command.part);
    default:
      return assertNever(command);
  }
}

/** A group message from a session of this shard: served by the group's owner shard. */
export function groupSendRoute(
  services: ShardServices,
  session: Session,
  messageId: number,
  request: SendRequest,
): void {
  const replyTo = {
    shard: services.shardId,
    sessionId: session.id,
    profile: session.profile,
    messageId,
  };
  const from = session.uid as string;
  const fromDevice = session.deviceId ?? '';
  commandSend(services, request.target, {
    feature: 'groups',
    kind: 'send',
    replyTo,
    from,
    fromDevice,
    request,
  });
}

type ChangeDecode = (
  services: ShardServices,
  content: unknown,
  operator: string,
) => Result<GroupChange>;

/** Users a change makes members: each must be in fewer than GROUPS_PER_USER_MAX groups. */
function joinersOf(change: GroupChange, operator: string): readonly string[] {
  switch (change.type) {
    case 'create':
      return change.members.map((member) => member.uid);
    case 'add':
      return change.uids;
    case 'joinRequest':
      return [operator];
    case 'joinHandle':
      return change.accept ? [change.uid] : [];
    default:
      return [];
  }
}

/** Decode here, check the joiners' group counts on their shards, then ask the group's owner. */
function changeRoute(subSignal: number, decode: ChangeDecode): PublishHandler {
  return (services, session, frame: Inbound) => {
    const replyTo = replyToOf(services, session, frame);
    const operator = session.uid as string;
    const change = decode(services, frame.content, operator);
    if (!change.ok) return reply(services, replyTo, subSignal, change.code);
    const command: GroupsCommand = {
      feature: 'groups',
      kind: 'change',
      replyTo,
      subSignal,
      operator,
      change: change.value,
    };
    const joiners = joinersOf(change.value, operator);
    if (joiners.length === 0) return commandSend(services, change.value.gid, command);
    const queries = new Map<number, GatherQuery>();
    for (const [shard, uids] of idsByShard(services, joiners)) {
      queries.set(shard, { type: 'full', uids });
    }
    gatherRun(services, queries, (parts, complete) => {
      if (!complete) return reply(services, replyTo, subSignal, ErrorCode.SHARD_UNAVAILABLE);
      const full = parts.some((part) => part.type === 'full' && part.uids.length > 0);
      if (full) return reply(services, replyTo, subSignal, ErrorCode.INVALID_PARAMETER);
      commandSend(services, change.value.gid, command);
    });
  };
}

/** A new gid: a snowflake of this shard in base 36 (like uids); owned by the shard it hashes to. */
const gidNew = (services: ShardServices): string => services.ids.next().toString(36);

export const groupsPublishHandlers: readonly (readonly [number, PublishHandler])[] = [
  [
    SubSignal.GC,
    changeRoute(SubSignal.GC, (s, content, op) => createDecode(content, op, gidNew(s))),
  ],
  [SubSignal.GAM, changeRoute(SubSignal.GAM, (_s, content) => addDecode(content))],
  [SubSignal.GKM, changeRoute(SubSignal.GKM, (_s, content) => kickDecode(content))],
  [SubSignal.GQ, changeRoute(SubSignal.GQ, (_s, content) => quitDecode(content))],
  [SubSignal.GD, changeRoute(SubSignal.GD, (_s, content) => dismissDecode(content))],
  [SubSignal.GMI, changeRoute(SubSignal.GMI, (_s, content) => modifyDecode(content))],
  [SubSignal.GSM, changeRoute(SubSignal.GSM, (_s, content) => rolesDecode(content, 'managers'))],
  [SubSignal.GTO, changeRoute(SubSignal.GTO, (_s, content) => transferDecode(content))],
  [SubSignal.GMM, changeRoute(SubSignal.GMM, (_s, content) => rolesDecode(content, 'muteMembers'))],
  [SubSignal.GMA, changeRoute(SubSignal.GMA, (_s, content) => muteAllDecode(content))],
  [SubSignal.GJR, changeRoute(SubSignal.GJR, (_s, content) => joinRequestDecode(content))],
  [SubSignal.GJRH, changeRoute(SubSignal.GJRH, (_s, content) => joinHandleDecode(content))],
  [SubSignal.GMAL, changeRoute(SubSignal.GMAL, (_s, content) => aliasDecode(content))],
  [SubSignal.GPGI, groupInfosServe],
  [SubSignal.GPGM, groupMembersRoute],
  [SubSignal.GJRP, joinRequestsRoute],
  [SubSignal.GSR, groupSearchServe],
  [SubSignal.GMY, myGroupsServe],
];
