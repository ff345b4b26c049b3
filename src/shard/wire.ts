// Stored records as the protocol shows them. Native keeps 64-bit ids as uint64; compat gets
// decimal strings here already, which keeps the JSON encoder on its fast path (no bigint).

import type { StoredMessage } from '../store/records.js';

export interface MessageWire {
  /** uint64 over native frames; a decimal string in compat JSON (ids exceed 2^53). */
  readonly messageId: bigint | string;
  readonly from: string;
  readonly conversationType: number;
  readonly target: string;
  readonly line: number;
  readonly timestamp: number;
  readonly content: StoredMessage['content'];
  readonly seq?: number;
  readonly editVersion?: number;
  readonly editedAt?: number;
  /** `{emoji: [uid]}`, only when the message has reactions. */
  readonly reactions?: Readonly<Record<string, readonly string[]>>;
}

export function messageWire(message: StoredMessage, native: boolean, seq?: number): MessageWire {
  const wire = {
    messageId: native ? message.uid : message.uid.toString(),
    from: message.from,
    conversationType: message.conversationType,
    target: message.target,
    line: message.line,
    timestamp: message.timestamp,
    content: message.content,
  };
  const edited = message.editVersion === undefined
    ? {}
    : { editVersion: message.editVersion, editedAt: message.editedAt ?? 0 };
  // fromEntries defines own properties, so an emoji spelled "__proto__" stays plain data.
  const reactions = message.reactions === undefined || message.reactions.length === 0
    ? {}
    : { reactions: Object.fromEntries(message.reactions.map((r) => [r.emoji, r.uids])) };
  const full = { ...wire, ...edited, ...reactions };
  return seq === undefined ? full : { ...full, seq };
}
