// Dev tool: what the server's V8 heap holds per idle authenticated connection, by constructor.
// Starts the real server (--expose-gc, heap snapshots on every dev-mode GC), logs users in,
// snapshots the heaps with no connection, after N WebSocket and after N more TCP connections,
// and prints the per-connection growth of each constructor's self size.
// Usage: node dist/scripts/heap_per_connection.js [connections per transport, default 3000]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchUsersLogin } from '../bench/lib/chat_setup.js';
import { NativeLink } from '../bench/lib/native_link.js';
import type { LinkTransport } from '../bench/lib/native_link.js';
import { heapCensus, type Census } from './lib/heap_census.js';
import { serverStart } from './lib/server_process.js';
import type { LoginResult } from '../src/client/index.js';

const CONNECT_TIMEOUT_MS = 20_000;
const CONNECTS_IN_FLIGHT = 64;
/** Rows of the table printed per step. */
const ROWS_SHOWN = 25;

const perTransport = Number(process.argv[2] ?? 3000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-heap-'));
const server = await serverStart({ shards: 2, nodeArgs: ['--expose-gc'],
  env: { MAGPIE_HEAP_SNAPSHOT_DIR: dir } });
const links: NativeLink[] = [];

async function connectAll(users: readonly LoginResult[], transport: LinkTransport,
  offset: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < users.length) {
      const index = next++;
      const user = users[index]!;
      const port = transport === 'ws' ? user.endpoints.wsPort : user.endpoints.tcpPort;
      const link = await NativeLink.open(transport, '127.0.0.1', port, CONNECT_TIMEOUT_MS);
      await link.connect(user.userId, user.token, `heap-${offset + index}`, CONNECT_TIMEOUT_MS);
      links.push(link);
    }
  };
  await Promise.all(Array.from({ length: CONNECTS_IN_FLIGHT }, worker));
}

/** GC + one snapshot per thread; the census of all shard threads together. */
async function snapshot(): Promise<Census> {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const before = new Set(fs.readdirSync(dir));
  const answer = await fetch(`${server.httpBase}/v1/admin/gc`, { method: 'POST' });
  if (((await answer.json()) as { code?: number }).code !== 0) throw new Error('gc refused');
  const files = fs.readdirSync(dir).filter((f) => !before.has(f) && !f.startsWith('thread0-'));
  const census: Census = new Map();
  for (const file of files) {
    for (const [key, row] of heapCensus(path.join(dir, file))) {
      const into = census.get(key) ?? { count: 0, bytes: 0 };
      into.count += row.count;
      into.bytes += row.bytes;
      census.set(key, into);
    }
    if (process.env["HEAP_KEEP"] === undefined) fs.rmSync(path.join(dir, file));
  }
  return census;
}

function report(title: string, from: Census, to: Census, connections: number): void {
  const rows = [...new Set([...from.keys(), ...to.keys()])].map((key) => {
    const a = from.get(key) ?? { count: 0, bytes: 0 };
    const b = to.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: (b.count - a.count) / connections,
      bytes: (b.bytes - a.bytes) / connections };
  }).sort((x, y) => y.bytes - x.bytes);
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  process.stdout.write(`\n## ${title}: ${total.toFixed(0)} B of heap per connection\n`);
  for (const row of rows.slice(0, ROWS_SHOWN)) {
    const bytes = row.bytes.toFixed(1).padStart(8);
    process.stdout.write(`${bytes} B ${row.count.toFixed(2).padStart(6)} × ${row.key}\n`);
  }
}

try {
  const users = await benchUsersLogin(server.httpBase, 2 * perTransport,
    (i) => String(13_800_000_000 + i), (i) => `heap-${i}`);
  const base = await snapshot();
  await connectAll(users.slice(0, perTransport), 'ws', 0);
  const ws = await snapshot();
  await connectAll(users.slice(perTransport), 'tcp', perTransport);
  const tcp = await snapshot();
  report(`${perTransport} WebSocket connections`, base, ws, perTransport);
  report(`${perTransport} TCP connections`, ws, tcp, perTransport);
} finally {
  for (const link of links) link.close();
  await server.stop();
  server.cleanup();
  if (process.env["HEAP_KEEP"] === undefined) fs.rmSync(dir, { recursive: true, force: true });
  else process.stdout.write(`snapshots kept in ${dir}\n`);
}
