// Group notices: server-made messages (content types 104–125) that tell every member, removed
// ones included, what changed. binaryContent is Base64 of JSON {g, o, n, ms, m} as the original
// clients read it; they notify every device, the acting one too (exceptSessionId -1).

import { ConversationType } from '../protocol/signals.js';
import type { AppendEffect } from '../router/effects.js';
import type { ShardServices } from '../shard/services.js';
import type { StoredMessage } from '../store/records.js';

export interface NoticeBody {
  /** Name, portrait, extra, or "1"/"0" for on/off notices. */
  readonly n?: string;
  /** Members the change is about. */
  readonly ms?: readonly string[];
  /** The one member it is about (transfer). */
  readonly m?: string;
}

export function noticeMessage(
  services: ShardServices,
  gid: string,
  operator: string,
  contentType: number,
  body: NoticeBody,
): StoredMessage {
  const json = JSON.stringify({ g: gid, o: operator, ...body });
  return {
    uid: services.ids.next(),
    from: operator,
    fromDevice: '',
    conversationType: ConversationType.GROUP,
    target: gid,
    line: 0,
    timestamp: Date.now(),
    content: { type: contentType, binaryContent: Buffer.from(json).toString('base64') },
  };
}

/** `direct`: the receivers are not members (AppendEffect.direct). */
export function noticeAppend(
  message: StoredMessage,
  receivers: readonly string[],
  direct = false,
): AppendEffect {
  const effect: AppendEffect = {
    kind: 'append',
    message,
    receivers,
    exceptSessionId: -1,
    exceptShard: -1,
  };
  return direct ? { ...effect, direct: true } : effect;
}

/** "1" or "0", as Wildfire's on/off notices spell it. */
export function flag(on: boolean): string {
  return on ? '1' : '0';
}
