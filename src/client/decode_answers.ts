// Decoders from server content (native msgpack values or compat JSON, which spell numbers and
// ids as strings) to the SDK's typed values. Each returns null on a shape it cannot use; the
// caller turns that into a protocol error. Message uids become decimal strings.

import { asFields, fieldInteger, fieldUid } from '../protocol/fields.js';
import type { Fields } from '../protocol/fields.js';
import type {
  ConnectAckInfo,
  Endpoints,
  MessageContent,
  ReceivedMessage,
} from './types.js';

/** A string field; numbers and bigints are spelled in decimal; missing or null gives ''. */
function text(fields: Fields, key: string): string | null {
  const value = fields[key];
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return null;
}

function uidText(fields: Fields, key: string): string | null {
  return fieldUid(fields, key)?.toString() ?? null;
}

/** Binary content may arrive as msgpack bin; the SDK spells it Base64 like compat does. */
function base64Text(fields: Fields, key: string): string | null {
  const value = fields[key];
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return text(fields, key);
}

function textList(fields: Fields, key: string): string[] | null {
  const value = fields[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return null;
  const out: string[] = [];
  for (const item of value) {
    if (typeof item === 'string') out.push(item);
    else if (typeof item === 'number' || typeof item === 'bigint') out.push(String(item));
    else return null;
  }
  return out;
}

export function connectAckDecode(content: unknown): ConnectAckInfo | null {
  const fields = asFields(content);
  if (fields === undefined) return null;
  const messageHead = fieldInteger(fields, 'msg_head') ?? fieldInteger(fields, 'messageHead');
  if (messageHead === undefined) return null;
  return {
    messageHead,
    friendHead: fieldInteger(fields, 'friend_head') ?? fieldInteger(fields, 'friendHead') ?? 0,
    friendRequestHead: fieldInteger(fields, 'friend_rq_head') ?? null,
    serverTime: fieldInteger(fields, 'server_time') ?? null,
  };
}

export function endpointsDecode(content: unknown): Endpoints | null {
  const fields = asFields(content);
  if (fields === undefined) return null;
  const host = fields['host'];
  const wsPort = fieldInteger(fields, 'wsPort');
  const tcpPort = fieldInteger(fields, 'tcpPort');
  if (typeof host !== 'string' || host === '' || wsPort === undefined || tcpPort === undefined) {
    return null;
  }
  return { host, wsPort, tcpPort };
}

export function sendAckDecode(content: unknown): { messageUid: string; timestamp: number } | null {
  const fields = asFields(content);
  if (fields === undefined) return null;
  const messageUid = uidText(fields, 'messageId');
  const timestamp = fieldInteger(fields, 'timestamp');
  if (messageUid === null || timestamp === undefined) return null;
  return { messageUid, timestamp };
}

export function messageContentDecode(content: unknown): MessageContent | null {
  const fields = asFields(content);
  if (fields === undefined) return null;
  const type = fieldInteger(fields, 'type');
  const searchableContent = text(fields, 'searchableContent');
  const pushContent = text(fields, 'pushContent');
  const body = text(fields, 'content');
  const binaryContent = base64Text(fields, 'binaryContent');
  const mediaType = fieldInteger(fields, 'mediaType', 0);
  const remoteMediaUrl = text(fields, 'remoteMediaUrl');
  const mentionedType = fieldInteger(fields, 'mentionedType', 0);
  const mentionedTargets = textList(fields, 'mentionedTargets');
  const extra = text(fields, 'extra');
  if (type === undefined || searchableContent === null || pushContent === null || body === null ||
    binaryContent === null || mediaType === undefined || remoteMediaUrl === null ||
    mentionedType === undefined || mentionedTargets === null || extra === null) {
    return null;
  }
  return {
    type, searchableContent, pushContent, content: body, binaryContent, mediaType,
    remoteMediaUrl, mentionedType, mentionedTargets, extra,
  };
}

/** One entry of an MP or LRM answer; `seq` is read when present (native MP). */
export function receivedMessageDecode(entry: unknown): ReceivedMessage | null {
  const fields = asFields(entry);
  if (fields === undefined) return null;
  const messageUid = uidText(fields, 'messageId');
  const from = text(fields, 'from');
  const conversationType = fieldInteger(fields, 'conversationType', 0);
  const target = text(fields, 'target');
  const line = fieldInteger(fields, 'line', 0);
  const timestamp = fieldInteger(fields, 'timestamp', 0);
  const content = messageContentDecode(fields['content']);
  const seq = fieldInteger(fields, 'seq');
  if (messageUid === null || from === null || conversationType === undefined ||
    target === null || line === undefined || timestamp === undefined || content === null) {
    return null;
  }
  return { seq, messageUid, from, conversationType, target, line, timestamp, content };
}

function messageListDecode(fields: Fields): ReceivedMessage[] | null {
  const list = fields['messageResponseList'];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) return null;
  const out: ReceivedMessage[] = [];
  for (const entry of list) {
    const message = receivedMessageDecode(entry);
    if (message === null) return null;
    out.push(message);
  }
  return out;
}

export interface PullPage {
  /** Seq of the last entry returned. */
  readonly current: number;
  /** Highest seq in the inbox. */
  readonly head: number;
  readonly messages: readonly ReceivedMessage[];
}

export function pullPageDecode(content: unknown): PullPage | null {
  const fields = asFields(content);
  if (fields === undefined) return null;
  const current = fieldInteger(fields, 'current', 0);
  const head = fieldInteger(fields, 'head', 0);
  const messages = messageListDecode(fields);
  if (current === undefined || head === undefined || messages === null) return null;
  return { current, head, messages };
}

/** Entries a native MN carries inline (PROTOCOL.md §8.1); [] when it has none or they are not
 * readable (the client then pulls, which is always correct). */
export function mnInlineDecode(content: unknown): ReceivedMessage[] {
  const fields = asFields(content);
  return (fields === undefined ? null : messageListDecode(fields)) ?? [];
}

export function historyDecode(content: unknown): ReceivedMessage[] | null {
  const fields = asFields(content);
  return fields === undefined ? null : messageListDecode(fields);
}
