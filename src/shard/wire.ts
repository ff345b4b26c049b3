// Stored records as the protocol shows them. Native keeps 64-bit ids as uint64; compat's
// encoder turns bigint into decimal strings, so one shape serves both.

import type { StoredMessage } from '../store/records.js';

export interface MessageWire {
  readonly messageId: bigint;
  readonly from: string;
  readonly conversationType: number;
  readonly target: string;
  readonly line: number;
  readonly timestamp: number;
  readonly content: StoredMessage['content'];
  readonly seq?: number;
}

export function messageWire(message: StoredMessage, seq?: number): MessageWire {
  const wire = {
    messageId: message.uid,
    from: message.from,
    conversationType: message.conversationType,
    target: message.target,
    line: message.line,
    timestamp: message.timestamp,
    content: message.content,
  };
  return seq === undefined ? wire : { ...wire, seq };
}
