import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SNOWFLAKE_EPOCH_MS,
  Snowflake,
  snowflakeNode,
  snowflakeShard,
  snowflakeTime,
} from '../src/ids/snowflake.js';

const T0 = Date.UTC(2025, 5, 1, 12);

function clockAt(start: number): { now: () => number; set: (ms: number) => void } {
  let ms = start;
  return { now: () => ms, set: (value) => (ms = value) };
}

function assertIncreasing(ids: bigint[]): void {
  for (let i = 1; i < ids.length; i++) {
    assert.ok(ids[i]! > ids[i - 1]!, `id ${i} increases`);
  }
}

test('snowflake: the epoch is 2025-01-01T00:00:00Z', () => {
  assert.equal(SNOWFLAKE_EPOCH_MS, Date.parse('2025-01-01T00:00:00Z'));
});

test('snowflake: encodes time, node and shard in the documented bits', () => {
  const id = new Snowflake(42, 13, 0, () => T0).next();
  assert.equal(id, (BigInt(T0 - SNOWFLAKE_EPOCH_MS) << 22n) | (42n << 16n) | (13n << 12n));
  assert.equal(snowflakeTime(id), T0);
  assert.equal(snowflakeNode(id), 42);
  assert.equal(snowflakeShard(id), 13);
  assert.ok(id > 0n && id < 2n ** 63n);
});

test('snowflake: refuses node, shard or floor out of range (config bugs)', () => {
  assert.throws(() => new Snowflake(64, 0));
  assert.throws(() => new Snowflake(0, 16));
  assert.throws(() => new Snowflake(-1, 0));
  assert.throws(() => new Snowflake(0, 0, -5));
  assert.doesNotThrow(() => new Snowflake(63, 15));
});

test('snowflake: ids strictly increase when the clock steps back 10 s', () => {
  const clock = clockAt(T0);
  const gen = new Snowflake(1, 2, 0, clock.now);
  const ids: bigint[] = [];
  for (let i = 0; i < 100; i++) {
    clock.set(T0 + i);
    ids.push(gen.next());
  }
  clock.set(T0 - 10_000);
  for (let i = 0; i < 5000; i++) ids.push(gen.next());
  clock.set(T0 + 200);
  ids.push(gen.next());
  assertIncreasing(ids);
  assert.equal(snowflakeTime(ids[ids.length - 1]!), T0 + 200);
  assert.equal(gen.lastMs(), T0 + 200);
});

test('snowflake: 10k ids in one ms overflow the sequence into the next ms, never waiting', () => {
  const gen = new Snowflake(0, 0, 0, () => T0);
  const ids: bigint[] = [];
  for (let i = 0; i < 10_000; i++) ids.push(gen.next());
  assertIncreasing(ids);
  assert.equal(snowflakeTime(ids[4095]!), T0);
  assert.equal(snowflakeTime(ids[4096]!), T0 + 1);
  assert.equal(gen.lastMs(), T0 + 2);
});

test('snowflake: a restart with floorMs continues above the persisted high-water mark', () => {
  const clock = clockAt(T0);
  const first = new Snowflake(3, 4, 0, clock.now);
  let last = 0n;
  for (let i = 0; i < 3000; i++) last = first.next();
  clock.set(T0 - 60_000); // the restarted process has a clock behind the old one
  const second = new Snowflake(3, 4, first.lastMs(), clock.now);
  const next = second.next();
  assert.ok(next > last);
  assert.equal(snowflakeTime(next), T0 + 1);
});

test('snowflake: a clock before the epoch still yields increasing positive ids', () => {
  const gen = new Snowflake(0, 0, 0, () => 1000);
  const ids = [gen.next(), gen.next()];
  assertIncreasing(ids);
  assert.equal(snowflakeTime(ids[0]!), SNOWFLAKE_EPOCH_MS);
});

test('snowflake: ids are unique across the 16 shards of a node at the same clock', () => {
  const seen = new Set<bigint>();
  for (let shard = 0; shard < 16; shard++) {
    const gen = new Snowflake(5, shard, 0, () => T0);
    for (let i = 0; i < 5000; i++) seen.add(gen.next());
  }
  assert.equal(seen.size, 16 * 5000);
});
