// What the store keeps, as plain data that also crosses MessagePorts (structured clone keeps
// bigint). A StoredMessage is immutable once acked, except for recall and edit (later issues).

export interface MessageContent {
  readonly type: number;
  readonly searchableContent?: string;
  readonly pushContent?: string;
  readonly content?: string;
  readonly binaryContent?: string;
  readonly mediaType?: number;
  readonly remoteMediaUrl?: string;
  readonly mentionedType?: number;
  readonly mentionedTargets?: readonly string[];
  readonly extra?: string;
}

export interface StoredMessage {
  /** Server message uid (snowflake). */
  readonly uid: bigint;
  readonly from: string;
  readonly fromDevice: string;
  readonly conversationType: number;
  readonly target: string;
  readonly line: number;
  readonly timestamp: number;
  readonly content: MessageContent;
}

/** One entry of a user's timeline; `kind` leaves room for notices, recalls and read-sync. */
export interface TimelineEntry {
  readonly kind: 'message';
  readonly message: StoredMessage;
}

/** The key under which a user files a message: the peer for 1:1, the group for groups. */
export function conversationKey(owner: string, message: StoredMessage): string {
  if (message.conversationType === 0) {
    const peer = message.from === owner ? message.target : message.from;
    return `0:${peer}:${message.line}`;
  }
  return `${message.conversationType}:${message.target}:${message.line}`;
}

/** The key of a conversation as a client names it (type, peer or group, line). */
export function conversationKeyOf(type: number, target: string, line: number): string {
  return `${type}:${target}:${line}`;
}

/** Fixed-width hex so that key order equals numeric order. */
export function uidHex(uid: bigint): string {
  return uid.toString(16).padStart(16, '0');
}
