// Timeline heads are a bounded cache: past its bound the longest cached heads are
// dropped and read back from the tables, never one the tables cannot give back yet (appends in
// flight, entries held in the log) — a seq is never handed out twice. Real LMDB, real queue.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import { CommitQueue } from '../src/store/commit_queue.js';
import { GroupReplicas } from '../src/store/group_replicas.js';
import type { StoredMessage } from '../src/store/records.js';
import { shardStoreClose, shardStoreOpen, type ShardStore } from '../src/store/shard_store.js';
import { Timelines } from '../src/store/timelines.js';

const HEADS_MAX = 10;
const OWNERS = 40;

interface Opened {
  readonly store: ShardStore;
  readonly commits: CommitQueue;
  readonly timelines: Timelines;
}

async function withTimelines(writebackMs: number, run: (opened: Opened) => Promise<void>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-heads-'));
  const store = shardStoreOpen({ path: dir, mapBytes: 64 * 1024 * 1024 });
  try {
    const commits = new CommitQueue(store.env, (error) => assert.fail(String(error)));
    const timelines = new Timelines(store, new GroupReplicas(store),
      (write) => commits.addLazy(write), writebackMs, HEADS_MAX);
    commits.observe(timelines.rows.observer);
    commits.observe(timelines.log.observer);
    await run({ store, commits, timelines });
    await commits.settle();
  } finally {
    await shardStoreClose(store);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let uid = 1n;

/** One message for each of `owners`, committed together; returns the seqs given. */
async function appended({ commits, timelines }: Opened, owners: string[]): Promise<number[]> {
  const writes: (() => void)[] = [];
  const seqs: number[] = [];
  for (const owner of owners) {
    const message: StoredMessage = {
      uid: uid++, from: 'peer', fromDevice: 'd', conversationType: 0, target: owner, line: 0,
      timestamp: 0, content: { type: 1, searchableContent: 'x' },
    };
    const { seq, write } = timelines.appendMessage(owner, message);
    writes.push(write);
    seqs.push(seq);
  }
  const code = await new Promise((resolve) =>
    commits.add(() => writes.forEach((write) => write()), resolve, writes.length));
  assert.equal(code, ErrorCode.OK);
  owners.forEach((owner, i) => timelines.committed(owner, seqs[i]!));
  return seqs;
}

async function emptyCommit(commits: CommitQueue): Promise<void> {
  assert.equal(await new Promise((resolve) => commits.add(() => undefined, resolve)), ErrorCode.OK);
}

const owners = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `o${from + i}`);

it('timeline heads: past the bound the oldest are dropped and read back, seqs go on', async () => {
  await withTimelines(5, async (opened) => {
    const { commits, timelines } = opened;
    assert.deepEqual(await appended(opened, owners(0, OWNERS)), owners(0, OWNERS).map(() => 1));
    // Until written back, those heads exist only in memory: all kept.
    assert.equal(timelines.headsCached, OWNERS);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await emptyCommit(commits);
    await emptyCommit(commits);
    assert.equal(timelines.log.held, 0, 'written back');
    // Sweeps come every HEADS_MAX / 8 new heads (the last one found nothing to drop).
    await appended(opened, owners(OWNERS, Math.ceil(HEADS_MAX / 8) + 1));
    assert.ok(timelines.headsCached <= HEADS_MAX, `${timelines.headsCached} heads kept`);
    assert.equal(timelines.head('o0'), 1, 'a dropped head reads back from the table');
    assert.deepEqual(await appended(opened, ['o0', 'o1']), [2, 2], 'no seq handed out twice');
    assert.deepEqual(timelines.page('o0', 0, 100, 1 << 20).entries.map(({ seq }) => seq), [1, 2]);
  });
});

it('timeline heads: heads of users with entries held stay over the bound', async () => {
  await withTimelines(60_000, async (opened) => {
    const { timelines } = opened;
    await appended(opened, owners(0, OWNERS));
    await appended(opened, owners(OWNERS, OWNERS));
    assert.equal(timelines.headsCached, 2 * OWNERS, 'nothing the tables cannot give back');
    assert.deepEqual(await appended(opened, owners(0, OWNERS)), owners(0, OWNERS).map(() => 2));
  });
});

it('timeline heads: a head that is a gap stays until an entry is filed at the head', async () => {
  await withTimelines(5, async (opened) => {
    const { commits, timelines } = opened;
    await appended(opened, ['gap']);
    // A pointer whose replica message is not there: seq 2 is assigned and stays empty.
    const pointer = timelines.appendGroupRef('gap', 'no-such-group', 1);
    assert.equal(pointer.seq, 2);
    assert.equal(await new Promise((resolve) => commits.add(pointer.write, resolve)), ErrorCode.OK);
    timelines.committed('gap', pointer.seq);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await emptyCommit(commits);
    await emptyCommit(commits);
    await appended(opened, owners(0, OWNERS));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await emptyCommit(commits);
    await emptyCommit(commits);
    await appended(opened, owners(OWNERS, Math.ceil(HEADS_MAX / 8) + 1));
    assert.ok(timelines.headsCached <= HEADS_MAX + 1, `${timelines.headsCached} heads kept`);
    assert.deepEqual(await appended(opened, ['gap']), [3], 'the gap seq is not handed out again');
  });
});
