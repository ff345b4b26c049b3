import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import { HEARTBEAT_TEXT, compatEncode, compatParse } from '../src/protocol/compat_json.js';
import { Signal, SubSignal } from '../src/protocol/signals.js';

const MS = {
  conversationType: 0,
  target: 'u2',
  line: 0,
  content: { type: 1, searchableContent: 'hi' },
};

function frameText(content: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ signal: 'PUBLISH', subSignal: 'MS', messageId: 7, content, ...extra });
}

test('compat parse: reads names, messageId and object content', () => {
  assert.deepEqual(compatParse(frameText(MS)), {
    ok: true,
    value: { signal: Signal.PUBLISH, subSignal: SubSignal.MS, messageId: 7, content: MS },
  });
});

test('compat parse: content given as a string holding JSON equals content given as object', () => {
  assert.deepEqual(compatParse(frameText(JSON.stringify(MS))), compatParse(frameText(MS)));
  const list = compatParse(frameText(JSON.stringify(['u1', 'u2'])));
  assert.ok(list.ok);
  assert.deepEqual(list.value.content, ['u1', 'u2']);
});

test('compat parse: empty string or absent content is undefined', () => {
  const empty = compatParse(frameText(''));
  assert.ok(empty.ok);
  assert.equal(empty.value.content, undefined);
  const absent = compatParse('{"signal":"PING","subSignal":"NONE","messageId":1}');
  assert.ok(absent.ok);
  assert.equal(absent.value.signal, Signal.PING);
  assert.equal(absent.value.content, undefined);
});

test('compat parse: keeps the low 16 bits of messageId', () => {
  const parsed = compatParse(frameText(MS, { messageId: 65536 + 5 }));
  assert.ok(parsed.ok);
  assert.equal(parsed.value.messageId, 5);
});

test('compat parse: an unknown sub-signal name is NOT_IMPLEMENTED (answered with 254)', () => {
  assert.deepEqual(compatParse(frameText(MS, { subSignal: 'NOPE' })), {
    ok: false,
    code: ErrorCode.NOT_IMPLEMENTED,
  });
});

test('compat parse: bad input is INVALID_DATA, never a throw', () => {
  const bad = [
    '',
    'not json',
    HEARTBEAT_TEXT,
    '[]',
    'null',
    '42',
    frameText(MS, { signal: 'NOPE' }),
    frameText(MS, { signal: '__proto__' }),
    frameText(MS, { signal: 9 }),
    frameText(MS, { messageId: '7' }),
    frameText(MS, { messageId: null }),
    frameText('{"broken":'),
    '['.repeat(100_000) + ']'.repeat(100_000),
  ];
  for (const text of bad) {
    const expected = { ok: false, code: ErrorCode.INVALID_DATA };
    assert.deepEqual(compatParse(text), expected, text.slice(0, 40));
  }
});

test('compat parse: drops __proto__, constructor and prototype keys at every level', () => {
  const hostile =
    '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":2}},"a":' +
    '[{"prototype":1,"b":2}],"c":{"\\u005f_proto__":{"polluted":3},"d":4}}';
  for (const content of [JSON.parse(hostile) as unknown, hostile]) {
    const text = frameText(content).replace('"content"', '"__proto__":{"polluted":5},"content"');
    const parsed = compatParse(text);
    assert.ok(parsed.ok);
    const value = parsed.value.content as Record<string, unknown>;
    assert.deepEqual(value, { a: [{ b: 2 }], c: { d: 4 } });
    const copy = Object.assign({}, value, value['c']);
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  }
  assert.equal((Object.prototype as Record<string, unknown>)['polluted'], undefined);
});

test('compat encode: double-encodes content as a JSON string', () => {
  const text = compatEncode(Signal.PUB_ACK, SubSignal.MS, 7, { messageId: '123', timestamp: 5 });
  assert.equal(
    text,
    '{"signal":"PUB_ACK","subSignal":"MS","messageId":7,' +
      '"content":"{\\"messageId\\":\\"123\\",\\"timestamp\\":5}"}',
  );
  const outer = JSON.parse(text) as { content: string };
  assert.deepEqual(JSON.parse(outer.content), { messageId: '123', timestamp: 5 });
});

test("compat encode: failure content '' is sent as an empty string", () => {
  assert.equal(
    compatEncode(Signal.PUB_ACK, SubSignal.GC, 3, ''),
    '{"signal":"PUB_ACK","subSignal":"GC","messageId":3,"content":""}',
  );
  assert.equal(
    compatEncode(Signal.CONNECT_ACK, SubSignal.CONNECTION_REFUSED_SESSION_NOT_EXIST, 0, undefined),
    '{"signal":"CONNECT_ACK","subSignal":"CONNECTION_REFUSED_SESSION_NOT_EXIST","messageId":0,' +
      '"content":""}',
  );
});

test('compat encode: bigints anywhere in content become decimal strings', () => {
  const id = 2n ** 62n + 1n;
  const text = compatEncode(Signal.PUB_ACK, SubSignal.MP, 1, {
    head: id,
    list: [{ messageId: id, n: 1 }],
  });
  const content = JSON.parse((JSON.parse(text) as { content: string }).content) as unknown;
  assert.deepEqual(content, { head: id.toString(), list: [{ messageId: id.toString(), n: 1 }] });
});

test('compat encode: a cycle in content (our bug) throws with its stack trace', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic['self'] = cyclic;
  assert.throws(
    () => compatEncode(Signal.PUB_ACK, SubSignal.MS, 1, cyclic),
    (error: unknown) => error instanceof TypeError && (error.stack ?? '').includes('compat_json'),
  );
  assert.ok(Error.stackTraceLimit > 0, 'stack traces are back on');
});

test('compat encode then parse: round-trips unicode and quotes', () => {
  const content = { text: '心跳 "quoted" \\ \n end', n: [1, 2] };
  const parsed = compatParse(compatEncode(Signal.PUBLISH, SubSignal.MS, 9, content));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, {
    signal: Signal.PUBLISH,
    subSignal: SubSignal.MS,
    messageId: 9,
    content,
  });
});

test('compat encode: refuses a signal without a name (our bug, not input)', () => {
  assert.throws(() => compatEncode(99, 0, 0, ''));
  assert.throws(() => compatEncode(Signal.PUB_ACK, 0, 70_000, ''));
});
