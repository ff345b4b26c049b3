// Micro benches of the snowflake id generator. Ids are made 1000 per call (a call is shorter
// than the timer's own cost otherwise); 'ref:' cases are the alternatives measured against.

import {
  SNOWFLAKE_EPOCH_MS,
  Snowflake,
  snowflakeShard,
  snowflakeTime,
} from '../src/ids/snowflake.js';
import { BENCH_OPTIONS, benchCasesRun, benchKeep, cliParse } from './lib/cli.js';
import type { BenchCase } from './lib/cli.js';

const ABOUT = `micro_snowflake: snowflake id generation and field extraction.
Usage: node dist/bench/micro_snowflake.js [options]`;

const IDS_PER_CALL = 1000;

function cases(): BenchCase[] {
  const live = new Snowflake(1, 2);
  const frozen = new Snowflake(1, 2, 0, () => SNOWFLAKE_EPOCH_MS + 1_000);
  const id = live.next();
  let naiveMs = 0;
  let naiveSequence = 0;
  const naive = (): bigint => {
    // The obvious form: two BigInt conversions, a shift and an or on every id.
    const now = Date.now();
    if (now > naiveMs) {
      naiveMs = now;
      naiveSequence = 0;
    } else {
      naiveSequence++;
    }
    const low = (1 << 16) | (2 << 12) | naiveSequence;
    return (BigInt(naiveMs - SNOWFLAKE_EPOCH_MS) << 22n) | BigInt(low);
  };
  const many = (make: () => bigint) => (): void => {
    let last = 0n;
    for (let i = 0; i < IDS_PER_CALL; i++) last = make();
    benchKeep(last);
  };
  return [
    { name: 'next(), Date.now clock', fn: many(() => live.next()), opsPerCall: IDS_PER_CALL },
    {
      name: 'next(), frozen clock (sequence overflow path)',
      fn: many(() => frozen.next()),
      opsPerCall: IDS_PER_CALL,
    },
    { name: 'ref: naive BigInt per id', fn: many(naive), opsPerCall: IDS_PER_CALL },
    {
      name: 'snowflakeTime + snowflakeShard',
      fn: () => {
        let sum = 0;
        for (let i = 0; i < IDS_PER_CALL; i++) sum += snowflakeTime(id) + snowflakeShard(id);
        benchKeep(sum);
      },
      opsPerCall: IDS_PER_CALL,
    },
  ];
}

const options = cliParse(ABOUT, { ...BENCH_OPTIONS });
await benchCasesRun('micro_snowflake', cases(), options);
