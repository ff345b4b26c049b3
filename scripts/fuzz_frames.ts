// How the fuzzer frames what it says: msgpack bodies (two encoders), native frames and their
// mutations (bit flips, truncations, length lies, bad header bytes), byte noise, and compat JSON
// texts, well-formed or mangled. Every generator draws from one Rng.

import { FRAME_BODY_BYTES_MAX } from '../src/limits.js';
import { bodyEncode } from '../src/protocol/body_codec.js';
import { HEARTBEAT_TEXT } from '../src/protocol/compat_json.js';
import { edgeString, treeRandom, type FuzzWorld } from './fuzz_content.js';
import {
  DANGEROUS_KEYS,
  jsonOfTree,
  msgpackOfTree,
  type Rng,
  type Tree,
  type TreeEntry,
} from './fuzz_values.js';

/** A JS value for msgpackr (own `__proto__` keys kept as data); extensions become null. */
function treeToValue(tree: Tree): unknown {
  if (tree === null || typeof tree !== 'object' || tree instanceof Uint8Array) return tree;
  if (Array.isArray(tree)) return tree.map((item: Tree) => treeToValue(item));
  if ('ext' in tree) return null;
  const out: Record<string, unknown> = {};
  for (const entry of (tree as { readonly map: readonly TreeEntry[] }).map) {
    Object.defineProperty(out, entry.key, {
      value: treeToValue(entry.value),
      enumerable: true,
      configurable: true,
      writable: true,
    });
  }
  return out;
}

/** msgpack of a tree: our literal writer (32-bit lengths, duplicates kept) or msgpackr's. */
export function bodyOf(rng: Rng, tree: Tree): Buffer {
  if (rng.chance(0.5)) return msgpackOfTree(tree);
  try {
    return bodyEncode(treeToValue(tree));
  } catch {
    return msgpackOfTree(tree); // e.g. a bigint past 64 bits, which msgpackr refuses
  }
}

/** One native frame; signal and subSignal are full bytes (bit 7 is reserved, but may be set). */
export function frameOf(
  signal: number,
  subSignal: number,
  messageId: number,
  body: Uint8Array,
): Buffer {
  const frame = Buffer.allocUnsafe(10 + body.length);
  frame[0] = 0xf8;
  frame[1] = 3;
  frame[2] = signal & 0xff;
  frame.writeInt32BE(body.length, 3);
  frame[7] = subSignal & 0xff;
  frame.writeUInt16BE(messageId & 0xffff, 8);
  frame.set(body, 10);
  return frame;
}

const LENGTH_LIES = [
  0,
  1,
  -1,
  0x7fff_ffff,
  -0x8000_0000,
  FRAME_BODY_BYTES_MAX,
  FRAME_BODY_BYTES_MAX + 1,
];

/** A damaged copy of a frame: one or two of flips, truncation, length lies, bad header bytes. */
export function frameMutate(rng: Rng, frame: Buffer): Buffer {
  let out: Buffer = Buffer.from(frame);
  for (let round = rng.chance(0.3) ? 2 : 1; round > 0; round--) {
    switch (rng.int(8)) {
      case 0:
        for (let flips = rng.range(1, 4); flips > 0 && out.length > 0; flips--) {
          const at = rng.int(out.length);
          out[at] = out[at]! ^ (1 << rng.int(8));
        }
        break;
      case 1:
        out = out.subarray(0, rng.int(out.length));
        break;
      case 2:
        if (out.length >= 7) {
          const body = out.length - 10;
          const lie = rng.chance(0.5) ? body + rng.range(-8, 8) : rng.pick(LENGTH_LIES);
          out.writeInt32BE(lie | 0, 3);
        }
        break;
      case 3:
        if (out.length >= 2) out[rng.int(2)] = rng.chance(0.3) ? 2 : rng.int(256);
        break;
      case 4:
        if (out.length >= 8) out[rng.chance(0.5) ? 2 : 7] = rng.int(256);
        break;
      case 5:
        out = frameOf(out[2] ?? 9, out[7] ?? 0, rng.int(0x10000), rng.bytes(rng.int(64)));
        break;
      case 6:
        out = Buffer.concat([out, rng.bytes(rng.range(1, 32))]);
        break;
      default:
        out = Buffer.concat([out.subarray(0, rng.int(out.length + 1)), rng.bytes(rng.range(1, 8))]);
        break;
    }
  }
  return out;
}

/** Bytes that are no frame stream at all (or only start like one). */
export function noiseBytes(rng: Rng): Buffer {
  switch (rng.int(5)) {
    case 0:
      return Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n');
    case 1:
      return Buffer.alloc(rng.range(1, 64), 0xf8);
    case 2:
      return Buffer.concat([Buffer.from([0xf8, 0x03]), rng.bytes(rng.range(0, 64))]);
    default:
      return rng.bytes(rng.range(1, 2048));
  }
}

const SIGNAL_NAMES = [
  'PUBLISH',
  'PUBLISH',
  'PUBLISH',
  'CONNECT',
  'PING',
  'DISCONNECT',
  'PUB_ACK',
  'NONE',
  'SUB',
  'publish',
  '',
];

/** One compat text frame: usually well-formed JSON with odd content, sometimes mangled. */
export function compatText(
  rng: Rng,
  signal: string,
  subSignal: string,
  messageId: number,
  content: Tree,
): string {
  const contentText = rng.chance(0.4)
    ? JSON.stringify(jsonOfTree(content))
    : rng.chance(0.05)
      ? '""'
      : jsonOfTree(content);
  const id = rng.chance(0.9)
    ? String(messageId)
    : rng.pick(['1.5', '-1', '1e20', '"7"', 'null', '99999999999']);
  const fields = [
    `"signal":${JSON.stringify(signal)}`,
    `"subSignal":${JSON.stringify(subSignal)}`,
    `"messageId":${id}`,
    `"content":${contentText}`,
  ];
  if (rng.chance(0.1)) fields.push(`"${rng.pick(DANGEROUS_KEYS)}":{"polluted":1}`);
  if (rng.chance(0.2)) fields.reverse();
  const text = `{${fields.join(',')}}`;
  return rng.chance(0.05) ? text.slice(0, rng.int(text.length)) : text;
}

/** A compat text frame of a random signal name. */
export function compatRandomText(
  rng: Rng,
  world: FuzzWorld,
  subSignalNames: readonly string[],
): string {
  const subSignal = rng.chance(0.9) ? rng.pick(subSignalNames) : edgeString(rng);
  return compatText(
    rng,
    rng.pick(SIGNAL_NAMES),
    subSignal,
    rng.int(0x20000),
    treeRandom(rng, world, 3),
  );
}

/** Text that is not a compat frame: noise, heartbeats, bare JSON values, deep nesting. */
export function compatNoise(rng: Rng): string {
  switch (rng.int(6)) {
    case 0:
      return HEARTBEAT_TEXT;
    case 1:
      return '['.repeat(rng.range(1, 100_000));
    case 2:
      return rng.pick(['null', '1', '"x"', '[]', '{}', 'true', '{"signal":1}']);
    case 3:
      return rng.bytes(rng.range(1, 256)).toString('utf8');
    default:
      return edgeString(rng);
  }
}
