// The outbox's retry backs off: a destination shard that is only slow (it never confirms here)
// gets an unconfirmed delivery again after OUTBOX_RETRY_MS, then after twice that, not every
// OUTBOX_RETRY_MS — under an overload the resends were most of what the slow shard did. Real
// store, real Mesh; the destination is the raw other end of its MessagePort.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { OUTBOX_RETRY_MS } from '../src/limits.js';
import type { Effect } from '../src/router/effects.js';
import type { Envelope } from '../src/router/envelope.js';
import { Mesh } from '../src/router/mesh.js';
import { Outbox } from '../src/router/outbox.js';
import { shardStoreClose, shardStoreOpen } from '../src/store/shard_store.js';

const DESTINATION = 1;
/** Long enough for a first resend and a second one after the doubled wait (and a third, had the
 * wait not doubled). */
const WATCH_MS = OUTBOX_RETRY_MS * 5;

it('outbox: resends to an unconfirming shard come after a doubling wait', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-outbox-'));
  const store = shardStoreOpen({ path: dir, mapBytes: 64 * 1024 * 1024 });
  const channel = new MessageChannel();
  try {
    const mesh = new Mesh(0, () => undefined);
    mesh.attach(DESTINATION, channel.port1);
    const resentAtMs: number[] = [];
    const startMs = Date.now();
    channel.port2.on('message', (batch: Envelope[]) => {
      for (const envelope of batch) {
        if (envelope.type === 'Deliver' && envelope.resent === true) {
          resentAtMs.push(Date.now() - startMs);
        }
      }
    });
    const outbox = new Outbox(0, store, mesh, (write) => store.env.transactionSync(write));
    outbox.load();
    const effects: Effect[] = [{
      kind: 'state', owner: 'u1',
      op: { feature: 'receipts', kind: 'receiptSet', line: 0, reader: 'u2', read: true,
        messageUid: 1n, atMs: 0 },
    }];
    const { envelope, write } = outbox.reserve(DESTINATION, effects, 0);
    assert.ok(write !== undefined);
    store.env.transactionSync(write);
    outbox.committed(DESTINATION, envelope);
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
    outbox.close();
    assert.ok(resentAtMs.length >= 2, `resent at ${resentAtMs.join(', ')} ms`);
    assert.ok(resentAtMs.length <= 3, `resent at ${resentAtMs.join(', ')} ms: no back-off`);
    const firstGap = resentAtMs[1]! - resentAtMs[0]!;
    assert.ok(firstGap >= OUTBOX_RETRY_MS * 1.5,
      `second resend ${firstGap} ms after the first (resent at ${resentAtMs.join(', ')} ms)`);
  } finally {
    channel.port1.close();
    channel.port2.close();
    await shardStoreClose(store);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
