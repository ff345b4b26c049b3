// What an accepted friend request makes happen, as effects committed with the acceptance:
// friend records on both sides (FN to both after each side's commit), then the requester's
// greeting (the request's reason, as a text message from the requester) and two tips in the
// new conversation, filed in both timelines. Server-made messages notify every device of both
// users, the accepting one included (PROTOCOL.md §6), or the conversation never appears there.

import { ContentType, ConversationType } from '../protocol/signals.js';
import type { Effect } from '../router/effects.js';
import type { ShardServices } from '../shard/services.js';
import type { MessageContent, StoredMessage } from '../store/records.js';
import { friendSetEffect } from './friend_list.js';
import { FriendState, type RequestRecord } from './friend_store.js';

/** The tips both users see under the greeting. */
export const FRIEND_TIPS = [
  'Friend request accepted.',
  'You are now friends. Start chatting!',
] as const;

function messageMake(
  services: ShardServices,
  from: string,
  target: string,
  timestamp: number,
  content: MessageContent,
): StoredMessage {
  return {
    uid: services.ids.next(),
    from,
    fromDevice: '',
    conversationType: ConversationType.PRIVATE,
    target,
    line: 0,
    timestamp,
    content,
  };
}

export function acceptEffects(
  services: ShardServices,
  request: Pick<RequestRecord, 'from' | 'target' | 'reason'>,
  now: number,
): Effect[] {
  const { from: requester, target: acceptor, reason } = request;
  const receivers = [requester, acceptor];
  const append = (message: StoredMessage): Effect => ({
    kind: 'append',
    message,
    receivers,
    exceptSessionId: -1,
    exceptShard: services.shardId,
  });
  const effects: Effect[] = [
    friendSetEffect(acceptor, requester, FriendState.FRIEND, now),
    friendSetEffect(requester, acceptor, FriendState.FRIEND, now),
  ];
  // An empty reason sends no greeting; the tips still open the conversation.
  if (reason !== '') {
    const greeting = { type: ContentType.TEXT, searchableContent: reason };
    effects.push(append(messageMake(services, requester, acceptor, now, greeting)));
  }
  for (const tip of FRIEND_TIPS) {
    const content = { type: ContentType.TIP, content: tip };
    effects.push(append(messageMake(services, acceptor, requester, now, content)));
  }
  return effects;
}
