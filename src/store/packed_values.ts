// Values packed before their transaction starts. A transaction's writes run while LMDB's write
// thread waits for them, so packing there lengthens every commit cycle; packed when the write
// is planned, the work overlaps the previous commit's fsync, and a message filed for several
// users of a shard is packed once. The bytes are what lmdb-js's own encoder writes for these
// values (plain msgpack maps, VALUE_FORMAT: test/shard_store.test.ts compares them), so every
// read decodes them as usual.

import { asBinary, type Binary, type Database, type Key } from 'lmdb';
import { Packr } from 'msgpackr';
import { VALUE_FORMAT } from './shard_store.js';

const packr = new Packr({ ...VALUE_FORMAT });

/** `value` as the bytes a store put would write (a copy: msgpackr reuses its buffer). */
export function packedValue(value: unknown): Binary {
  return asBinary(packr.pack(value).slice());
}

/** Put bytes from packedValue; call inside a transaction's write. */
export function putPacked<K extends Key>(db: Database<unknown, K>, key: K, value: Binary): void {
  // lmdb-js takes a Binary wherever a value goes; its typings only know the decoded type.
  void (db as unknown as Database<Binary, K>).put(key, value);
}
