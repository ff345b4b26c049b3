// Thread entry of a shard: wires parentPort to a Shard and nothing else. On a bug the shard
// closes its uWS app first — a worker that ends holding uWS sockets aborts the whole process
// (DESIGN.md §3) — then exits non-zero so the supervisor restarts it.

import { parentPort, workerData } from 'node:worker_threads';
import type { FromShard, ShardBoot, ToShard } from '../src/router/control.js';
import { Shard } from '../src/shard/shard.js';

const port = parentPort;
if (port === null) throw new Error('shard_worker must run in a worker thread');
const boot = workerData as ShardBoot;
let dying = false;
/** errno values lmdb-js reports when a commit cannot be written. */
const EIO = 5;
const ENOSPC = 28;

function die(error: unknown): void {
  if (dying) return;
  dying = true;
  console.error(`shard ${boot.shardId}: fatal:`, error);
  try {
    shard.closeNow();
  } catch {
    // Already failing; the exit below is what matters.
  }
  setImmediate(() => process.exit(70));
}

const shard = new Shard(boot, (message: FromShard) => port.postMessage(message), die);
process.on('uncaughtException', die);
process.on('unhandledRejection', (reason: unknown) => {
  // lmdb-js rejects a second, internal promise when a commit fails for lack of space; the
  // waiting callers already got STORE_FULL (src/store/commit_queue.ts), so it is not a bug.
  const code = reason instanceof Error ? (reason as Error & { code?: unknown }).code : undefined;
  const storeWriteFailed =
    code === EIO || code === ENOSPC || (reason instanceof Error && 'commitError' in reason);
  if (reason instanceof Error && storeWriteFailed) {
    console.error(`shard ${boot.shardId}: commit failed: ${reason.message}`);
    return;
  }
  die(reason);
});

port.on('message', (message: ToShard) => {
  if (message.type === 'Drain') {
    void shard.drain().then(async () => {
      shard.closeNow();
      await shard.closeStore();
      port.postMessage({ type: 'Stopped' } satisfies FromShard);
      setImmediate(() => process.exit(0));
    });
    return;
  }
  shard.control(message);
});

shard.start().catch(die);
