// Values for fuzzing decoders: a tree model that holds what a JS object cannot (duplicate keys,
// `__proto__` as a plain key, keys spelled with \u escapes, msgpack extensions), writers that
// turn a tree into msgpack bytes or JSON text exactly as modelled, and a seeded PRNG so that a
// fuzz run is reproducible from its seed. The property tests build trees with fast-check.

/** One key of a map node; `escaped` spells it with \u escapes in JSON (msgpack ignores it). */
export interface TreeEntry {
  readonly key: string;
  readonly escaped: boolean;
  readonly value: Tree;
}

export type Tree =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly Tree[]
  | { readonly map: readonly TreeEntry[] }
  | { readonly ext: number; readonly data: Uint8Array };

/** Keys that change prototypes or confuse `.constructor` readers, plus near misses. */
export const DANGEROUS_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '__proto_',
  'toString',
  'valueOf',
  'hasOwnProperty',
] as const;

const UINT64_END = 2n ** 64n;
const INT64_MIN = -(2n ** 63n);

/** A growable byte buffer for the msgpack writer. */
class ByteWriter {
  private bytes = Buffer.allocUnsafe(256);
  length = 0;

  private room(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + extra));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }

  byte(value: number): void {
    this.room(1);
    this.bytes[this.length++] = value & 0xff;
  }

  uint32(value: number): void {
    this.room(4);
    this.bytes.writeUInt32BE(value >>> 0, this.length);
    this.length += 4;
  }

  raw(data: Uint8Array): void {
    this.room(data.length);
    this.bytes.set(data, this.length);
    this.length += data.length;
  }

  float64(value: number): void {
    this.room(8);
    this.bytes.writeDoubleBE(value, this.length);
    this.length += 8;
  }

  bigint64(value: bigint, signed: boolean): void {
    this.room(8);
    if (signed) this.bytes.writeBigInt64BE(value, this.length);
    else this.bytes.writeBigUInt64BE(value, this.length);
    this.length += 8;
  }

  done(): Buffer {
    return Buffer.from(this.bytes.subarray(0, this.length));
  }
}

// Arrays have a `map` method and typed arrays too: test for them first.
function isMap(tree: Tree): tree is { readonly map: readonly TreeEntry[] } {
  return (
    typeof tree === 'object' &&
    tree !== null &&
    !Array.isArray(tree) &&
    !(tree instanceof Uint8Array) &&
    'map' in tree
  );
}

function isExt(tree: Tree): tree is { readonly ext: number; readonly data: Uint8Array } {
  return (
    typeof tree === 'object' &&
    tree !== null &&
    !Array.isArray(tree) &&
    !(tree instanceof Uint8Array) &&
    'ext' in tree
  );
}

function msgpackNumber(out: ByteWriter, value: number): void {
  if (Number.isInteger(value) && value >= 0 && value <= 0xffffffff) {
    out.byte(0xce);
    out.uint32(value);
  } else if (Number.isInteger(value) && value < 0 && value >= -0x80000000) {
    out.byte(0xd2);
    out.uint32(value);
  } else {
    out.byte(0xcb);
    out.float64(value);
  }
}

function msgpackString(out: ByteWriter, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  out.byte(0xdb);
  out.uint32(bytes.length);
  out.raw(bytes);
}

function msgpackWrite(out: ByteWriter, tree: Tree): void {
  if (tree === null) return out.byte(0xc0);
  switch (typeof tree) {
    case 'boolean':
      return out.byte(tree ? 0xc3 : 0xc2);
    case 'number':
      return msgpackNumber(out, tree);
    case 'bigint':
      if (tree >= 0n && tree < UINT64_END) {
        out.byte(0xcf);
        return out.bigint64(tree, false);
      }
      if (tree < 0n && tree >= INT64_MIN) {
        out.byte(0xd3);
        return out.bigint64(tree, true);
      }
      return msgpackNumber(out, Number(tree));
    case 'string':
      return msgpackString(out, tree);
    default:
      break;
  }
  if (tree instanceof Uint8Array) {
    out.byte(0xc6);
    out.uint32(tree.length);
    return out.raw(tree);
  }
  if (isExt(tree)) {
    out.byte(0xc9);
    out.uint32(tree.data.length);
    out.byte(tree.ext);
    return out.raw(tree.data);
  }
  if (isMap(tree)) {
    out.byte(0xdf);
    out.uint32(tree.map.length);
    for (const entry of tree.map) {
      msgpackString(out, entry.key);
      msgpackWrite(out, entry.value);
    }
    return;
  }
  out.byte(0xdd);
  out.uint32(tree.length);
  for (const item of tree) msgpackWrite(out, item);
}

/** msgpack bytes of a tree, with every map key, duplicate and extension written as modelled. */
export function msgpackOfTree(tree: Tree): Buffer {
  const out = new ByteWriter();
  msgpackWrite(out, tree);
  return out.done();
}

function jsonKey(entry: TreeEntry): string {
  if (!entry.escaped) return JSON.stringify(entry.key);
  let text = '"';
  for (let i = 0; i < entry.key.length; i++) {
    text += '\\u' + entry.key.charCodeAt(i).toString(16).padStart(4, '0');
  }
  return text + '"';
}

/** JSON text of a tree: binary becomes Base64, extensions and non-finite numbers null. */
export function jsonOfTree(tree: Tree): string {
  if (tree === null) return 'null';
  switch (typeof tree) {
    case 'boolean':
      return tree ? 'true' : 'false';
    case 'number':
      return Number.isFinite(tree) ? JSON.stringify(tree) : 'null';
    case 'bigint':
      return tree.toString();
    case 'string':
      return JSON.stringify(tree);
    default:
      break;
  }
  if (tree instanceof Uint8Array) return JSON.stringify(Buffer.from(tree).toString('base64'));
  if (isExt(tree)) return 'null';
  if (isMap(tree)) {
    return (
      '{' + tree.map.map((entry) => jsonKey(entry) + ':' + jsonOfTree(entry.value)).join(',') + '}'
    );
  }
  return '[' + tree.map((item) => jsonOfTree(item)).join(',') + ']';
}

/** True if `value`, at any depth, has a prototype-changing own key or a changed prototype. */
export function treeIsPolluted(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) return value.some((item) => treeIsPolluted(item));
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return true;
  for (const key of Reflect.ownKeys(value)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') return true;
    if (treeIsPolluted((value as Record<PropertyKey, unknown>)[key])) return true;
  }
  return false;
}

/**
 * A small seeded PRNG (splitmix32): fast, 32-bit state, good enough to pick fuzz cases. The
 * same seed gives the same sequence on every machine.
 */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uint32. */
  next(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.next() / 0x1_0000_0000) * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() / 0x1_0000_0000 < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('Rng.pick: empty list');
    return item;
  }

  bytes(length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i += 4) {
      const word = this.next();
      for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  }

  /**
   * A sub-generator (one per fuzz episode): episode n draws the same stream in every run with
   * the same seed, whatever the timing. What it aims at (free devices, learned group ids) may
   * still differ between runs, since that depends on which episodes finished first.
   */
  fork(): Rng {
    return new Rng(this.next());
  }
}
