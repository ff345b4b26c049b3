// The commit queue on a real LMDB store: writes queued together share one transaction, an idle
// store waits COMMIT_WINDOW_MS for company, and lazy cleanup writes ride in the next
// transaction (or get their own after COMMIT_LAZY_MS), never lost by settle().

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import { COMMIT_LAZY_MS, COMMIT_OPS_MAX } from '../src/limits.js';
import { CommitQueue } from '../src/store/commit_queue.js';
import { shardStoreClose, shardStoreOpen, type ShardStore } from '../src/store/shard_store.js';

async function withQueue(run: (store: ShardStore, commits: CommitQueue) => Promise<void>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-commits-'));
  const store = shardStoreOpen({ path: dir, mapBytes: 64 * 1024 * 1024 });
  try {
    await run(store, new CommitQueue(store.env, (error) => assert.fail(String(error))));
  } finally {
    await shardStoreClose(store);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function added(commits: CommitQueue, write: () => void): Promise<ErrorCode> {
  return new Promise((resolve) => commits.add(write, resolve));
}

it('commit queue: writes added in one turn share one durable transaction', async () => {
  await withQueue(async (store, commits) => {
    const all = [1, 2, 3].map((i) => added(commits, () => store.meta.put(`k${i}`, i)));
    assert.equal(commits.pendingCommits, 0, 'nothing starts before the window');
    assert.deepEqual(await Promise.all(all), [ErrorCode.OK, ErrorCode.OK, ErrorCode.OK]);
    assert.deepEqual(
      [1, 2, 3].map((i) => store.meta.get(`k${i}`)),
      [1, 2, 3],
    );
  });
});

it('commit queue: a lazy write rides in the next transaction', async () => {
  await withQueue(async (store, commits) => {
    commits.addLazy(() => store.meta.put('lazy', 1));
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(store.meta.get('lazy'), undefined, 'a lazy write alone waits');
    assert.equal(await added(commits, () => store.meta.put('eager', 2)), ErrorCode.OK);
    assert.equal(store.meta.get('lazy'), 1);
  });
});

it('commit queue: a lone lazy write commits after COMMIT_LAZY_MS; settle() too', async () => {
  await withQueue(async (store, commits) => {
    commits.addLazy(() => store.meta.put('alone', 1));
    await new Promise((resolve) => setTimeout(resolve, COMMIT_LAZY_MS + 100));
    assert.equal(store.meta.get('alone'), 1);
    commits.addLazy(() => store.meta.put('settled', 1));
    await commits.settle();
    assert.equal(store.meta.get('settled'), 1);
  });
});

it('commit queue: writes that come during a transaction\'s fsync share the next one', async () => {
  await withQueue(async (store, commits) => {
    let transactions = 0;
    commits.observe(() => {
      transactions++;
      return () => undefined;
    });
    // A first transaction big enough that its fsync outlasts the turns below.
    const big = Buffer.alloc(1024, 1);
    const first = added(commits, () => {
      for (let i = 0; i < 20_000; i++) store.meta.put(`big${i}`, big);
    });
    while (transactions === 0) await new Promise((resolve) => setImmediate(resolve));
    const later: Promise<ErrorCode>[] = [];
    for (let i = 0; i < 5; i++) {
      later.push(added(commits, () => store.meta.put(`later${i}`, i)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(await first, ErrorCode.OK);
    assert.deepEqual(await Promise.all(later), later.map(() => ErrorCode.OK));
    assert.equal(transactions, 2, 'the five later writes rode in one transaction');
    assert.equal(store.meta.get('later4'), 4);
  });
});

it('commit queue: a transaction takes whole generations up to COMMIT_OPS_MAX weight', async () => {
  await withQueue(async (store, commits) => {
    const transactions: string[][] = [];
    commits.observe(() => {
      transactions.push([]);
      return () => undefined;
    });
    const put = (name: string) => (): void => {
      transactions[transactions.length - 1]!.push(name);
      store.meta.put(name, 1);
    };
    const weighted = (name: string, weight: number): Promise<ErrorCode> =>
      new Promise((resolve) => commits.add(put(name), resolve, weight));
    const first = commits.generation;
    const all = [weighted('a', COMMIT_OPS_MAX - 1), weighted('b', 1)];
    assert.equal(commits.generation, first + 1, 'a full generation closes');
    all.push(weighted('c', 1), weighted('d', COMMIT_OPS_MAX), weighted('e', 1));
    assert.deepEqual(await Promise.all(all), all.map(() => ErrorCode.OK));
    assert.deepEqual(transactions, [['a', 'b'], ['c', 'd'], ['e']],
      'each transaction holds whole generations; one over the weight goes alone');
  });
});
