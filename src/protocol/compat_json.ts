// The compat WebSocket text profile (PROTOCOL.md §4): one JSON object per text frame, signals by
// name, content double-encoded on the way out. Parsing never throws and never lets a
// prototype-changing key (`__proto__`, `constructor`, `prototype`) reach a handler.

import { ErrorCode, assert, fail, ok } from '../errors.js';
import type { Result } from '../errors.js';
import { signalFromName, signalName, subSignalFromName, subSignalName } from './signals.js';

/** The original web client's heartbeat text frame: ignored, but resets the idle timer. */
export const HEARTBEAT_TEXT = '心跳内容';

export interface CompatFrame {
  readonly signal: number;
  readonly subSignal: number;
  /** Low 16 bits of the client's messageId, echoed in the answer. */
  readonly messageId: number;
  /** Parsed content; undefined when absent or `""`. Shape is unchecked: handlers validate. */
  readonly content: unknown;
}

/**
 * A key is spelled in JSON text literally or with \u escapes; text holding neither a dangerous
 * word nor a \u escape cannot have a dangerous key, and skips the (several times slower) reviver.
 */
const DANGER_TEXT = /__proto__|constructor|prototype|\\u/;

function reviverDropDangerous(key: string, value: unknown): unknown {
  return key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : value;
}

/** JSON.parse without dangerous keys; throws on malformed text like JSON.parse. */
function jsonParseSafe(text: string): unknown {
  return DANGER_TEXT.test(text) ? JSON.parse(text, reviverDropDangerous) : JSON.parse(text);
}

/**
 * Parses one client text frame. Unknown signal names and malformed frames are INVALID_DATA; an
 * unknown sub-signal name on an otherwise valid frame is NOT_IMPLEMENTED (answered with 254).
 * `content` given as a string holding JSON is parsed; `""` means no content.
 */
export function compatParse(text: string): Result<CompatFrame> {
  let frame: unknown;
  try {
    frame = jsonParseSafe(text);
  } catch {
    return fail(ErrorCode.INVALID_DATA);
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
    return fail(ErrorCode.INVALID_DATA);
  }
  const fields = frame as Record<string, unknown>;
  const signalText = fields['signal'];
  const subSignalText = fields['subSignal'];
  const messageId = fields['messageId'];
  if (typeof signalText !== 'string' || typeof subSignalText !== 'string') {
    return fail(ErrorCode.INVALID_DATA);
  }
  if (typeof messageId !== 'number' || !Number.isFinite(messageId)) {
    return fail(ErrorCode.INVALID_DATA);
  }
  const signal = signalFromName(signalText);
  if (signal === undefined) return fail(ErrorCode.INVALID_DATA);
  let content = fields['content'];
  if (typeof content === 'string') {
    if (content === '') {
      content = undefined;
    } else {
      try {
        content = jsonParseSafe(content);
      } catch {
        return fail(ErrorCode.INVALID_DATA);
      }
    }
  }
  const subSignal = subSignalFromName(subSignalText);
  if (subSignal === undefined) return fail(ErrorCode.NOT_IMPLEMENTED);
  return ok({ signal, subSignal, messageId: messageId & 0xffff, content });
}

function replacerBigint(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * JSON text of content; bigints anywhere become decimal strings. Most content holds no bigint,
 * and a replacer slows every value down (~35% on an MP page), so the plain stringify goes first
 * and the replacer runs only after it throws. The throw costs a stack trace (~8 µs, 20× a small
 * ack) unless traces are off during the attempt; any error other than a bigint (a cycle, our bug)
 * throws again from the second attempt, with its trace.
 */
function jsonStringifyContent(content: unknown): string {
  let text: string | undefined;
  const traceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    text = JSON.stringify(content);
  } catch {
    text = undefined;
  } finally {
    Error.stackTraceLimit = traceLimit;
  }
  text ??= JSON.stringify(content, replacerBigint);
  assert(typeof text === 'string', 'compat content is JSON-serialisable');
  return text;
}

/**
 * One server→client text frame. `content` is sent double-encoded (a string holding its JSON);
 * `''` (failure, PROTOCOL.md §4) and `undefined` (nothing to say) are sent as `""`.
 */
export function compatEncode(
  signal: number,
  subSignal: number,
  messageId: number,
  content: unknown,
): string {
  const signalText = signalName(signal);
  const subSignalText = subSignalName(subSignal);
  assert(signalText !== undefined, 'compat signal has a name');
  assert(subSignalText !== undefined, 'compat subSignal has a name');
  assert(messageId >>> 0 === messageId && messageId <= 0xffff, 'compat messageId is 16 bits');
  const contentText =
    content === '' || content === undefined ? '""' : JSON.stringify(jsonStringifyContent(content));
  // Names are ASCII identifiers from our own tables: no escaping needed.
  return (
    '{"signal":"' + signalText + '","subSignal":"' + subSignalText + '","messageId":' +
    messageId + ',"content":' + contentText + '}'
  );
}
