// fast-check arbitraries for the decoder properties: frame-ish byte streams, chunk splits, value
// trees with dangerous keys, near-valid send requests and near-valid token layouts. "Near-valid"
// inputs pass the first checks of a decoder so that the later ones get exercised too.

import fc from 'fast-check';
import { DANGEROUS_KEYS, type Tree, type TreeEntry } from '../../scripts/fuzz_values.js';

const FIELD_NAMES = [
  'signal',
  'subSignal',
  'messageId',
  'content',
  'target',
  'type',
  'conversationType',
  'line',
  'userName',
  'password',
  'clientIdentifier',
  'mentionedTargets',
  'groupId',
  'memberIds',
  'groupMembers',
  'memberId',
  'value',
  'version',
  'interval',
  'clearSession',
  'conversation',
  'beforeUid',
  'count',
  'pullType',
  'sendMessageCount',
  'searchableContent',
] as const;

// --- Frames ---

const byteMostly = (usual: number): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(usual) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
  );

/** One frame's bytes: mostly well-formed, sometimes with a wrong magic, version or length. */
export const frameishArb: fc.Arbitrary<Uint8Array> = fc
  .record({
    magic: byteMostly(0xf8),
    version: byteMostly(3),
    signal: fc.integer({ min: 0, max: 255 }),
    subSignal: fc.integer({ min: 0, max: 255 }),
    messageId: fc.integer({ min: 0, max: 0xffff }),
    body: fc.oneof(
      { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      // Bodies around the reader's 64 KiB preallocation bound, filled with one byte.
      {
        weight: 1,
        arbitrary: fc
          .tuple(fc.integer({ min: 65_530, max: 65_545 }), fc.integer({ min: 0, max: 255 }))
          .map(([length, fill]) => new Uint8Array(length).fill(fill)),
      },
    ),
    lie: fc.oneof(
      { weight: 12, arbitrary: fc.constant(0) },
      { weight: 2, arbitrary: fc.integer({ min: -20, max: 20 }) },
      { weight: 1, arbitrary: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }) },
    ),
  })
  .map(({ magic, version, signal, subSignal, messageId, body, lie }) => {
    const frame = Buffer.alloc(10 + body.length);
    frame[0] = magic;
    frame[1] = version;
    frame[2] = signal;
    frame.writeInt32BE((body.length + lie) | 0, 3);
    frame[7] = subSignal;
    frame.writeUInt16BE(messageId, 8);
    frame.set(body, 10);
    return frame;
  });

/** A byte stream: frame-ish segments and some noise, concatenated. */
export const frameStreamArb: fc.Arbitrary<Uint8Array> = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: frameishArb },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 24 }) },
    ),
    { maxLength: 8 },
  )
  .map((segments) => Buffer.concat(segments));

/** Cut points (taken modulo the stream length); empty chunks are allowed on purpose. */
export const splitsArb: fc.Arbitrary<number[]> = fc.array(fc.nat(), { maxLength: 12 });

export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = cuts.map((cut) => cut % (bytes.length + 1)).sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

// --- Value trees ---

const keyArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...DANGEROUS_KEYS) },
  { weight: 3, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
);

const leafArb: fc.Arbitrary<Tree> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.string({ maxLength: 12 }),
  fc.uint8Array({ maxLength: 8 }),
  fc.record({ ext: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 8 }) }),
);

function entryArb(value: fc.Arbitrary<Tree>): fc.Arbitrary<TreeEntry> {
  return fc.record({ key: keyArb, escaped: fc.boolean(), value });
}

/** Trees a few levels deep, biased towards maps with dangerous and protocol keys. */
export const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree; node: Tree }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, tie('node')),
  node: fc.oneof(
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.record({ map: fc.array(entryArb(tie('tree')), { maxLength: 5 }) }),
  ),
})).tree;

/** A dangerous key buried 20 to 40 levels down, around the body decoder's depth limit. */
export const deepTreeArb: fc.Arbitrary<Tree> = fc
  .tuple(fc.integer({ min: 20, max: 40 }), fc.constantFrom(...DANGEROUS_KEYS), fc.boolean())
  .map(([depth, key, escaped]) => {
    let tree: Tree = {
      map: [{ key, escaped, value: { map: [{ key: 'polluted', escaped, value: 1 }] } }],
    };
    for (let level = 0; level < depth; level++) {
      tree = level % 2 === 0 ? [tree] : { map: [{ key: 'content', escaped: false, value: tree }] };
    }
    return tree;
  });

// --- Requests ---

const integerishArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -5, max: 300 }),
  fc.constantFrom(0, 1, 3, 4, 255, 256, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, 2 ** 53, 1.5, NaN),
  fc.bigInt({ min: -10n, max: 2n ** 70n }),
  fc.integer().map(String),
  fc.constantFrom('1e3', ' 1', '', '9007199254740993', null, undefined, true),
);

function stringishArb(charsMax: number): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.integer({ min: charsMax - 2, max: charsMax + 2 }).map((n) => 'u'.repeat(Math.max(0, n))),
    fc.integer(),
    fc.bigInt({ min: 0n, max: 10n ** 80n }),
    fc.constantFrom('', null, undefined, -9007199254740991),
  );
}

/** Text fields near MESSAGE_CONTENT_BYTES_MAX in 1-, 2-, 3- and 4-byte UTF-8 characters. */
const textArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('a', 'é', '中', '😀', '\ud800'), fc.integer({ min: -40, max: 40 }))
      .map(([char, delta]) =>
        char.repeat(Math.max(0, Math.floor(65_536 / Buffer.byteLength(char)) + delta)),
      ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, 7, {}, ['x']) },
);

const mentionedArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.array(stringishArb(64), { maxLength: 4 }),
  fc.integer({ min: 1_998, max: 2_002 }).map((n) => Array.from({ length: n }, (_, i) => `u${i}`)),
  fc.constantFrom(null, 'u1', {}),
);

/** MS contents that are mostly valid, with every field sometimes out of range or mistyped. */
export const nearSendArb: fc.Arbitrary<unknown> = fc
  .record(
    {
      conversationType: integerishArb,
      target: stringishArb(64),
      line: integerishArb,
      messageId: fc.oneof(stringishArb(64), integerishArb),
      pullType: integerishArb,
      sendMessageCount: integerishArb,
      userName: stringishArb(64),
      password: fc.string({ maxLength: 8 }),
      clientIdentifier: stringishArb(64),
      interval: integerishArb,
      count: integerishArb,
      beforeUid: fc.oneof(integerishArb, fc.bigInt({ min: -1n, max: 2n ** 65n })),
      conversation: fc.record({
        type: integerishArb,
        target: stringishArb(64),
        line: integerishArb,
      }),
      content: fc.record(
        {
          type: integerishArb,
          searchableContent: textArb,
          pushContent: textArb,
          content: textArb,
          binaryContent: textArb,
          remoteMediaUrl: textArb,
          extra: textArb,
          mediaType: integerishArb,
          mentionedType: integerishArb,
          mentionedTargets: mentionedArb,
        },
        { requiredKeys: ['type'] },
      ),
    },
    { requiredKeys: ['target', 'content'] },
  )
  .map((request) => {
    // An own `__proto__` key, as JSON.parse or msgpack would produce it.
    const content = { ...request.content };
    Object.defineProperty(content, '__proto__', { value: { polluted: 1 }, enumerable: true });
    return { ...request, content };
  });

// --- Tokens ---

/**
 * Base64 of a structurally plausible token layout (signed_token.ts): version, key id, uid,
 * device id, expiry, nonce, padding, a random MAC and the end mark, each sometimes wrong.
 */
export function nearTokenArb(keyIds: readonly string[]): fc.Arbitrary<string> {
  return fc
    .record({
      version: byteMostly(1),
      keyId: fc.constantFrom(...keyIds),
      uid: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme-ascii' }),
      deviceId: fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme-ascii' }),
      expiresAt: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      nonce: fc.uint8Array({ minLength: 8, maxLength: 8 }),
      padLie: fc.oneof(
        { weight: 8, arbitrary: fc.constant(0) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
      ),
      mac: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      end: byteMostly(0x4d),
    })
    .map((t) => {
      const fields = [t.keyId, t.uid, t.deviceId].map((text) => Buffer.from(text, 'utf8'));
      const expiry = Buffer.alloc(8);
      expiry.writeBigUInt64BE(t.expiresAt);
      const head = Buffer.concat([
        Buffer.from([t.version]),
        ...fields.flatMap((field) => [Buffer.from([field.length]), field]),
        expiry,
        t.nonce,
      ]);
      const padding = (((4 - ((head.length + 33) % 4)) % 4) + t.padLie) % 4;
      return Buffer.concat([head, Buffer.alloc(padding), t.mac, Buffer.from([t.end])]).toString(
        'base64',
      );
    });
}

/** Values of every JS kind a decoder could be handed, including ones JSON cannot make. */
export const anythingArb = fc.anything({
  withBigInt: true,
  withNullPrototype: true,
  withTypedArray: true,
  withSparseArray: true,
  withBoxedValues: true,
  withMap: true,
  withSet: true,
  withDate: true,
  maxDepth: 4,
});

/**
 * Strings that must never verify: noise, Base64 noise, near-valid layouts, mutations of the
 * given real tokens (a flipped bit, a cut, extra bytes, one changed character) and JWT-likes.
 */
export function hostileTokenArbOf(issued: readonly string[]): fc.Arbitrary<string> {
  const mutatedTokenArb = fc
    .record({
      which: fc.nat({ max: issued.length - 1 }),
      kind: fc.constantFrom('flip', 'truncate', 'append', 'text'),
      at: fc.nat(),
      bit: fc.nat({ max: 7 }),
      extra: fc.uint8Array({ minLength: 1, maxLength: 8 }),
    })
    .map(({ which, kind, at, bit, extra }) => {
      const token = issued[which]!;
      const bytes = Buffer.from(token, 'base64');
      const i = at % bytes.length;
      if (kind === 'flip') bytes[i] = bytes[i]! ^ (1 << bit);
      if (kind === 'truncate') return bytes.subarray(0, i).toString('base64');
      if (kind === 'append') return Buffer.concat([bytes, extra]).toString('base64');
      if (kind === 'text') {
        const j = at % token.length;
        const replacement = token[j] === 'A' ? 'B' : 'A';
        return token.slice(0, j) + replacement + token.slice(j + 1);
      }
      return bytes.toString('base64');
    });

  return fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.base64String({ maxLength: 400 }),
    nearTokenArb(['k1', 'k0', 'k2', 'dev']),
    mutatedTokenArb,
    fc.constantFrom('', 'eyJhbGciOiJub25lIn0.eyJ1aWQiOiJ1MSJ9.', '====', 'AAAA', issued[0]! + ' '),
  );
}
