// A short seeded fuzz of a real server (scripts/fuzz_lib.ts; the long run is scripts/fuzz.ts):
// random and mutated frames over TCP and WebSocket, signed-in garbage of every sub-signal, and
// liveness probes between them. FUZZ_SEED=<n> replays a run; the seed is printed.

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fuzzRun } from '../scripts/fuzz_lib.js';

const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
/** Units sent; small enough for the whole test (server start included) to stay under 60 s. */
const FRAMES = 20_000;

it('fuzz: 20k random and mutated frames leave the server up, well-formed and alive', async () => {
  process.stdout.write(`# fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays)\n`);
  const summary = await fuzzRun({ frames: FRAMES, seed: SEED, durationS: 40, probeEvery: 4_000 });
  process.stdout.write(`# fuzz: ${JSON.stringify(summary)}\n`);
  assert.deepEqual(summary.failures, [], `seed ${SEED}`);
  assert.ok(summary.ok);
  assert.ok(summary.stats.frames >= FRAMES, `${summary.stats.frames} units sent`);
  assert.ok(summary.probes.count >= 5 && summary.probes.failed === 0);
});
