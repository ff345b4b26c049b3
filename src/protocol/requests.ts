// One decoder per request the core serves: untrusted content in, a typed request or an error
// code out. Nothing here throws; nothing is trusted that is not checked here.

import { ErrorCode, fail, ok, type Result } from '../errors.js';
import {
  CLIENT_MESSAGE_ID_CHARS_MAX,
  DEVICE_ID_CHARS_MAX,
  HISTORY_PAGE_ENTRIES_MAX,
  MESSAGE_CONTENT_BYTES_MAX,
  PING_INTERVAL_MS_MAX,
  USER_ID_CHARS_MAX,
  MENTIONED_TARGETS_MAX,
  QUOTE_PREVIEW_CHARS_MAX,
} from '../limits.js';
import type { MessageContent, QuoteRef } from '../store/records.js';
import {
  asFields,
  fieldInteger,
  fieldString,
  fieldStringList,
  fieldUid,
  type Fields,
} from './fields.js';

export interface ConnectRequest {
  readonly uid: string;
  readonly password: string;
  readonly deviceId: string;
}

export function connectDecode(content: unknown): Result<ConnectRequest> {
  const fields = asFields(content);
  if (fields === undefined) return fail(ErrorCode.INVALID_DATA);
  const uid = fieldString(fields, 'userName', USER_ID_CHARS_MAX);
  const password = fieldString(fields, 'password', 4096);
  const deviceId = fieldString(fields, 'clientIdentifier', DEVICE_ID_CHARS_MAX);
  if (!uid || !password || !deviceId) return fail(ErrorCode.INVALID_DATA);
  return ok({ uid, password, deviceId });
}

export interface SendRequest {
  readonly conversationType: number;
  readonly target: string;
  readonly line: number;
  readonly content: MessageContent;
  /** The client's own id for retries; '' when the client sent none. */
  readonly clientMessageId: string;
}

const CONTENT_STRING_KEYS = [
  'searchableContent',
  'pushContent',
  'content',
  'binaryContent',
  'remoteMediaUrl',
  'extra',
] as const;

export function sendDecode(content: unknown): Result<SendRequest> {
  const fields = asFields(content);
  if (fields === undefined) return fail(ErrorCode.INVALID_DATA);
  const conversationType = fieldInteger(fields, 'conversationType', 0);
  const target = fieldString(fields, 'target', USER_ID_CHARS_MAX);
  const line = fieldInteger(fields, 'line', 0);
  const clientMessageId = fieldString(fields, 'messageId', CLIENT_MESSAGE_ID_CHARS_MAX) ?? '';
  // A client id that is present but unusable would silently turn dedupe off: refuse it.
  if (
    clientMessageId === '' &&
    fields['messageId'] !== undefined &&
    fields['messageId'] !== null &&
    fields['messageId'] !== ''
  ) {
    return fail(ErrorCode.INVALID_PARAMETER);
  }
  if (conversationType === undefined || conversationType < 0 || conversationType > 3) {
    return fail(ErrorCode.INVALID_PARAMETER);
  }
  if (!target || line === undefined || line < 0 || line > 255) {
    return fail(ErrorCode.INVALID_PARAMETER);
  }
  const body = contentDecode(fields['content']);
  if (!body.ok) return body;
  return ok({ conversationType, target, line, content: body.value, clientMessageId });
}

export function contentDecode(value: unknown): Result<MessageContent> {
  const fields = asFields(value);
  if (fields === undefined) return fail(ErrorCode.INVALID_MESSAGE);
  const type = fieldInteger(fields, 'type');
  if (type === undefined || type < 0 || type > 0x7fffffff) return fail(ErrorCode.INVALID_MESSAGE);
  const out: Record<string, unknown> = { type };
  let bytes = 0;
  for (const key of CONTENT_STRING_KEYS) {
    const raw = fields[key];
    if (raw === undefined || raw === null) continue;
    if (typeof raw !== 'string') return fail(ErrorCode.INVALID_MESSAGE);
    // Empty fields are what most clients send for "none": not stored.
    if (raw === '') continue;
    bytes += raw.length;
    out[key] = raw;
  }
  // String length counts UTF-16 units; ×3 bounds the UTF-8 size without encoding it.
  if (
    bytes * 3 > MESSAGE_CONTENT_BYTES_MAX &&
    Buffer.byteLength(joined(out)) > MESSAGE_CONTENT_BYTES_MAX
  ) {
    return fail(ErrorCode.TOO_LARGE);
  }
  const mediaType = fieldInteger(fields, 'mediaType', 0);
  const mentionedType = fieldInteger(fields, 'mentionedType', 0);
  const mentionedTargets = fieldStringList(
    fields,
    'mentionedTargets',
    MENTIONED_TARGETS_MAX,
    USER_ID_CHARS_MAX,
  );
  if (mediaType === undefined || mentionedType === undefined || mentionedTargets === undefined) {
    return fail(ErrorCode.INVALID_MESSAGE);
  }
  if (mediaType !== 0) out['mediaType'] = mediaType;
  if (mentionedType !== 0) out['mentionedType'] = mentionedType;
  if (mentionedTargets.length > 0) out['mentionedTargets'] = mentionedTargets;
  const quote = fields['quote'];
  if (quote !== undefined && quote !== null) {
    const decoded = quoteDecode(quote);
    if (decoded === undefined) return fail(ErrorCode.INVALID_MESSAGE);
    out['quote'] = decoded;
  }
  return ok(out as unknown as MessageContent);
}

/** A reply's `quote: {messageUid, from, preview}`, kept as sent once bounded (a client-side
 * hint: the quoted message is not looked up). Forward is a client-side re-send. */
function quoteDecode(value: unknown): QuoteRef | undefined {
  const fields = asFields(value);
  if (fields === undefined) return undefined;
  const uid = fieldUid(fields, 'messageUid');
  const from = fieldString(fields, 'from', USER_ID_CHARS_MAX);
  const preview = fields['preview'] ?? '';
  if (uid === undefined || !from || typeof preview !== 'string') return undefined;
  if (preview.length > QUOTE_PREVIEW_CHARS_MAX) return undefined;
  return { messageUid: uid.toString(), from, preview };
}

function joined(fields: Record<string, unknown>): string {
  let text = '';
  for (const key of CONTENT_STRING_KEYS) {
    const value = fields[key];
    if (typeof value === 'string') text += value;
  }
  return text;
}

export interface PullRequest {
  /** Entries with seq > afterSeq are returned. */
  readonly afterSeq: number;
}

/** MP: pullType 1 starts after messageId − 1, else after messageId + sendMessageCount. */
export function pullDecode(content: unknown): Result<PullRequest> {
  const fields = asFields(content);
  if (fields === undefined) return fail(ErrorCode.INVALID_DATA);
  const head = fieldInteger(fields, 'messageId', 0);
  const pullType = fieldInteger(fields, 'pullType', 0);
  const sent = fieldInteger(fields, 'sendMessageCount', 0);
  if (head === undefined || pullType === undefined || sent === undefined) {
    return fail(ErrorCode.INVALID_PARAMETER);
  }
  const afterSeq = pullType === 1 ? head - 1 : head + sent;
  // Two safe integers can sum past 2^53, where seqs stop being exact: clamp to the safe range.
  return ok({ afterSeq: Math.min(Math.max(0, afterSeq), Number.MAX_SAFE_INTEGER) });
}

export interface HistoryRequest {
  readonly conversationType: number;
  readonly target: string;
  readonly line: number;
  /** 0n means "from the newest". */
  readonly beforeUid: bigint;
  readonly count: number;
}

export function historyDecode(content: unknown): Result<HistoryRequest> {
  const fields = asFields(content);
  const conversation = fields === undefined ? undefined : asFields(fields['conversation']);
  if (fields === undefined || conversation === undefined) return fail(ErrorCode.INVALID_DATA);
  const conversationType = fieldInteger(conversation, 'type', 0);
  const target = fieldString(conversation, 'target', USER_ID_CHARS_MAX);
  const line = fieldInteger(conversation, 'line', 0);
  const beforeUid = fieldUid(fields, 'beforeUid');
  const count = fieldInteger(fields, 'count', 20);
  if (conversationType === undefined || !target || line === undefined || count === undefined) {
    return fail(ErrorCode.INVALID_PARAMETER);
  }
  // A cursor that cannot be read must not silently restart paging from the newest.
  if (beforeUid === undefined) return fail(ErrorCode.INVALID_PARAMETER);
  return ok({
    conversationType,
    target,
    line,
    beforeUid,
    count: Math.min(Math.max(count, 1), HISTORY_PAGE_ENTRIES_MAX),
  });
}

export function pingIntervalDecode(content: unknown): number | undefined {
  const fields: Fields | undefined = asFields(content);
  if (fields === undefined) return undefined;
  const interval = fieldInteger(fields, 'interval');
  if (interval === undefined || interval <= 0) return undefined;
  return Math.min(interval, PING_INTERVAL_MS_MAX);
}

export function disconnectDecode(content: unknown): { readonly clearSession: boolean } {
  const fields = asFields(content);
  const clear = fields === undefined ? 0 : fieldInteger(fields, 'clearSession', 0);
  return { clearSession: clear === 1 };
}
