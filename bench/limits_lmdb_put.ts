// The storage limit: durable LMDB puts per second on this box (lmdb-js, overlappingSync off,
// so a commit returns after fsync, as the server's acks require). Puts go in synchronous
// transactions of 100 or 1000, with always-increasing keys (a log) or with per-user keys
// [uid, seq] for random users (timelines). Each case writes a fresh environment in the temp dir.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from 'lmdb';
import { cliParse } from './lib/cli.js';
import { benchEnv, benchEnvText } from './lib/env.js';
import type { BenchEnv } from './lib/env.js';
import type { LatencySummary } from './lib/histogram.js';
import { otherCpuPercent } from './lib/proc_stat.js';
import { cpuUsPer, rateText, resultsWrite } from './lib/results.js';
import { syncCommitsMeasure } from './lib/sync_commits.js';
import { STORED_MESSAGE_SAMPLE } from './lib/stored_message_sample.js';

const BENCH = 'limits_lmdb_put';
const ABOUT = `${BENCH}: durable LMDB batched puts, increasing keys and random per-user keys.
Usage: node dist/bench/${BENCH}.js [options]`;

const DURATION_MS_MAX = 600_000;
const USERS_MAX = 10_000_000;
/** Largest batch: the server's COMMIT_OPS_MAX is 20,000. */
const BATCH_PUTS_MAX = 100_000;
/** The map grows as needed; this only bounds a runaway case. */
const MAP_BYTES_MAX = 16 * 1024 * 1024 * 1024;

const options = cliParse(ABOUT, {
  time: { help: 'measuring time per case', default: 3_000, arg: 'ms' },
  warmup: { help: 'warm-up time per case', default: 500, arg: 'ms' },
  batches: { help: 'puts per transaction, comma-separated', default: '100,1000', arg: 'list' },
  users: { help: 'users the per-user keys are spread over', default: 10_000 },
  filter: { help: 'run only cases whose name contains this text', default: '', arg: 'text' },
});

type KeyKind = 'increasing' | 'random-user';

export interface LmdbPutResult {
  readonly bench: typeof BENCH;
  readonly case: string;
  readonly keys: KeyKind;
  readonly batch: number;
  readonly putsPerSec: number;
  readonly puts: number;
  readonly commit: LatencySummary;
  readonly valueBytes: number;
  readonly windowMs: number;
  /** This process's CPU in the window (100 = one core), and per put. */
  readonly cpuPercent: number;
  readonly cpuUsPerPut: number;
  /** The whole box's busy CPU in the window, and the part other processes used. */
  readonly boxCpuPercent: number | null;
  readonly otherCpuPercent: number | null;
  readonly at: string;
  readonly env: BenchEnv;
}

const VALUE = STORED_MESSAGE_SAMPLE;

type KeyNext = () => number | [string, number];

function keysIncreasing(): KeyNext {
  let next = 0;
  return () => next++;
}

function keysRandomUser(users: number): KeyNext {
  const uids = Array.from({ length: users }, (_, i) => `1wli${(1e7 + i).toString(36)}`);
  const seqs = new Float64Array(users);
  return () => {
    const user = Math.floor(Math.random() * users);
    seqs[user]! += 1;
    return [uids[user]!, seqs[user]!];
  };
}

function caseRun(keys: KeyKind, batch: number): LmdbPutResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-bench-lmdb-'));
  const env = open({ path: dir, overlappingSync: false, mapSize: MAP_BYTES_MAX });
  const db = env.openDB<typeof VALUE, number | [string, number]>({ name: 'puts' });
  const keyNext = keys === 'increasing' ? keysIncreasing() : keysRandomUser(options.users);
  let lastKey: number | [string, number] = 0;
  const transaction = (): void => {
    for (let i = 0; i < batch; i++) {
      lastKey = keyNext();
      db.putSync(lastKey, VALUE);
    }
  };
  try {
    const measured = syncCommitsMeasure({ bench: BENCH, label: `${keys} ×${batch}`, unit: 'puts',
      env, transaction, unitsPerTxn: batch, warmupMs: options.warmup, timeMs: options.time });
    const { cpuPercent, boxCpuPercent, unitsPerSec: putsPerSec } = measured;
    return {
      bench: BENCH, case: `${keys} ×${batch}/txn`, keys, batch, putsPerSec, puts: measured.units,
      cpuUsPerPut: cpuUsPer(cpuPercent, putsPerSec),
      commit: measured.commit, valueBytes: db.getBinary(lastKey)?.length ?? 0,
      windowMs: measured.windowMs, cpuPercent, boxCpuPercent,
      otherCpuPercent: otherCpuPercent(boxCpuPercent, cpuPercent),
      at: new Date().toISOString(), env: benchEnv(),
    };
  } finally {
    env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function batchesParse(text: string): number[] {
  const batches = text.split(',').map((part) => Number(part.trim()));
  for (const batch of batches) {
    if (!Number.isInteger(batch) || batch < 1 || batch > BATCH_PUTS_MAX) {
      process.stderr.write(`--batches: each must be an integer in 1..${BATCH_PUTS_MAX}\n`);
      process.exit(2);
    }
  }
  return batches;
}

function main(): void {
  const batches = batchesParse(options.batches);
  const bounded = (value: number, max: number): boolean => Number.isInteger(value) && value >= 0 &&
    value <= max;
  if (!bounded(options.time, DURATION_MS_MAX) || !bounded(options.warmup, DURATION_MS_MAX) ||
    !bounded(options.users, USERS_MAX) || options.users < 1) {
    process.stderr.write(`--time/--warmup ≤ ${DURATION_MS_MAX} ms, --users 1..${USERS_MAX}\n`);
    process.exit(2);
  }
  process.stdout.write(`# ${BENCH}: ${benchEnvText()}\n`);
  const results: LmdbPutResult[] = [];
  for (const keys of ['increasing', 'random-user'] as const) {
    for (const batch of batches) {
      if (!`${keys} ×${batch}/txn`.includes(options.filter)) continue;
      const result = caseRun(keys, batch);
      results.push(result);
      const c = result.commit;
      process.stdout.write(`${BENCH}  ${result.case.padEnd(24)} ${rateText(result.putsPerSec)} ` +
        `puts/s | commit p50 ${c.p50Ms} ms p99 ${c.p99Ms} ms (${result.valueBytes} B values) | ` +
        `cpu ${result.cpuPercent}%, box ${result.boxCpuPercent ?? 'n/a'}% ` +
        `(other ${result.otherCpuPercent ?? 'n/a'}%)\n`);
      process.stdout.write(`${JSON.stringify(result)}\n`);
    }
  }
  process.stderr.write(`[${BENCH}] wrote ${resultsWrite(BENCH, results)}\n`);
}

main();
