// The short version of scripts/kill_cycles.ts (the long one runs ≥ 20 cycles): kill -9 at
// random moments of send bursts across both shards; nothing acked is lost, duplicated or
// reordered.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { killCycles } from '../scripts/lib/kill_cycles.js';

it('kill -9 chaos, 3 cycles: no acked message lost, duplicated or reordered', async () => {
  const seed = Number(process.env['MAGPIE_CHAOS_SEED'] ?? Date.now() % 100_000);
  const report = await killCycles({
    cycles: 3,
    users: 4,
    inFlight: 8,
    killAfterMsMin: 100,
    killAfterMsMax: 1_200,
    seed,
  });
  assert.deepEqual(report.failures, [], `seed ${seed}`);
  assert.ok(report.acked > 0);
});
