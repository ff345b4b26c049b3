import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FRAME_BODY_BYTES_MAX, FRAME_HEADER_BYTES } from '../src/limits.js';
import type { Frame } from '../src/protocol/frame.js';
import {
  FRAME_MAGIC,
  FrameReader,
  NATIVE_VERSION,
  PROTOBUF_VERSION,
  frameDecodeOne,
  frameEncode,
} from '../src/protocol/native_frame.js';
import type { FrameReadError } from '../src/protocol/native_frame.js';

interface Plain {
  signal: number;
  subSignal: number;
  messageId: number;
  body: number[];
}

/** Copies frames out of the callback: their bodies are borrowed. */
function readAll(
  reader: FrameReader,
  chunks: Uint8Array[],
): { frames: Plain[]; error: FrameReadError | null } {
  const frames: Plain[] = [];
  let error: FrameReadError | null = null;
  for (const chunk of chunks) {
    error = reader.feed(chunk, (f: Frame) => {
      frames.push({ ...f, body: Array.from(f.body) });
    });
    if (error !== null) break;
  }
  return { frames, error };
}

function header(version: number, length: number): Buffer {
  const h = Buffer.alloc(FRAME_HEADER_BYTES);
  h[0] = FRAME_MAGIC;
  h[1] = version;
  h[2] = 9;
  h.writeInt32BE(length, 3);
  h[7] = 18;
  h.writeUInt16BE(7, 8);
  return h;
}

test('frame encode: writes the 10-byte big-endian header then the body', () => {
  const frame = frameEncode(9, 18, 0xbeef, Uint8Array.of(1, 2, 3));
  assert.deepEqual(
    Array.from(frame),
    [0xf8, 3, 9, 0, 0, 0, 3, 18, 0xbe, 0xef, 1, 2, 3],
  );
});

test('frame encode: refuses a signal over 7 bits (our bug, not input)', () => {
  assert.throws(() => frameEncode(128, 0, 0, new Uint8Array(0)));
  assert.throws(() => frameEncode(0, 0, 0x10000, new Uint8Array(0)));
});

test('frame decode one: round-trips a frame and views its body', () => {
  const bytes = frameEncode(10, 18, 65535, Uint8Array.of(0, 5));
  const frame = frameDecodeOne(bytes, FRAME_BODY_BYTES_MAX);
  assert.ok(typeof frame === 'object');
  assert.equal(frame.signal, 10);
  assert.equal(frame.subSignal, 18);
  assert.equal(frame.messageId, 65535);
  assert.deepEqual(Array.from(frame.body), [0, 5]);
  assert.equal(frame.body.buffer, bytes.buffer);
});

test('frame decode one: missing or trailing bytes are bad_length', () => {
  const bytes = frameEncode(9, 18, 1, Uint8Array.of(1, 2, 3));
  assert.equal(frameDecodeOne(bytes.subarray(0, bytes.length - 1), 100), 'bad_length');
  assert.equal(frameDecodeOne(Buffer.concat([bytes, Uint8Array.of(0)]), 100), 'bad_length');
  assert.equal(frameDecodeOne(bytes.subarray(0, 5), 100), 'bad_length');
  assert.equal(frameDecodeOne(new Uint8Array(0), 100), 'bad_length');
});

test('frame decode one: judges magic, version and limit', () => {
  assert.equal(frameDecodeOne(Uint8Array.of(0x7b, 0x22), 100), 'bad_magic');
  assert.equal(frameDecodeOne(header(PROTOBUF_VERSION, 0), 100), 'unsupported_version');
  assert.equal(frameDecodeOne(header(4, 0), 100), 'bad_version');
  const oversize = Buffer.concat([header(3, 101), Buffer.alloc(101)]);
  assert.equal(frameDecodeOne(oversize, 100), 'too_large');
  assert.equal(frameDecodeOne(header(3, -1), 100), 'bad_length');
});

test('frame reader: masks the reserved top bit of signal and subSignal', () => {
  const bytes = header(NATIVE_VERSION, 0);
  bytes[2] = 0x80 | 9;
  bytes[7] = 0x80 | 18;
  const { frames, error } = readAll(new FrameReader(100), [bytes]);
  assert.equal(error, null);
  assert.equal(frames[0]?.signal, 9);
  assert.equal(frames[0]?.subSignal, 18);
});

test('frame reader: yields the same frames for a split at every byte boundary', () => {
  const stream = Buffer.concat([
    frameEncode(9, 18, 1, Buffer.from('hello')),
    frameEncode(3, 0, 2, new Uint8Array(0)),
    frameEncode(10, 19, 3, Buffer.alloc(300, 7)),
  ]);
  const whole = readAll(new FrameReader(1000), [stream]);
  assert.equal(whole.error, null);
  assert.equal(whole.frames.length, 3);
  for (let cut = 0; cut <= stream.length; cut++) {
    const split = readAll(new FrameReader(1000), [stream.subarray(0, cut), stream.subarray(cut)]);
    assert.equal(split.error, null);
    assert.deepEqual(split.frames, whole.frames, `cut at ${cut}`);
  }
  const bytewise: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i++) bytewise.push(stream.subarray(i, i + 1));
  assert.deepEqual(readAll(new FrameReader(1000), bytewise).frames, whole.frames);
});

test('frame reader: gathers a large body that trickles in (piecewise buffering)', () => {
  const body = Buffer.alloc(200_000);
  for (let i = 0; i < body.length; i++) body[i] = i & 0xff;
  const stream = frameEncode(9, 18, 9, body);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i += 7_777) chunks.push(stream.subarray(i, i + 7_777));
  const { frames, error } = readAll(new FrameReader(FRAME_BODY_BYTES_MAX), chunks);
  assert.equal(error, null);
  assert.equal(frames.length, 1);
  assert.deepEqual(Buffer.from(frames[0]!.body), body);
});

test('frame reader: delivers 1000 frames from one chunk as views, without copies', () => {
  const parts: Buffer[] = [];
  for (let i = 0; i < 1000; i++) parts.push(frameEncode(9, 18, i, Buffer.from(`m${i}`)));
  const chunk = Buffer.concat(parts);
  let count = 0;
  const error = new FrameReader(100).feed(chunk, (f) => {
    assert.equal(f.messageId, count);
    assert.equal(Buffer.from(f.body).toString(), `m${count}`);
    assert.equal(f.body.buffer, chunk.buffer);
    count++;
  });
  assert.equal(error, null);
  assert.equal(count, 1000);
});

test('frame reader: accepts a body of exactly FRAME_BODY_BYTES_MAX', () => {
  const stream = frameEncode(9, 18, 1, Buffer.alloc(FRAME_BODY_BYTES_MAX, 1));
  const half = stream.length >> 1;
  const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
  let length = -1;
  const push = (f: Frame): void => {
    length = f.body.length;
  };
  assert.equal(reader.feed(stream.subarray(0, half), push), null);
  assert.equal(reader.feed(stream.subarray(half), push), null);
  assert.equal(length, FRAME_BODY_BYTES_MAX);
});

test('frame reader: refuses a length over FRAME_BODY_BYTES_MAX before the body arrives', () => {
  const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
  const h = header(NATIVE_VERSION, FRAME_BODY_BYTES_MAX + 1);
  let called = false;
  assert.equal(reader.feed(h.subarray(0, 7), () => (called = true)), 'too_large');
  assert.equal(called, false);
});

test('frame reader: refuses a negative length at once', () => {
  const reader = new FrameReader(100);
  assert.equal(reader.feed(header(NATIVE_VERSION, -5), () => {}), 'bad_length');
});

test('frame reader: refuses bad magic from the first byte', () => {
  const reader = new FrameReader(100);
  assert.equal(reader.feed(Buffer.from('G'), () => {}), 'bad_magic');
});

test('frame reader: answers version 2 (protobuf) with unsupported_version', () => {
  const reader = new FrameReader(100);
  assert.equal(reader.feed(Uint8Array.of(FRAME_MAGIC, PROTOBUF_VERSION), () => {}),
    'unsupported_version');
  assert.equal(new FrameReader(100).feed(Uint8Array.of(FRAME_MAGIC, 1), () => {}), 'bad_version');
});

test('frame reader: refuses garbage such as an HTTP request', () => {
  const reader = new FrameReader(100);
  assert.equal(reader.feed(Buffer.from('GET / HTTP/1.1\r\n\r\n'), () => {}), 'bad_magic');
});

test('frame reader: delivers frames before an error, then stays in the error state', () => {
  const good = frameEncode(9, 18, 1, Uint8Array.of(1));
  const reader = new FrameReader(100);
  const { frames, error } = readAll(reader, [Buffer.concat([good, Buffer.from('xx')])]);
  assert.equal(frames.length, 1);
  assert.equal(error, 'bad_magic');
  let called = false;
  assert.equal(reader.feed(good, () => (called = true)), 'bad_magic');
  assert.equal(called, false);
});

test('frame reader: random garbage never throws and never delivers past an error', () => {
  let seed = 12345;
  const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  for (let round = 0; round < 500; round++) {
    const bytes = new Uint8Array(1 + (random() % 64));
    for (let i = 0; i < bytes.length; i++) bytes[i] = random();
    if (round % 2 === 0) bytes[0] = FRAME_MAGIC;
    if (round % 4 === 0) bytes[1] = NATIVE_VERSION;
    const reader = new FrameReader(32);
    const error = reader.feed(bytes, (f) => assert.ok(f.body.length <= 32));
    if (error !== null) assert.equal(reader.feed(bytes, () => assert.fail('after error')), error);
  }
});
