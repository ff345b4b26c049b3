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
  return seq === undefined ? wire : { ...wire, seq };
}
