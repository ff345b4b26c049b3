// Property tests for every decoder that reads untrusted bytes or text: native frames, msgpack
// bodies, compat JSON, request contents and tokens. Each property holds for any input: no throw,
// an error value or a result within its limits, no prototype-changing key, Object.prototype
// untouched. Seeded: FUZZ_SEED=<n> replays a run; PROPERTY_RUNS=<n> scales every property.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { ErrorCode } from '../src/errors.js';
import {
  CLIENT_MESSAGE_ID_CHARS_MAX,
  DEVICE_ID_CHARS_MAX,
  FRAME_BODY_BYTES_MAX,
  FRAME_HEADER_BYTES,
  HISTORY_PAGE_ENTRIES_MAX,
  MENTIONED_TARGETS_MAX,
  MESSAGE_CONTENT_BYTES_MAX,
  PING_INTERVAL_MS_MAX,
  USER_ID_CHARS_MAX,
} from '../src/limits.js';
import { bodyDecode } from '../src/protocol/body_codec.js';
import { compatParse } from '../src/protocol/compat_json.js';
import { FrameReader, frameDecodeOne, frameEncode } from '../src/protocol/native_frame.js';
import {
  connectDecode,
  disconnectDecode,
  historyDecode,
  pingIntervalDecode,
  pullDecode,
  sendDecode,
} from '../src/protocol/requests.js';
import {
  compatPasswordDerive,
  compatTokenWrap,
  passwordToPart0,
  secretGenerate,
} from '../src/auth/compat_token.js';
import {
  tokenIssue,
  tokenKeyGenerate,
  tokenVerify,
  type TokenKeys,
} from '../src/auth/signed_token.js';
import { jsonOfTree, msgpackOfTree, treeIsPolluted, type Tree } from '../scripts/fuzz_values.js';
import {
  anythingArb,
  frameishArb,
  hostileTokenArbOf,
  frameStreamArb,
  nearSendArb,
  nearTokenArb,
  splitsArb,
  splitAt,
  treeArb,
  deepTreeArb,
} from './helpers/arbitraries.js';
import { masked, readerRead, referenceRead } from './helpers/frame_reference.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 0x7fff_ffff);
const SCALE = Number(process.env['PROPERTY_RUNS'] ?? 1);
process.stdout.write(`# decoders.property: seed ${SEED} (FUZZ_SEED=${SEED} replays)\n`);

function check<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>, runs: number): void {
  fc.assert(property, { seed: SEED, numRuns: Math.max(1, Math.round(runs * SCALE)) });
}

const PROTO_KEYS = Reflect.ownKeys(Object.prototype);
const PROTO_VALUES = PROTO_KEYS.map((key) =>
  Object.getOwnPropertyDescriptor(Object.prototype, key),
);
function objectPrototypeUntouched(): void {
  assert.deepEqual(Reflect.ownKeys(Object.prototype), PROTO_KEYS);
  PROTO_KEYS.forEach((key, i) => {
    const now = Object.getOwnPropertyDescriptor(Object.prototype, key);
    assert.ok(
      now?.value === PROTO_VALUES[i]?.value && now?.get === PROTO_VALUES[i]?.get,
      String(key),
    );
  });
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
}
after(objectPrototypeUntouched);

const bodyMaxArb = fc.constantFrom(FRAME_BODY_BYTES_MAX, 0, 16, 40, 70_000);

test('frame reader: any stream, split anywhere, yields what the reference reader yields', () => {
  check(
    fc.property(frameStreamArb, splitsArb, bodyMaxArb, (stream, cuts, bodyMax) => {
      const got = readerRead(splitAt(stream, cuts), bodyMax);
      assert.deepEqual(got, referenceRead(stream, bodyMax));
    }),
    400,
  );
});

test('frame reader: every frame it yields re-encodes to the bytes it came from', () => {
  check(
    fc.property(frameStreamArb, splitsArb, (stream, cuts) => {
      const { frames } = readerRead(splitAt(stream, cuts), FRAME_BODY_BYTES_MAX);
      // Frames are contiguous from the first byte: each starts where the previous one ended.
      let at = 0;
      for (const f of frames) {
        const again = frameEncode(f.signal, f.subSignal, f.messageId, f.body);
        assert.deepEqual(again, masked(stream.subarray(at, at + again.length)));
        at += again.length;
      }
    }),
    300,
  );
});

test('frame reader: a length over the limit is refused from the header alone', () => {
  const lengthArb = fc.oneof(
    fc.record({ bodyMax: fc.integer({ min: 0, max: FRAME_BODY_BYTES_MAX }), over: fc.constant(1) }),
    fc.record({ bodyMax: fc.integer({ min: 0, max: FRAME_BODY_BYTES_MAX }), over: fc.nat() }),
  );
  check(
    fc.property(lengthArb, fc.boolean(), splitsArb, ({ bodyMax, over }, negative, cuts) => {
      const length = negative ? -1 - over : Math.min(bodyMax + 1 + over, 0x7fff_ffff);
      const header = frameEncode(9, 18, 1, Buffer.alloc(0));
      header.writeInt32BE(length, 3);
      // Only the first 7 bytes matter; the rest of the header may never come.
      const reader = new FrameReader(bodyMax);
      let fedBytes = 0;
      for (const chunk of splitAt(header.subarray(0, 7), cuts)) {
        fedBytes += chunk.length;
        const error = reader.feed(chunk, () => assert.fail('no frame from a header'));
        assert.equal(error, fedBytes < 7 ? null : negative ? 'bad_length' : 'too_large');
      }
      // The limit itself is accepted: the reader waits for the body.
      const atLimit = frameEncode(9, 18, 1, Buffer.alloc(0));
      atLimit.writeInt32BE(bodyMax, 3);
      assert.equal(
        new FrameReader(bodyMax).feed(atLimit, () => undefined),
        null,
      );
    }),
    300,
  );
});

test('frame decode one: any bytes give a frame or an error; frames re-encode exactly', () => {
  const bytesArb = fc.oneof(frameishArb, fc.uint8Array({ maxLength: 40 }));
  check(
    fc.property(bytesArb, bodyMaxArb, (bytes, bodyMax) => {
      const result = frameDecodeOne(bytes, bodyMax);
      const reference = referenceRead(bytes, bodyMax);
      const whole =
        reference.error === null &&
        reference.frames.length === 1 &&
        FRAME_HEADER_BYTES + reference.frames[0]!.body.length === bytes.length;
      if (typeof result === 'string') {
        assert.ok(!whole, 'a whole frame decodes');
        const header = referenceRead(bytes.subarray(0, FRAME_HEADER_BYTES), bodyMax);
        assert.equal(result, header.error ?? 'bad_length');
        return;
      }
      assert.ok(whole);
      assert.deepEqual(
        frameEncode(result.signal, result.subSignal, result.messageId, result.body),
        masked(bytes),
      );
    }),
    500,
  );
});

// --- Bodies and compat JSON ---

test('body decode: arbitrary bytes never throw and never yield a polluted value', () => {
  check(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const result = bodyDecode(bytes);
      if (result.ok) assert.ok(!treeIsPolluted(result.value));
      else assert.equal(result.code, ErrorCode.INVALID_DATA);
    }),
    2000,
  );
});

test('body decode: __proto__, constructor and prototype keys are dropped at any depth', () => {
  check(
    fc.property(fc.oneof(treeArb, deepTreeArb), (tree: Tree) => {
      const result = bodyDecode(msgpackOfTree(tree));
      if (result.ok) assert.ok(!treeIsPolluted(result.value), JSON.stringify(jsonOfTree(tree)));
      objectPrototypeUntouched();
    }),
    600,
  );
});

test('body decode: nesting a million levels deep is an error value, not a crash', () => {
  assert.deepEqual(bodyDecode(Buffer.alloc(1_000_000, 0x91)), {
    ok: false,
    code: ErrorCode.INVALID_DATA,
  });
});

test('compat parse: arbitrary strings never throw', () => {
  check(
    fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
      const result = compatParse(text);
      if (result.ok) assert.ok(!treeIsPolluted(result.value.content));
    }),
    1000,
  );
});

test('compat parse: dangerous keys, plain or \\u-escaped, never reach content', () => {
  const frameArb = fc.record({
    signal: fc.constantFrom('PUBLISH', 'CONNECT', 'PING', 'NOPE'),
    subSignal: fc.constantFrom('MS', 'NONE', 'GC', 'XX'),
    messageId: fc.oneof(fc.integer(), fc.double()),
    content: fc.oneof(treeArb, deepTreeArb),
    asString: fc.boolean(),
    outerKey: fc.constantFrom('__proto__', 'constructor', 'other'),
  });
  check(
    fc.property(frameArb, (f) => {
      const content = f.asString ? JSON.stringify(jsonOfTree(f.content)) : jsonOfTree(f.content);
      const text =
        `{"${f.outerKey}":{"polluted":1},"signal":"${f.signal}","subSignal":"${f.subSignal}",` +
        `"messageId":${JSON.stringify(f.messageId) ?? 0},"content":${content}}`;
      const result = compatParse(text);
      if (result.ok) assert.ok(!treeIsPolluted(result.value.content), text);
      objectPrototypeUntouched();
    }),
    600,
  );
  assert.equal(compatParse('['.repeat(200_000)).ok, false);
});

// --- Request decoders ---


test('request decoders: arbitrary values never throw', () => {
  check(
    fc.property(fc.oneof(anythingArb, nearSendArb), (value) => {
      connectDecode(value);
      sendDecode(value);
      pullDecode(value);
      historyDecode(value);
      pingIntervalDecode(value);
      disconnectDecode(value);
    }),
    1500,
  );
});

const CONTENT_KEYS = new Set([
  'type',
  'searchableContent',
  'pushContent',
  'content',
  'binaryContent',
  'remoteMediaUrl',
  'extra',
  'mediaType',
  'mentionedType',
  'mentionedTargets',
]);

test('send decode: a decoded send respects every limit', () => {
  check(
    fc.property(fc.oneof(nearSendArb, anythingArb), (value) => {
      const result = sendDecode(value);
      if (!result.ok) return;
      const send = result.value;
      assert.ok(
        Number.isSafeInteger(send.conversationType) &&
          send.conversationType >= 0 &&
          send.conversationType <= 3,
      );
      assert.ok(Number.isSafeInteger(send.line) && send.line >= 0 && send.line <= 255);
      assert.ok(send.target.length >= 1 && send.target.length <= USER_ID_CHARS_MAX, send.target);
      assert.ok(send.clientMessageId.length <= CLIENT_MESSAGE_ID_CHARS_MAX);
      const content = send.content as unknown as Record<string, unknown>;
      assert.ok(Number.isSafeInteger(content['type']) && (content['type'] as number) >= 0);
      let bytes = 0;
      for (const [key, field] of Object.entries(content)) {
        assert.ok(CONTENT_KEYS.has(key), key);
        if (typeof field === 'string') bytes += Buffer.byteLength(field);
      }
      assert.ok(bytes <= MESSAGE_CONTENT_BYTES_MAX, `${bytes} content bytes`);
      const mentioned = content['mentionedTargets'];
      if (mentioned !== undefined) {
        assert.ok(Array.isArray(mentioned) && mentioned.length <= MENTIONED_TARGETS_MAX);
        for (const uid of mentioned)
          assert.ok(typeof uid === 'string' && uid.length <= USER_ID_CHARS_MAX);
      }
      assert.ok(!treeIsPolluted(content));
    }),
    1500,
  );
});

test('connect, pull, history and ping decode: results are within their limits', () => {
  check(
    fc.property(fc.oneof(nearSendArb, anythingArb), (value) => {
      const connect = connectDecode(value);
      if (connect.ok) {
        assert.ok(connect.value.uid.length >= 1 && connect.value.uid.length <= USER_ID_CHARS_MAX);
        assert.ok(
          connect.value.deviceId.length >= 1 &&
            connect.value.deviceId.length <= DEVICE_ID_CHARS_MAX,
        );
      }
      const pull = pullDecode(value);
      if (pull.ok) assert.ok(Number.isSafeInteger(pull.value.afterSeq) && pull.value.afterSeq >= 0);
      const history = historyDecode(value);
      if (history.ok) {
        const { count, beforeUid, target } = history.value;
        assert.ok(count >= 1 && count <= HISTORY_PAGE_ENTRIES_MAX);
        assert.ok(beforeUid >= 0n && beforeUid < 2n ** 64n);
        assert.ok(target.length >= 1 && target.length <= USER_ID_CHARS_MAX);
      }
      const interval = pingIntervalDecode(value);
      if (interval !== undefined) assert.ok(interval >= 1 && interval <= PING_INTERVAL_MS_MAX);
    }),
    1500,
  );
});

// --- Tokens ---

const NOW_MS = 1_700_000_000_000;
const TTL_MS = 3_600_000;
const keys: TokenKeys = { current: tokenKeyGenerate('k1'), verifyOnly: [tokenKeyGenerate('k0')] };
const issued = [
  tokenIssue(keys, 'u1', 'd1', NOW_MS, TTL_MS),
  tokenIssue(keys, 'user-with-a-longer-id', 'web-device-7', NOW_MS, TTL_MS),
  tokenIssue({ current: keys.verifyOnly[0]!, verifyOnly: [] }, 'u2', 'd2', NOW_MS, TTL_MS),
];
const REFUSED = { ok: false, code: ErrorCode.TOKEN_ERROR };

test('tokens: the issued tokens verify and survive the compat password path (controls)', () => {
  for (const token of issued) {
    assert.ok(tokenVerify(keys, token, NOW_MS).ok);
    const secret = secretGenerate();
    const password = compatPasswordDerive(compatTokenWrap(token, secret, 'db', NOW_MS));
    assert.ok(password.ok);
    assert.deepEqual(passwordToPart0(password.value, secret), { ok: true, value: token });
  }
});

const hostileTokenArb = hostileTokenArbOf(issued);

test('token verify: noise, near-valid and mutated tokens are TOKEN_ERROR, never a throw', () => {
  check(
    fc.property(hostileTokenArb, fc.integer({ min: 0, max: 2 * NOW_MS }), (token, nowMs) => {
      assert.deepEqual(tokenVerify(keys, token, nowMs), REFUSED, token);
    }),
    2000,
  );
});

test('token verify: a token past its expiry is TOKEN_ERROR, at the expiry instant too', () => {
  check(
    fc.property(fc.nat({ max: 10 * TTL_MS }), fc.integer({ min: 1, max: TTL_MS }), (late, ttl) => {
      const token = tokenIssue(keys, 'u1', 'd1', NOW_MS, ttl);
      assert.deepEqual(tokenVerify(keys, token, NOW_MS + ttl + late), REFUSED);
    }),
    200,
  );
});

test('password to part0: never throws; no part0 it yields from forgeries verifies', () => {
  const secretArb = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constant(secretGenerate()),
  );
  const forgedArb = fc
    .tuple(nearTokenArb(['k1']), fc.constant(secretGenerate()))
    .map(([part0, secret]) => {
      const password = compatPasswordDerive(
        compatTokenWrap(part0 === '' ? 'AAAA' : part0, secret, 'db', NOW_MS),
      );
      return { password: password.ok ? password.value : '', secret };
    });
  const passwordArb = fc.oneof(
    fc.tuple(hostileTokenArb, secretArb).map(([password, secret]) => ({ password, secret })),
    fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 96 }), secretArb).map(([bytes, secret]) => ({
      password: Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 16))).toString(
        'base64',
      ),
      secret,
    })),
    forgedArb,
  );
  check(
    fc.property(passwordArb, ({ password, secret }) => {
      const part0 = passwordToPart0(password, secret);
      if (!part0.ok) return assert.deepEqual(part0, REFUSED);
      assert.equal(typeof part0.value, 'string');
      assert.deepEqual(tokenVerify(keys, part0.value, NOW_MS), REFUSED);
    }),
    1500,
  );
});
