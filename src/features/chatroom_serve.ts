// Chat rooms on the room's owner shard: joins, quits, sends, history and info. A send from a
// member gets a uid, is appended to the room's window (one row, members' timelines untouched),
// is acked after that commit and then pushed inline to the other members' online devices as a
// transparent message (PUB_ACK/MP, messageId 0, no seq); whoever was offline reads CRH.

import { ErrorCode } from '../errors.js';
import { CHATROOM_MEMBERS_MAX, PULL_PAGE_BYTES_MAX } from '../limits.js';
import { isTransparentContentType, SubSignal } from '../protocol/signals.js';
import type { ReplyTo } from '../router/effects.js';
import { pushTransparent } from '../shard/notify.js';
import { reply } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import { messageWire } from '../shard/wire.js';
import { entrySizeEstimate } from '../store/timelines.js';
import { uidHex, type StoredMessage } from '../store/records.js';
import type { DedupeRecord } from '../store/shard_store.js';
import { chatroomTableOf, KEY_END, type Room } from './chatroom_store.js';
import { commandSend } from './commands.js';
import type { ChatroomsCommand } from './chatrooms.js';

type SendCommand = Extract<ChatroomsCommand, { kind: 'send' }>;
type HistoryCommand = Extract<ChatroomsCommand, { kind: 'history' }>;

/** Tell the user's shard to update the user's room list; it answers the client. */
function listed(
  services: ShardServices,
  replyTo: ReplyTo,
  subSignal: number,
  roomId: string,
  uid: string,
  code: number,
): void {
  const command = { replyTo, subSignal, roomId, uid, code };
  commandSend(services, uid, { feature: 'chatrooms', kind: 'listed', ...command });
}

export function chatroomJoinServe(
  services: ShardServices,
  replyTo: ReplyTo,
  roomId: string,
  uid: string,
): void {
  const table = chatroomTableOf(services);
  const existing = table.get(roomId);
  // Joining twice succeeds (and repairs the user's list if a crash lost it).
  if (existing?.members.has(uid) === true) {
    return listed(services, replyTo, SubSignal.CRJ, roomId, uid, ErrorCode.OK);
  }
  if (existing !== undefined && existing.members.size >= CHATROOM_MEMBERS_MAX) {
    return listed(services, replyTo, SubSignal.CRJ, roomId, uid, ErrorCode.INVALID_PARAMETER);
  }
  const room = existing ?? table.add(roomId);
  room.members.add(uid);
  const { dbs } = table;
  const record = room.record;
  const writes = [() => void dbs.members.put([roomId, uid], { joinedMs: Date.now() })];
  if (existing === undefined) writes.push(() => void dbs.rooms.put(roomId, record));
  table.commit(services, room, writes, (code) =>
    listed(services, replyTo, SubSignal.CRJ, roomId, uid, code),
  );
}

export function chatroomQuitServe(
  services: ShardServices,
  replyTo: ReplyTo,
  roomId: string,
  uid: string,
): void {
  const table = chatroomTableOf(services);
  const room = table.get(roomId);
  if (room === undefined || !room.members.has(uid)) {
    // Not a member: the user's list is left as it is (a stale row there only counts softly).
    return listed(services, replyTo, SubSignal.CRQ, roomId, uid, ErrorCode.NOT_IN_CHATROOM);
  }
  room.members.delete(uid);
  const members = table.dbs.members;
  table.commit(services, room, [() => void members.remove([roomId, uid])], (code) =>
    listed(services, replyTo, SubSignal.CRQ, roomId, uid, code),
  );
}

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

/** Online devices of every member but the sender (its own device has the ack). Members of
 * other shards get one Transparent envelope per shard; each shard pushes to whoever of them
 * is connected, so a disconnected member simply gets nothing. */
function pushToMembers(services: ShardServices, room: Room, message: StoredMessage): void {
  const others = [...room.members].filter((uid) => uid !== message.from);
  pushTransparent(services, message, others, -1);
}

export function chatroomSendServe(services: ShardServices, command: SendCommand): void {
  const { replyTo, from, fromDevice, request } = command;
  const table = chatroomTableOf(services);
  const room = table.get(request.target);
  if (room === undefined || !room.members.has(from)) {
    return sendAnswer(services, replyTo, ErrorCode.NOT_IN_CHATROOM);
  }
  const clientId = request.clientMessageId;
  const clientKey = clientId === '' ? '' : `${from}\u0000${fromDevice}\u0000${clientId}`;
  if (clientKey !== '') {
    // A retry while the first send commits waits for its ack; a later one (within the window)
    // gets the stored ack.
    const waiting = room.committing.get(clientKey);
    if (waiting !== undefined) {
      waiting.push((code, ack) => sendAnswer(services, replyTo, code, ack));
      return;
    }
    const stored = room.ackOf(clientKey);
    if (stored !== undefined) return sendAnswer(services, replyTo, ErrorCode.OK, stored);
  }
  const message: StoredMessage = {
    uid: services.ids.next(),
    from,
    fromDevice,
    conversationType: request.conversationType,
    target: room.record.roomId,
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
    pushToMembers(services, room, message);
    return sendAnswer(services, replyTo, ErrorCode.OK, ack);
  }
  if (clientKey !== '') room.committing.set(clientKey, []);
  const writes = room.historyAppend(table.dbs, message, clientKey);
  table.commit(services, room, writes, (code) => {
    const committed = code === ErrorCode.OK ? ack : undefined;
    sendAnswer(services, replyTo, code, committed);
    for (const waiter of room.committing.get(clientKey) ?? []) waiter(code, committed);
    room.committing.delete(clientKey);
    if (committed !== undefined) pushToMembers(services, room, message);
  });
}

/** CRH: the window's messages with uid < beforeUid, newest first, members only. */
export function chatroomHistoryServe(services: ShardServices, command: HistoryCommand): void {
  const { replyTo, roomId, uid, beforeUid, count } = command;
  const table = chatroomTableOf(services);
  const room = table.get(roomId);
  if (room === undefined || !room.members.has(uid)) {
    return reply(services, replyTo, SubSignal.CRH, ErrorCode.NOT_IN_CHATROOM);
  }
  const native = replyTo.profile === 'native';
  const start = beforeUid === 0n ? [roomId, KEY_END] : [roomId, uidHex(beforeUid - 1n)];
  const list = [];
  let bytes = 0;
  for (const { value } of table.dbs.history.getRange({
    start,
    end: [roomId, ''],
    reverse: true,
    limit: count,
  })) {
    bytes += entrySizeEstimate({ kind: 'message', message: value.message });
    if (list.length > 0 && bytes > PULL_PAGE_BYTES_MAX) break;
    list.push(messageWire(value.message, native));
  }
  reply(services, replyTo, SubSignal.CRH, ErrorCode.OK, {
    messageCount: list.length,
    messageResponseList: list,
  });
}

/** CRI: `{roomId, memberCount, createdMs}`; 253 for a room nobody ever joined. */
export function chatroomInfoServe(services: ShardServices, replyTo: ReplyTo, roomId: string): void {
  const room = chatroomTableOf(services).get(roomId);
  if (room === undefined) return reply(services, replyTo, SubSignal.CRI, ErrorCode.NOT_EXIST);
  reply(services, replyTo, SubSignal.CRI, ErrorCode.OK, {
    roomId,
    memberCount: room.members.size,
    createdMs: room.record.createdMs,
  });
}
