// Reads served straight from the store, outside the actor: MP (pull a page of the timeline
// after a seq) and LRM (a conversation's history before a message uid).

import { HISTORY_PAGE_ENTRIES_MAX, PULL_PAGE_BYTES_MAX, PULL_PAGE_ENTRIES_MAX } from '../limits.js';
import { ackFor } from '../protocol/answers.js';
import { historyDecode, pullDecode } from '../protocol/requests.js';
import { SubSignal } from '../protocol/signals.js';
import { conversationKeyOf } from '../store/records.js';
import type { Inbound, Session } from '../transport/session.js';
import type { ShardServices } from './services.js';
import { messageWire } from './wire.js';

export function readPull(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const request = pullDecode(frame.content);
  // MP never fails in compat: the original client parses the answer unchecked.
  const afterSeq = request.ok ? request.value.afterSeq : 0;
  const page = request.ok
    ? services.timelines.page(uid, afterSeq, PULL_PAGE_ENTRIES_MAX, PULL_PAGE_BYTES_MAX)
    : { entries: [], current: afterSeq, head: services.timelines.visibleHead(uid) };
  const native = session.profile === 'native';
  const result = {
    current: native ? page.current : String(page.current),
    head: native ? page.head : String(page.head),
    messageCount: page.entries.length,
    messageResponseList: page.entries.map(({ seq, entry }) =>
      messageWire(entry.message, native, native ? seq : undefined),
    ),
  };
  // Native clients always learn the real code (§2); compat gets the empty page unchecked.
  const code = request.ok || !native ? 0 : request.code;
  session.send(ackFor(session.profile, SubSignal.MP, frame.messageId, code, code === 0 ? result : undefined));
}

export function readHistory(services: ShardServices, session: Session, frame: Inbound): void {
  const uid = session.uid as string;
  const request = historyDecode(frame.content);
  if (!request.ok) {
    const empty = { messageCount: 0, messageResponseList: [] };
    const code = session.profile === 'native' ? request.code : 0;
    return session.send(ackFor(session.profile, SubSignal.LRM, frame.messageId, code, empty));
  }
  const { conversationType, target, line, beforeUid, count } = request.value;
  const key = conversationKeyOf(conversationType, target, line);
  const entries = services.timelines.history(
    uid,
    key,
    beforeUid,
    Math.min(count, HISTORY_PAGE_ENTRIES_MAX),
    PULL_PAGE_BYTES_MAX,
  );
  const result = {
    messageCount: entries.length,
    messageResponseList: entries.map((entry) => messageWire(entry.message, session.profile === 'native')),
  };
  session.send(ackFor(session.profile, SubSignal.LRM, frame.messageId, 0, result));
}
