// The fold that keeps a conversation-list row up to date: each timeline entry filed in the
// conversation changes its unread count, mention flag and newest message. Rows are this fold
// over the conversation's entries, which is what lets a row a crash left behind be rebuilt.

import type { ConversationRecord, StoredMessage } from './records.js';

/** PROTOCOL.md §6 content type 80 (the store does not import protocol/). */
const RECALLED_CONTENT_TYPE = 80;

/** Content types that make a conversation unread: not recalls, tips or group notices. */
export function countsAsUnread(type: number): boolean {
  return type < 80 || type >= 400;
}

/** 2 when the message mentions everyone, 1 when it lists `owner`, else 0. */
export function mentionOf(owner: string, message: StoredMessage): number {
  const { mentionedType, mentionedTargets } = message.content;
  if (mentionedType === 2) return 2;
  if (mentionedType === 1 && mentionedTargets?.includes(owner) === true) return 1;
  return 0;
}

/** A conversation's row before anything was filed or read in it. */
export function conversationRowNew(
  conversationType: number,
  target: string,
  line: number,
  updateDt: number,
): ConversationRecord {
  return {
    conversationType,
    target,
    line,
    unread: 0,
    mentioned: 0,
    readUid: 0n,
    pinned: false,
    silent: false,
    draft: '',
    updateDt,
  };
}

/** The owner's conversation row after `message` was filed: the owner's own messages mark the
 * conversation read; others' count as unread unless already read (a recall re-files a message
 * with its old uid). */
export function conversationAfterAppend(
  row: ConversationRecord | undefined,
  owner: string,
  message: StoredMessage,
  seq: number,
  updateDt: number,
): ConversationRecord {
  const target = message.conversationType === 0 && message.target === owner
    ? message.from
    : message.target;
  const base = row ?? conversationRowNew(message.conversationType, target, message.line, updateDt);
  const last = lastAfter(base, message.uid, seq);
  // A recall re-files an old message as type 80: it changes what is shown, not what is read.
  // An edit re-files the message too (same uid, editVersion set): not a new unread one.
  if (message.content.type === RECALLED_CONTENT_TYPE || message.editVersion !== undefined) {
    return { ...base, ...last, updateDt, foldedSeq: seq };
  }
  if (message.from === owner) {
    const readUid = message.uid > base.readUid ? message.uid : base.readUid;
    return { ...base, ...last, unread: 0, mentioned: 0, readUid, updateDt, foldedSeq: seq };
  }
  if (message.uid <= base.readUid || !countsAsUnread(message.content.type)) {
    return { ...base, ...last, updateDt, foldedSeq: seq };
  }
  const mentioned = Math.max(base.mentioned, mentionOf(owner, message));
  return { ...base, ...last, unread: base.unread + 1, mentioned, updateDt, foldedSeq: seq };
}

/** The row's newest-message fields after filing `uid` at `seq`. A newer message replaces a
 * legacy row's copy; an older one (a recall re-filed) leaves the row's newest as it was. */
function lastAfter(
  row: ConversationRecord,
  uid: bigint,
  seq: number,
): { lastUid?: bigint | undefined; lastSeq?: number | undefined; last?: undefined } {
  const lastUid = row.lastUid ?? row.last?.uid;
  if (lastUid !== undefined && uid < lastUid) return {};
  const fields = { lastUid: uid, lastSeq: seq };
  return row.last === undefined || row.last === null ? fields : { ...fields, last: undefined };
}
