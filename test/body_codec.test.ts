import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import { ackDecode, ackEncode, bodyDecode, bodyEncode } from '../src/protocol/body_codec.js';

function decoded(bytes: Uint8Array): unknown {
  const result = bodyDecode(bytes);
  assert.ok(result.ok, 'decodes');
  return result.value;
}

const MS_CONTENT = {
  conversationType: 0,
  target: 'u2',
  line: 0,
  from: 'u1',
  content: { type: 1, searchableContent: 'hello 你好', mentionedType: 0, mentionedTargets: [] },
  messageId: 'c-1',
  timestamp: 1735689600123,
};

test('body codec: round-trips a typical MS content', () => {
  assert.deepEqual(decoded(bodyEncode(MS_CONTENT)), MS_CONTENT);
});

test('body codec: round-trips a uint64 id over 2^53 as bigint, a small one as number', () => {
  const big = 2n ** 62n + 12345n;
  const max = 2n ** 64n - 1n;
  assert.deepEqual(decoded(bodyEncode({ id: big, max, small: 42n })), { id: big, max, small: 42 });
});

test('body codec: encodes undefined as msgpack nil, not an extension', () => {
  assert.deepEqual(Array.from(bodyEncode(undefined)), [0xc0]);
});

test('body codec: an empty body decodes to undefined', () => {
  assert.deepEqual(bodyDecode(new Uint8Array(0)), { ok: true, value: undefined });
});

test('body codec: malformed msgpack is INVALID_DATA, never a throw', () => {
  const bad = [
    Uint8Array.of(0xc1), // never used
    Uint8Array.of(0x92, 0x01), // array of 2 with 1 element
    Uint8Array.of(0xdb, 0xff, 0xff, 0xff, 0xff), // str32 of 4 GiB
    Uint8Array.of(0xd4, 0x33, 0x00), // unknown extension
    Uint8Array.of(0x01, 0x02), // trailing bytes
  ];
  for (const bytes of bad) {
    assert.deepEqual(bodyDecode(bytes), { ok: false, code: ErrorCode.INVALID_DATA });
  }
});

test('body codec: extensions JSON cannot express are INVALID_DATA', () => {
  const set = Uint8Array.of(0xd4, 0x73, 0x00, 0x91, 0x01); // msgpackr Set
  const date = Uint8Array.of(0xd6, 0xff, 0, 0, 0, 1); // timestamp 32
  const undef = Uint8Array.of(0xd4, 0x00, 0x00);
  for (const bytes of [set, date, undef]) {
    assert.deepEqual(bodyDecode(bytes), { ok: false, code: ErrorCode.INVALID_DATA });
  }
});

test('body codec: nesting deeper than 32 is INVALID_DATA; 32 is fine', () => {
  const nested = (depth: number): Uint8Array =>
    Buffer.concat([Buffer.alloc(depth, 0x91), Uint8Array.of(0x01)]);
  assert.ok(bodyDecode(nested(32)).ok);
  assert.deepEqual(bodyDecode(nested(33)), { ok: false, code: ErrorCode.INVALID_DATA });
  assert.deepEqual(bodyDecode(nested(500_000)), { ok: false, code: ErrorCode.INVALID_DATA });
});

test('body codec: binary values are copies, not views of the borrowed input', () => {
  const bytes = bodyEncode({ bin: Uint8Array.of(1, 2, 3) });
  const value = decoded(bytes) as { bin: Uint8Array };
  bytes.fill(0);
  assert.deepEqual(Array.from(value.bin), [1, 2, 3]);
});

test('body codec: __proto__, constructor and prototype keys change no prototype', () => {
  const hostile = JSON.parse(
    '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},' +
      '"prototype":{"polluted":3},"ok":1,"inner":[{"__proto__":{"polluted":4},"x":2}]}',
  ) as unknown;
  const value = decoded(bodyEncode(hostile)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(value), ['ok', 'inner']);
  assert.deepEqual(value['inner'], [{ x: 2 }]);
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  const copy = Object.assign({}, value, ...(value['inner'] as object[]));
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  assert.equal((Object.prototype as Record<string, unknown>)['polluted'], undefined);
});

test('body codec: record definitions decode to plain objects with dangerous keys stripped', () => {
  // msgpackr record: ext 0x72 defines structure 0x40 with keys [constructor, x].
  const bytes = Buffer.concat([
    Uint8Array.of(0xd4, 0x72, 0x40, 0x92),
    Uint8Array.of(0xab), Buffer.from('constructor'),
    Uint8Array.of(0xa1), Buffer.from('x'),
    Uint8Array.of(0x01, 0x02),
  ]);
  assert.deepEqual(bodyDecode(bytes), { ok: true, value: { x: 2 } });
  // A following body must not see that record: 0x40 is the integer 64 again.
  assert.deepEqual(bodyDecode(Uint8Array.of(0x40)), { ok: true, value: 64 });
});

test('ack codec: success with a result is a zero byte then msgpack', () => {
  const ack = ackEncode(0, { messageId: '1', timestamp: 5 });
  assert.equal(ack[0], 0);
  assert.deepEqual(ackDecode(ack), {
    ok: true,
    value: { code: 0, result: { messageId: '1', timestamp: 5 } },
  });
});

test('ack codec: a failure code is one byte, whatever result is given', () => {
  const ack = ackEncode(ErrorCode.NO_RIGHT, { ignored: true });
  assert.deepEqual(Array.from(ack), [248]);
  assert.deepEqual(ackDecode(ack), { ok: true, value: { code: 248, result: undefined } });
  assert.deepEqual(Array.from(ackEncode(0)), [0]);
});

test('ack codec: empty, or bytes after a failure code, are INVALID_DATA', () => {
  assert.deepEqual(ackDecode(new Uint8Array(0)), { ok: false, code: ErrorCode.INVALID_DATA });
  assert.deepEqual(ackDecode(Uint8Array.of(2, 0x01)), { ok: false, code: ErrorCode.INVALID_DATA });
  assert.deepEqual(ackDecode(Uint8Array.of(0, 0xc1)), { ok: false, code: ErrorCode.INVALID_DATA });
});
