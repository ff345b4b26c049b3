// Micro bench of envelope batching in the shard mesh (src/router/mesh.ts): two Mesh ends over a
// real MessageChannel, so every flush is one postMessage whose batch is structured-cloned. Cases
// differ only in envelopes per postMessage; a call ends when the far end has all of them. Both
// ends run on this thread, so the figure is the sender's clone plus the receiver's decode.

import { MessageChannel } from 'node:worker_threads';
import type { DeliverEnvelope, Envelope } from '../src/router/envelope.js';
import { Mesh } from '../src/router/mesh.js';
import { MESH_BATCH_ENVELOPES_MAX } from '../src/limits.js';
import { BENCH_OPTIONS, benchCasesRun, cliParse } from './lib/cli.js';
import type { BenchCase } from './lib/cli.js';

const ABOUT = `micro_mesh: cross-shard envelopes over a MessageChannel, by batch size.
Usage: node dist/bench/micro_mesh.js [options]`;

/** Envelopes per call: a multiple of every batch size below. */
const ENVELOPES_PER_CALL = 1000;
const BATCH_SIZES = [1, 10, 100, 1000] as const;

const options = cliParse(ABOUT, {
  ...BENCH_OPTIONS,
  batches: { help: 'envelopes per postMessage, comma-separated', default: BATCH_SIZES.join(','),
    arg: 'list' },
});

/** A 1:1 message owed to the receiver's shard, as effectsCommit sends it. */
function deliverOf(linkSeq: number): DeliverEnvelope {
  return {
    type: 'Deliver', source: 0, linkSeq,
    effects: [{
      kind: 'append', exceptSessionId: 7, exceptShard: 0, receivers: ['u1a2b3c'],
      message: {
        uid: 7_300_000_000_000_000_000n + BigInt(linkSeq), from: 'u9z8y7x', fromDevice: 'bench-1',
        conversationType: 0, target: 'u1a2b3c', line: 0, timestamp: Date.now(),
        content: { type: 1, searchableContent: 'x'.repeat(64) },
      },
    }],
  };
}

let received = 0;
let wanted = 0;
let arrived: () => void = () => undefined;
const channel = new MessageChannel();
const sender = new Mesh(0, () => undefined);
const receiver = new Mesh(1, (_envelope: Envelope) => {
  if (++received === wanted) arrived();
});
sender.attach(1, channel.port1);
receiver.attach(0, channel.port2);

const envelopes = Array.from({ length: ENVELOPES_PER_CALL }, (_, i) => deliverOf(i));

function batchCase(batch: number): BenchCase {
  return {
    name: `Deliver envelopes, ${batch} per postMessage`,
    fn: () => {
      const all = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      received = 0;
      wanted = ENVELOPES_PER_CALL;
      for (let i = 0; i < ENVELOPES_PER_CALL; i++) {
        sender.send(1, envelopes[i]!);
        if ((i + 1) % batch === 0) sender.flush();
      }
      return all;
    },
    opsPerCall: ENVELOPES_PER_CALL,
  };
}

const batches = options.batches.split(',').map((part) => Number(part.trim()));
for (const batch of batches) {
  if (!Number.isInteger(batch) || batch < 1 || batch > MESH_BATCH_ENVELOPES_MAX ||
    ENVELOPES_PER_CALL % batch !== 0) {
    process.stderr.write(`--batches: each must divide ${ENVELOPES_PER_CALL} and be ≤ ` +
      `${MESH_BATCH_ENVELOPES_MAX}\n`);
    process.exit(2);
  }
}
try {
  await benchCasesRun('micro_mesh', batches.map(batchCase), options);
} finally {
  sender.close();
  receiver.close();
}
