// Content the client sends: MS bodies with every field present (the server and the original
// clients expect them), and 64-bit ids in the profile's spelling (msgpack uint64 when native,
// decimal strings in compat JSON).

import { ContentType, ConversationType } from '../protocol/signals.js';
import type { WireProfile } from './wire.js';
import type { Conversation, OutgoingMessage } from './types.js';

/** A uid in the profile's spelling, or null if `uid` is not a decimal uint64 ('' counts as 0). */
export function uidWire(uid: string, profile: WireProfile): number | bigint | string | null {
  const text = uid === '' ? '0' : uid;
  if (!/^\d{1,20}$/.test(text)) return null;
  const value = BigInt(text);
  if (value >= 1n << 64n) return null;
  if (profile === 'compat') return value.toString();
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export function conversationWire(conversation: Conversation): Conversation {
  return { type: conversation.type, target: conversation.target, line: conversation.line };
}

export function sendContentBuild(message: OutgoingMessage, clientMessageId: string): unknown {
  const c = message.content;
  return {
    conversationType: message.conversation.type,
    target: message.conversation.target,
    line: message.conversation.line,
    content: {
      type: c.type,
      searchableContent: c.searchableContent ?? '',
      pushContent: c.pushContent ?? '',
      content: c.content ?? '',
      binaryContent: c.binaryContent ?? '',
      mediaType: c.mediaType ?? 0,
      remoteMediaUrl: c.remoteMediaUrl ?? '',
      mentionedType: c.mentionedType ?? 0,
      mentionedTargets: c.mentionedTargets ?? [],
      extra: c.extra ?? '',
    },
    messageId: clientMessageId,
  };
}

/** A text message (type 1) to a user (conversation type 0) or another conversation. */
export function textMessage(
  target: string,
  text: string,
  conversationType: number = ConversationType.PRIVATE,
): OutgoingMessage {
  return {
    conversation: { type: conversationType, target, line: 0 },
    content: { type: ContentType.TEXT, searchableContent: text },
  };
}
