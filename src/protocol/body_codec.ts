// Native frame bodies (PROTOCOL.md §2): plain msgpack that any language reads. Decoding accepts
// only JSON-like values (plus bigint and binary) and strips prototype-changing keys, so a handler
// sees the same shapes the compat JSON profile gives it. A decoded value never aliases the input.

import { Packr } from 'msgpackr';
import type { Options } from 'msgpackr';
import { ErrorCode, assert, fail, ok } from '../errors.js';
import type { Result } from '../errors.js';
import { BODY_DEPTH_MAX } from '../limits.js';

const INT64_MIN = -(2n ** 63n);
const UINT64_END = 2n ** 64n;

const packr = new Packr({
  // Plain msgpack: no records, no structured clone, maps to plain objects.
  useRecords: false,
  structuredClone: false,
  mapsAsObjects: true,
  // Other clients cannot read msgpackr's undefined extension.
  encodeUndefinedAsNil: true,
  // Bodies are borrowed network bytes: binary values must be copies, not views.
  copyBuffers: true,
  // 64-bit ids: numbers while safe, bigint beyond 2^53 (not in msgpackr's typings).
  int64AsType: 'auto' as NonNullable<Options['int64AsType']>,
});

/** msgpack of `value`. Values are ours (not user input): a value msgpackr cannot write throws. */
export function bodyEncode(value: unknown): Buffer {
  return packr.pack(value);
}

/**
 * Decodes a body; an empty body is `undefined` (no content). Malformed msgpack, values that JSON
 * cannot express (extensions, except bigint within 64 bits and binary) or nesting deeper than
 * BODY_DEPTH_MAX are INVALID_DATA. Never throws.
 */
export function bodyDecode(bytes: Uint8Array): Result<unknown> {
  if (bytes.length === 0) return ok(undefined);
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch {
    return fail(ErrorCode.INVALID_DATA);
  }
  return bodyValueCheck(value, 0) ? ok(value) : fail(ErrorCode.INVALID_DATA);
}

/**
 * Keys that change an object's prototype when copied (`Object.assign`, spread into a literal) or
 * confuse code that reads `.constructor`. msgpackr renames `__proto__` to `__proto_`; both go.
 */
function keyIsDangerous(key: string): boolean {
  return (
    key === '__proto__' || key === '__proto_' || key === 'constructor' || key === 'prototype'
  );
}

/** True if `value` is JSON-like; deletes dangerous keys in place. */
function bodyValueCheck(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return true;
    case 'bigint':
      return value >= INT64_MIN && value < UINT64_END;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= BODY_DEPTH_MAX) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!bodyValueCheck(value[i], depth + 1)) return false;
    }
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype) {
    const record = value as Record<string, unknown>;
    for (const key in record) {
      if (keyIsDangerous(key)) delete record[key];
      else if (!bodyValueCheck(record[key], depth + 1)) return false;
    }
    return true;
  }
  // msgpack bin decodes to a Buffer or a Uint8Array, by the input's type.
  return proto === Buffer.prototype || proto === Uint8Array.prototype;
}

/**
 * A PUB_ACK body: one error-code byte, then (on success only, and only when given) the msgpack
 * result.
 */
export function ackEncode(code: number, result?: unknown): Buffer {
  assert(code >>> 0 === code && code <= 0xff, 'an ack code is one byte');
  if (code !== 0 || result === undefined) {
    const ack = Buffer.allocUnsafe(1);
    ack[0] = code;
    return ack;
  }
  const packed = packr.pack(result);
  const ack = Buffer.allocUnsafe(1 + packed.length);
  ack[0] = 0;
  ack.set(packed, 1);
  return ack;
}

/** Decodes a PUB_ACK body. Bytes after a non-zero code are INVALID_DATA (the protocol forbids). */
export function ackDecode(bytes: Uint8Array): Result<{ code: number; result: unknown }> {
  const code = bytes[0];
  if (code === undefined) return fail(ErrorCode.INVALID_DATA);
  if (code !== 0) {
    return bytes.length === 1 ? ok({ code, result: undefined }) : fail(ErrorCode.INVALID_DATA);
  }
  const result = bodyDecode(bytes.subarray(1));
  return result.ok ? ok({ code, result: result.value }) : result;
}
