// The LMDB environment of one shard: the named databases and their key layout. A shard opens
// only its own environment (data/shard-<n>) and reads and writes only its partitions' users.
// Values are msgpack (lmdb-js default, 64-bit ids as bigint); keys are ordered-binary tuples.

import { open, type Database, type RootDatabase } from 'lmdb';
import type { StoredTimelineEntry } from './records.js';
import type { Effect } from '../router/effects.js';

export type UserKey = string;

export interface DeviceRecord {
  readonly secret: string;
  /** Tokens issued before this instant are refused (revocation and logout). */
  readonly validFromMs: number;
  readonly createdMs: number;
}

export interface DedupeRecord {
  readonly messageUid: bigint;
  readonly timestamp: number;
  readonly atMs: number;
}

export interface OutboxRecord {
  readonly effects: readonly Effect[];
}

export interface ShardStore {
  readonly env: RootDatabase;
  /** [uid, seq] → key of the entry in the timeline log (store/timeline_log.ts), or the entry
   * itself when written before the log: everything a user must see, in order. */
  readonly timeline: Database<StoredTimelineEntry | number, [UserKey, number]>;
  /** [uid, conversationKey, messageUidHex] → seq: a user's messages per conversation. */
  readonly conversations: Database<number, [UserKey, string, string]>;
  /** [uid, deviceId, clientMessageId] → first ack: retries are stored once. */
  readonly dedupe: Database<DedupeRecord, [UserKey, string, string]>;
  /** [destShard, linkSeq] → a delivery owed to another shard, until it confirms. */
  readonly outbox: Database<OutboxRecord, [number, number]>;
  /** [uid, deviceId] → device session. */
  readonly devices: Database<DeviceRecord, [UserKey, string]>;
  /** [uid] → ban record: CONNECT is refused while it exists. */
  readonly bans: Database<{ readonly atMs: number }, UserKey>;
  /** Small named values (id high-water mark, layout version). */
  readonly meta: Database<unknown, string>;
}

export interface ShardStoreOptions {
  readonly path: string;
  readonly mapBytes: number;
}

/**
 * Plain msgpack maps, not msgpackr records: without shared structures every value would carry
 * its record definitions, and packing them costs 2-3x a plain map (bench/micro_codec). Values
 * written as records by earlier versions still read the same. Named DBs inherit these from the
 * environment's options, not from `encoder` (and lmdb-js's typings do not list them). 64-bit
 * ids read back as bigint. Exported for the storage limit benches, which must write alike.
 */
export const STORE_VALUE_OPTIONS = {
  encoder: { int64AsType: 'bigint' },
  useRecords: false,
  mapsAsObjects: true,
} as const;

export function shardStoreOpen(options: ShardStoreOptions): ShardStore {
  const env = open({
    path: options.path,
    mapSize: options.mapBytes,
    // Acks wait for the commit promise; with overlapping sync that promise resolves before the
    // flush, so it is off: a resolved commit here means fsynced.
    overlappingSync: false,
    ...STORE_VALUE_OPTIONS,
    maxDbs: 64,
  });
  return {
    env,
    timeline: env.openDB({ name: 'timeline' }),
    conversations: env.openDB({ name: 'conversations' }),
    dedupe: env.openDB({ name: 'dedupe' }),
    outbox: env.openDB({ name: 'outbox' }),
    devices: env.openDB({ name: 'devices' }),
    bans: env.openDB({ name: 'bans' }),
    meta: env.openDB({ name: 'meta' }),
  };
}

export async function shardStoreClose(store: ShardStore): Promise<void> {
  await store.env.close();
}
