// Micro benches of the inbox append (src/store/timelines.ts) on a temp LMDB environment, the way
// a shard does it: plan the append (next seq) and queue its write on the CommitQueue. 'queue' is
// the synchronous part a shard thread pays per message before the commit (the puts run later,
// inside the transaction); 'commit' is the whole cost until the fsynced commit resolves.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ErrorCode } from '../src/errors.js';
import { TIMELINE_WRITEBACK_MS } from '../src/limits.js';
import { CommitQueue } from '../src/store/commit_queue.js';
import type { StoredMessage } from '../src/store/records.js';
import { shardStoreClose, shardStoreOpen } from '../src/store/shard_store.js';
import { GroupReplicas } from '../src/store/group_replicas.js';
import { Timelines } from '../src/store/timelines.js';
import { BENCH_OPTIONS, benchCasesRun, cliParse } from './lib/cli.js';
import type { BenchCase } from './lib/cli.js';

const ABOUT = `micro_inbox: inbox timeline appends on a temp LMDB, queued and committed.
Usage: node dist/bench/micro_inbox.js [options]`;

/** Appends per call: about one commit window of a busy shard. */
const APPENDS_PER_CALL = 1000;
/** Receivers the appends are spread over (random per-user keys, as in the server). */
const USERS = 10_000;
const MAP_BYTES = 4 * 1024 * 1024 * 1024;

const options = cliParse(ABOUT, { ...BENCH_OPTIONS });

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-micro-inbox-'));
const store = shardStoreOpen({ path: dir, mapBytes: MAP_BYTES });
const queue = new CommitQueue(store.env, (error) => {
  throw error;
});
const timelines = new Timelines(store, new GroupReplicas(store), (write) => queue.addLazy(write),
  TIMELINE_WRITEBACK_MS);
queue.observe(timelines.rows.observer);
queue.observe(timelines.log.observer);

let nextUid = 1n;
function messageFor(from: string, to: string): StoredMessage {
  return {
    uid: nextUid++, from, fromDevice: 'bench', conversationType: 0, target: to, line: 0,
    timestamp: Date.now(), content: { type: 1, searchableContent: 'x'.repeat(64) },
  };
}

function userOf(index: number): string {
  return `u${index % USERS}`;
}

/** Queues APPENDS_PER_CALL appends; resolves when all of them are durable. */
function appendsQueue(): Promise<void> {
  let pending = APPENDS_PER_CALL;
  let failed: ErrorCode = ErrorCode.OK;
  let resolveAll: () => void = () => undefined;
  const all = new Promise<void>((resolve, reject) => {
    resolveAll = () => (failed === ErrorCode.OK ? resolve() : reject(new Error(`code ${failed}`)));
  });
  for (let i = 0; i < APPENDS_PER_CALL; i++) {
    const owner = userOf(Math.floor(Math.random() * USERS));
    const { write } = timelines.appendMessage(owner, messageFor(userOf(i + 1), owner));
    queue.add(write, (code) => {
      if (code !== ErrorCode.OK) failed = code;
      if (--pending === 0) resolveAll();
    });
  }
  return all;
}

let queued: Promise<void> = Promise.resolve();
const cases: BenchCase[] = [
  {
    name: `queue ${APPENDS_PER_CALL} appends (plan + CommitQueue.add)`,
    fn: () => {
      queued = appendsQueue();
    },
    afterEach: () => queued,
    // Each timed call is followed by an untimed commit ~30× longer: a tenth of the time keeps
    // the case within a few times the other's wall time.
    timeScale: 1 / 10,
    opsPerCall: APPENDS_PER_CALL,
  },
  {
    name: `commit ${APPENDS_PER_CALL} appends (queued until fsynced)`,
    fn: () => appendsQueue(),
    opsPerCall: APPENDS_PER_CALL,
  },
];

try {
  await benchCasesRun('micro_inbox', cases, options);
} finally {
  await queue.settle();
  await shardStoreClose(store);
  fs.rmSync(dir, { recursive: true, force: true });
}
