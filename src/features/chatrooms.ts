// Chat rooms (conversationType 2; Magpie's CRJ 72, CRQ 73, CRH 74, CRI 75): the feature's entry
// point. A room id is owned like a gid (it hashes to a shard); that shard keeps the members and
// the history window (chatroom_store) and serves sends (chatroom_serve). Requests are decoded on
// the requester's shard; joins and quits come back there to update the user's own room list
// (CHATROOM_ROOMS_PER_USER_MAX) before the answer, so the answer means both sides committed.

import { assertNever, ErrorCode, fail, ok, type Result } from '../errors.js';
import { CHATROOM_HISTORY_MAX } from '../limits.js';
import { asFields, fieldInteger, fieldUid } from '../protocol/fields.js';
import type { SendRequest } from '../protocol/requests.js';
import { SubSignal } from '../protocol/signals.js';
import type { ReplyTo } from '../router/effects.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Inbound, Session } from '../transport/session.js';
import {
  chatroomHistoryServe,
  chatroomInfoServe,
  chatroomJoinServe,
  chatroomQuitServe,
  chatroomSendServe,
} from './chatroom_serve.js';
import { chatroomTableOf } from './chatroom_store.js';
import { commandSend } from './commands.js';
import { idOf } from './group_requests.js';
import type { PublishHandler } from './registry.js';

/** Served on the room's owner shard, except `listed` (on the user's shard). */
export type ChatroomsCommand =
  | {
      readonly feature: 'chatrooms';
      readonly kind: 'join' | 'quit';
      readonly replyTo: ReplyTo;
      readonly roomId: string;
      readonly uid: string;
    }
  | {
      readonly feature: 'chatrooms';
      /** The owner committed a join or quit (or refused it): update the user's room list. */
      readonly kind: 'listed';
      readonly replyTo: ReplyTo;
      readonly subSignal: number;
      readonly roomId: string;
      readonly uid: string;
      readonly code: number;
    }
  | {
      readonly feature: 'chatrooms';
      readonly kind: 'send';
      readonly replyTo: ReplyTo;
      readonly from: string;
      readonly fromDevice: string;
      readonly request: SendRequest;
    }
  | {
      readonly feature: 'chatrooms';
      readonly kind: 'history';
      readonly replyTo: ReplyTo;
      readonly roomId: string;
      readonly uid: string;
      /** 0n: the newest. */
      readonly beforeUid: bigint;
      readonly count: number;
    }
  | {
      readonly feature: 'chatrooms';
      readonly kind: 'info';
      readonly replyTo: ReplyTo;
      readonly roomId: string;
    };

export function chatroomsCommandHandle(services: ShardServices, command: ChatroomsCommand): void {
  switch (command.kind) {
    case 'join':
      return chatroomJoinServe(services, command.replyTo, command.roomId, command.uid);
    case 'quit':
      return chatroomQuitServe(services, command.replyTo, command.roomId, command.uid);
    case 'listed':
      return userRoomsUpdate(services, command);
    case 'send':
      return chatroomSendServe(services, command);
    case 'history':
      return chatroomHistoryServe(services, command);
    case 'info':
      return chatroomInfoServe(services, command.replyTo, command.roomId);
    default:
      return assertNever(command);
  }
}

/** On the user's shard: record the join or quit in the user's own list, then answer. */
function userRoomsUpdate(
  services: ShardServices,
  command: Extract<ChatroomsCommand, { kind: 'listed' }>,
): void {
  const { replyTo, subSignal, roomId, uid, code } = command;
  if (code !== ErrorCode.OK) return reply(services, replyTo, subSignal, code);
  const { userRooms } = chatroomTableOf(services).dbs;
  const write =
    subSignal === SubSignal.CRJ
      ? () => void userRooms.put([uid, roomId], { joinedMs: Date.now() })
      : () => void userRooms.remove([uid, roomId]);
  services.commits.add(write, (committed) => reply(services, replyTo, subSignal, committed));
}

/** A room message from a session of this shard: served by the room's owner shard. */
export function chatroomSendRoute(
  services: ShardServices,
  session: Session,
  messageId: number,
  request: SendRequest,
): void {
  commandSend(services, request.target, {
    feature: 'chatrooms',
    kind: 'send',
    replyTo: {
      shard: services.shardId,
      sessionId: session.id,
      profile: session.profile,
      messageId,
    },
    from: session.uid as string,
    fromDevice: session.deviceId ?? '',
    request,
  });
}

function roomIdDecode(content: unknown): Result<string> {
  const fields = asFields(content);
  const roomId = fields === undefined ? undefined : idOf(fields['roomId']);
  return roomId === undefined ? fail(ErrorCode.INVALID_PARAMETER) : ok(roomId);
}

/** CRH `{roomId, beforeUid ("0": newest), count}`; count is capped at CHATROOM_HISTORY_MAX. */
interface RoomHistoryRequest {
  readonly roomId: string;
  readonly beforeUid: bigint;
  readonly count: number;
}

function roomHistoryDecode(content: unknown): Result<RoomHistoryRequest> {
  const fields = asFields(content);
  const roomId = fields === undefined ? undefined : idOf(fields['roomId']);
  if (fields === undefined || roomId === undefined) return fail(ErrorCode.INVALID_PARAMETER);
  const beforeUid = fields['beforeUid'] === undefined ? 0n : fieldUid(fields, 'beforeUid');
  const count = fieldInteger(fields, 'count', 20);
  if (beforeUid === undefined || count === undefined || count < 1) {
    return fail(ErrorCode.INVALID_PARAMETER);
  }
  return ok({ roomId, beforeUid, count: Math.min(count, CHATROOM_HISTORY_MAX) });
}

const joinRoute: PublishHandler = (services, session, frame: Inbound) => {
  const replyTo = replyToOf(services, session, frame);
  const roomId = roomIdDecode(frame.content);
  if (!roomId.ok) return reply(services, replyTo, SubSignal.CRJ, roomId.code);
  const uid = session.uid as string;
  const table = chatroomTableOf(services);
  // Committed state, so soft under concurrent joins; a rejoin is always allowed.
  const listed = table.dbs.userRooms.get([uid, roomId.value]) !== undefined;
  if (!listed && table.userFull(uid)) {
    return reply(services, replyTo, SubSignal.CRJ, ErrorCode.INVALID_PARAMETER);
  }
  const command = { replyTo, roomId: roomId.value, uid };
  commandSend(services, roomId.value, { feature: 'chatrooms', kind: 'join', ...command });
};

const quitRoute: PublishHandler = (services, session, frame: Inbound) => {
  const replyTo = replyToOf(services, session, frame);
  const roomId = roomIdDecode(frame.content);
  if (!roomId.ok) return reply(services, replyTo, SubSignal.CRQ, roomId.code);
  const uid = session.uid as string;
  const command = { replyTo, roomId: roomId.value, uid };
  commandSend(services, roomId.value, { feature: 'chatrooms', kind: 'quit', ...command });
};

const historyRoute: PublishHandler = (services, session, frame: Inbound) => {
  const replyTo = replyToOf(services, session, frame);
  const request = roomHistoryDecode(frame.content);
  if (!request.ok) return reply(services, replyTo, SubSignal.CRH, request.code);
  const uid = session.uid as string;
  const command = { replyTo, uid, ...request.value };
  commandSend(services, command.roomId, { feature: 'chatrooms', kind: 'history', ...command });
};

const infoRoute: PublishHandler = (services, session, frame: Inbound) => {
  const replyTo = replyToOf(services, session, frame);
  const roomId = roomIdDecode(frame.content);
  if (!roomId.ok) return reply(services, replyTo, SubSignal.CRI, roomId.code);
  const command = { replyTo, roomId: roomId.value };
  commandSend(services, roomId.value, { feature: 'chatrooms', kind: 'info', ...command });
};

export const chatroomsPublishHandlers: readonly (readonly [number, PublishHandler])[] = [
  [SubSignal.CRJ, joinRoute],
  [SubSignal.CRQ, quitRoute],
  [SubSignal.CRH, historyRoute],
  [SubSignal.CRI, infoRoute],
];
