// What the store keeps, as plain data that also crosses MessagePorts (structured clone keeps
// bigint). A StoredMessage is immutable once acked, except for recall (content becomes type 80
// in place, features/recall.ts), edit (features/message_edit.ts) and
// reactions (features/reactions.ts), which replace the owner's copy in place too.

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
  /** A reply's reference to the quoted message, stored and returned as sent (bounded). */
  readonly quote?: QuoteRef;
}

/** What a reply quotes: the message uid (decimal), its sender and a short preview. */
export interface QuoteRef {
  readonly messageUid: string;
  readonly from: string;
  readonly preview: string;
}

/** One reaction emoji and the users who chose it (features/reactions.ts). */
export interface Reaction {
  readonly emoji: string;
  readonly uids: readonly string[];
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
  /** Set by an edit (features/message_edit.ts): 1, 2, … and the edit's wall time. */
  readonly editVersion?: number;
  readonly editedAt?: number;
  /** Reactions, absent when none (features/reactions.ts). */
  readonly reactions?: readonly Reaction[];
}

/** One entry of a user's timeline as readers see it (pointers already resolved). */
export interface TimelineEntry {
  readonly kind: 'message';
  readonly message: StoredMessage;
}

/** A read-fan-out group message materialized into a member's timeline: a pointer to the
 * shard's replica of the group timeline (store/group_replicas.ts), resolved on every read. */
export interface GroupRefEntry {
  readonly kind: 'groupRef';
  readonly gid: string;
  /** The message's place in this shard's replica of the group timeline. */
  readonly lseq: number;
}

/** What `timeline[uid, seq]` holds. */
export type StoredTimelineEntry = TimelineEntry | GroupRefEntry;

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

/** One row of a user's conversation list (features/conversations.ts), kept up to date by every
 * timeline append and by the user's own read reports and settings. */
export interface ConversationRecord {
  readonly conversationType: number;
  /** The peer for 1:1, the group for groups (as the owner names the conversation). */
  readonly target: string;
  readonly line: number;
  /** Uid and seq of the newest message filed in the conversation: CLP reads it from the
   * timeline, so a row does not carry a second copy of every message (a recall or an edit
   * re-files the message and moves `lastSeq` to the new entry). */
  readonly lastUid?: bigint | undefined;
  readonly lastSeq?: number | undefined;
  /** Rows written before lastUid/lastSeq held the newest message itself. */
  readonly last?: StoredMessage | null | undefined;
  /** Messages from others after the owner's read position that count as unread. */
  readonly unread: number;
  /** Among unread messages: 0 no mention, 1 the owner was listed, 2 someone mentioned everyone. */
  readonly mentioned: number;
  /** Uid of the newest message the owner reported read (0n: none). */
  readonly readUid: bigint;
  readonly pinned: boolean;
  /** Do not disturb. */
  readonly silent: boolean;
  readonly draft: string;
  /** The shard's conversation clock at the last change: pulls ask for changes after a version. */
  readonly updateDt: number;
  /** The owner's seq of the newest timeline entry folded into the row (rows are written back
   * after their appends; a row found behind its conversation's entries is folded forward). */
  readonly foldedSeq?: number | undefined;
}
