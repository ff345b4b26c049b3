// The bench environment's stale-build check on a temporary tree: a bench must say when the code
// it runs (dist/) is older than the sources, as after a checkout or revert without a build.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { buildStale } from '../bench/lib/env.js';

function file(root: string, relative: string, mtimeS: number): void {
  const full = path.join(root, relative);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, '');
  fs.utimesSync(full, mtimeS, mtimeS);
}

it('bench env: a build is stale when a source is newer than its output or has none', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-stale-'));
  try {
    file(root, 'src/store/a.ts', 1_000);
    file(root, 'dist/src/store/a.js', 2_000);
    file(root, 'bench/lib/types.d.ts', 3_000);
    assert.equal(buildStale(root), false, 'outputs newer than sources; .d.ts has no output');
    file(root, 'src/store/a.ts', 3_000);
    assert.equal(buildStale(root), true, 'a source edited after the build');
    file(root, 'dist/src/store/a.js', 4_000);
    file(root, 'scripts/lib/b.ts', 1_000);
    assert.equal(buildStale(root), true, 'a source never built');
    file(root, 'dist/scripts/lib/b.js', 4_000);
    assert.equal(buildStale(root), false);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
