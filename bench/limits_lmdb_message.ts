// The storage limit of a 1:1 message as Magpie stores one: how many messages per second LMDB
// takes, and how much CPU each costs, when each makes the puts the server makes for it (counted
// per table on a 1:1 closed loop, 2026-12-05): two message-log appends (the sender's and the
// receiver's copy, always-increasing keys), one dedupe record keyed by the sender's device and
// client message id, and three index puts per copy ([owner, seq] → log key, [owner,
// conversation, uid] → seq, [owner, uid] → seq), written back owner by owner once the owner's
// copies have waited TIMELINE_WRITEBACK_MS. One thread, synchronous fsync'd transactions of
// --batch messages. No frames, no actors: what the storage alone allows, so the server's CPU per
// message can be read against it.

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { open } from 'lmdb';
import type { Database, RootDatabase } from 'lmdb';
import { cliFail, cliParse } from './lib/cli.js';
import { benchEnv, benchEnvText } from './lib/env.js';
import type { BenchEnv } from './lib/env.js';
import type { LatencySummary } from './lib/histogram.js';
import { otherCpuPercent } from './lib/proc_stat.js';
import { cpuUsPer, progress, rateText, resultsWrite } from './lib/results.js';
import { syncCommitsMeasure } from './lib/sync_commits.js';
import { STORED_MESSAGE_SAMPLE } from './lib/stored_message_sample.js';
import { STORE_VALUE_OPTIONS } from '../src/store/shard_store.js';
import {
  TIMELINE_WRITEBACK_ENTRIES_MAX,
  TIMELINE_WRITEBACK_ENTRIES_MIN,
  TIMELINE_WRITEBACK_MS,
} from '../src/limits.js';

const BENCH = 'limits_lmdb_message';
const ABOUT = `${BENCH}: LMDB puts of 1:1 messages as Magpie makes them (log, dedupe, indexes).
Usage: node dist/bench/${BENCH}.js [options]`;

const DURATION_MS_MAX = 600_000;
const USERS_MAX = 1_000_000;
const BATCH_MAX = 10_000;
/** Puts per message: 2 log appends, 1 dedupe record, 2 × 3 index puts. */
export const PUTS_PER_MESSAGE = 9;
const MAP_BYTES_MAX = 16 * 1024 * 1024 * 1024;

const options = cliParse(ABOUT, {
  time: { help: 'measuring time per case', default: 3_000, arg: 'ms' },
  warmup: { help: 'warm-up time per case', default: 500, arg: 'ms' },
  users: { help: 'users the messages are spread over, comma-separated, one case each',
    default: '100,10000', arg: 'list' },
  batch: { help: 'messages per transaction (the 1:1 closed loop commits ~100 per shard)',
    default: 100 },
});

export interface LmdbMessageResult {
  readonly bench: typeof BENCH;
  readonly case: string;
  readonly users: number;
  readonly batch: number;
  readonly msgsPerSec: number;
  readonly putsPerSec: number;
  readonly commit: LatencySummary;
  readonly windowMs: number;
  /** This process's CPU in the window (100 = one core), and per message. */
  readonly cpuPercent: number;
  readonly cpuUsPerMsg: number;
  /** Kernel share of that CPU (page writes, fsync), %. */
  readonly systemSharePercent: number;
  readonly boxCpuPercent: number | null;
  readonly otherCpuPercent: number | null;
  readonly config: typeof options;
  readonly at: string;
  readonly env: BenchEnv;
}

interface Tables {
  readonly env: RootDatabase;
  readonly log: Database<unknown, number>;
  readonly dedupe: Database<unknown, [string, string, string]>;
  readonly timeline: Database<number, [string, number]>;
  readonly conversations: Database<number, [string, string, string]>;
  readonly seqs: Database<number, [string, string]>;
}

/** A copy filed for one owner, waiting for its index puts. */
interface Filed {
  readonly owner: string;
  readonly seq: number;
  readonly logKey: number;
  readonly conversation: string;
  readonly hex: string;
}

function tablesOpen(dir: string): Tables {
  const env = open({ path: dir, overlappingSync: false, mapSize: MAP_BYTES_MAX,
    ...STORE_VALUE_OPTIONS });
  return {
    env,
    log: env.openDB({ name: 'timeline_log' }),
    dedupe: env.openDB({ name: 'dedupe' }),
    timeline: env.openDB({ name: 'timeline' }),
    conversations: env.openDB({ name: 'conversations' }),
    seqs: env.openDB({ name: 'message_seqs' }),
  };
}

/** Messages between random pairs of `users`; each call fills one transaction. Copies are held
 * and written back as the server's message log does (src/store/timeline_log.ts): owners whose
 * oldest held copy waited TIMELINE_WRITEBACK_MS, whole owners, oldest first, about twice what
 * the previous transaction appended. */
function messageWriter(tables: Tables, users: number, batch: number): () => void {
  const uids = Array.from({ length: users }, (_, i) => `1wli${(1e7 + i).toString(36)}`);
  const heads = new Float64Array(users);
  let logKey = 1;
  let uid = 250_802_723_841_118_208n;
  const held = new Map<string, { readonly sinceMs: number; readonly copies: Filed[] }>();
  const file = (owner: number, peer: number, hex: string, message: object): void => {
    const seq = ++heads[owner]!;
    const key = logKey++;
    tables.log.put(key, { owner: uids[owner]!, seq, entry: { kind: 'message', message } });
    const conversation = `0:${uids[peer]!}:0`;
    const filed = { owner: uids[owner]!, seq, logKey: key, conversation, hex };
    const copies = held.get(filed.owner)?.copies;
    if (copies === undefined) {
      held.set(filed.owner, { sinceMs: performance.now(), copies: [filed] });
    } else {
      copies.push(filed);
    }
  };
  const writeBack = (budget: number): void => {
    const now = performance.now();
    let written = 0;
    for (const [owner, { sinceMs, copies }] of held) {
      if (written >= budget || now - sinceMs < TIMELINE_WRITEBACK_MS) return;
      for (const filed of copies) {
        tables.timeline.put([owner, filed.seq], filed.logKey);
        tables.conversations.put([owner, filed.conversation, filed.hex], filed.seq);
        tables.seqs.put([owner, filed.hex], filed.seq);
      }
      written += copies.length;
      held.delete(owner);
    }
  };
  return () => {
    writeBack(Math.min(TIMELINE_WRITEBACK_ENTRIES_MAX, TIMELINE_WRITEBACK_ENTRIES_MIN + 4 * batch));
    for (let i = 0; i < batch; i++) {
      const from = Math.floor(Math.random() * users);
      const to = (from + 1 + Math.floor(Math.random() * (users - 1))) % users;
      uid += 1n;
      const hex = uid.toString(16).padStart(16, '0');
      const clientMessageId = randomUUID();
      const message = { ...STORED_MESSAGE_SAMPLE, uid, from: uids[from]!, target: uids[to]!,
        clientMessageId, timestamp: Date.now() };
      tables.dedupe.put([uids[from]!, 'device-1', clientMessageId],
        { messageUid: uid, timestamp: message.timestamp, atMs: message.timestamp });
      file(from, to, hex, message);
      file(to, from, hex, message);
    }
  };
}

function caseRun(users: number): LmdbMessageResult {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-bench-lmdb-msg-'));
  const tables = tablesOpen(dir);
  const write = messageWriter(tables, users, options.batch);
  const name = `1:1 message puts, ${users} users ×${options.batch}/txn`;
  try {
    const measured = syncCommitsMeasure({ bench: BENCH, label: name, unit: 'msgs', env: tables.env,
      transaction: write, unitsPerTxn: options.batch, warmupMs: options.warmup,
      timeMs: options.time });
    const { cpuPercent, boxCpuPercent, unitsPerSec: msgsPerSec } = measured;
    return {
      bench: BENCH, case: name, users, batch: options.batch, msgsPerSec,
      putsPerSec: msgsPerSec * PUTS_PER_MESSAGE, commit: measured.commit,
      windowMs: measured.windowMs, cpuPercent, cpuUsPerMsg: cpuUsPer(cpuPercent, msgsPerSec),
      systemSharePercent: measured.systemSharePercent,
      boxCpuPercent, otherCpuPercent: otherCpuPercent(boxCpuPercent, cpuPercent),
      config: options, at: new Date().toISOString(), env: benchEnv(),
    };
  } finally {
    tables.env.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  const users = options.users.split(',').map((part) => Number(part.trim()));
  const bounded = (value: number, min: number, max: number): boolean =>
    Number.isInteger(value) && value >= min && value <= max;
  if (users.some((count) => !bounded(count, 2, USERS_MAX)) ||
    !bounded(options.time, 1, DURATION_MS_MAX) || !bounded(options.warmup, 0, DURATION_MS_MAX) ||
    !bounded(options.batch, 1, BATCH_MAX)) {
    cliFail(`--users each 2..${USERS_MAX}, --time 1..${DURATION_MS_MAX} ms, ` +
      `--warmup ≤ ${DURATION_MS_MAX} ms, --batch 1..${BATCH_MAX}`);
  }
  process.stdout.write(`# ${BENCH}: ${benchEnvText()}\n`);
  const results: LmdbMessageResult[] = [];
  for (const count of users) {
    const result = caseRun(count);
    results.push(result);
    process.stdout.write(`${BENCH}  ${result.case}: ${rateText(result.msgsPerSec)} msgs/s ` +
      `(${rateText(result.putsPerSec)} puts/s), ${result.cpuUsPerMsg} µs CPU/msg ` +
      `(${result.systemSharePercent}% kernel) | commit p50 ` +
      `${result.commit.p50Ms} ms p99 ${result.commit.p99Ms} ms | cpu ${result.cpuPercent}%, box ` +
      `${result.boxCpuPercent ?? 'n/a'}% (other ${result.otherCpuPercent ?? 'n/a'}%)\n`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  progress(BENCH, `wrote ${resultsWrite(BENCH, results)}`);
}

main();
