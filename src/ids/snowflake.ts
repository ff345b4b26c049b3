// 64-bit time-ordered ids (bigint): 41 bits of ms since SNOWFLAKE_EPOCH_MS, 6 bits node id,
// 4 bits shard id, 12 bits sequence; bit 63 stays 0, so ids are positive int64 and uint64 alike.
// Ids from one generator strictly increase, whatever the wall clock does: it never waits.

import { assert } from '../errors.js';

/** 2025-01-01T00:00:00Z, the project epoch. */
export const SNOWFLAKE_EPOCH_MS = Date.UTC(2025, 0, 1);
export const SNOWFLAKE_NODE_MAX = 63;
export const SNOWFLAKE_SHARD_MAX = 15;
const SEQUENCE_MAX = 0xfff;
const TIME_END = 2 ** 41;
const TIME_SHIFT = 22n;

/**
 * One id generator per (node, shard). When the clock steps back, it keeps issuing from the last
 * ms it used, taking the next sequence numbers; when a ms's 4096 sequence numbers run out it moves
 * to the next ms ahead of the clock. Either way the clock catches up later.
 */
export class Snowflake {
  /** node and shard bits, already in place. */
  private readonly low: number;
  private readonly now: () => number;
  /** Unix ms of the last id issued (or the floor before any). */
  private ms: number;
  private sequence: number;
  /** BigInt(ms − epoch) << 22, cached: converted once per ms, not once per id. */
  private high: bigint;

  /**
   * `floorMs` (unix ms, e.g. a persisted lastMs()) makes every id sort after any id issued up to
   * and including that ms by a previous run of this generator.
   */
  constructor(nodeId: number, shardId: number, floorMs = 0, now: () => number = Date.now) {
    assert(Number.isInteger(nodeId) && nodeId >= 0 && nodeId <= SNOWFLAKE_NODE_MAX, 'node id');
    assert(Number.isInteger(shardId) && shardId >= 0 && shardId <= SNOWFLAKE_SHARD_MAX, 'shard');
    assert(Number.isInteger(floorMs) && floorMs >= 0, 'floorMs is a unix ms');
    this.low = (nodeId << 16) | (shardId << 12);
    this.now = now;
    this.ms = floorMs;
    // As if the floor's ms were used up: the first id is after it even when the clock is not.
    this.sequence = SEQUENCE_MAX;
    this.high = 0n;
  }

  next(): bigint {
    // Whole ms: BigInt() refuses fractions, and a sub-ms clock would only waste sequence space.
    const now = Math.floor(this.now());
    if (now > this.ms) {
      this.msSet(now);
      this.sequence = 0;
    } else if (this.sequence < SEQUENCE_MAX) {
      this.sequence++;
    } else {
      this.msSet(this.ms + 1);
      this.sequence = 0;
    }
    return this.high | BigInt(this.low | this.sequence);
  }

  /** Unix ms of the last id issued: persist it, and pass it as floorMs after a restart. */
  lastMs(): number {
    return this.ms;
  }

  private msSet(ms: number): void {
    // A clock before the epoch (a badly set machine) issues ids at the epoch, in order.
    const time = Math.max(ms, SNOWFLAKE_EPOCH_MS) - SNOWFLAKE_EPOCH_MS;
    assert(time < TIME_END, 'snowflake time fits 41 bits (until 2094)');
    this.ms = Math.max(ms, SNOWFLAKE_EPOCH_MS);
    this.high = BigInt(time) << TIME_SHIFT;
  }
}

/** Unix ms at which the id was issued (logical: may run a little ahead of the clock). */
export function snowflakeTime(id: bigint): number {
  return Number(id >> TIME_SHIFT) + SNOWFLAKE_EPOCH_MS;
}

export function snowflakeNode(id: bigint): number {
  return Number((id >> 16n) & 0x3fn);
}

export function snowflakeShard(id: bigint): number {
  return Number((id >> 12n) & 0xfn);
}
