// Inclusive time from a .cpuprofile: a function counts once per busy sample it is on the stack
// of, idle samples count for nothing (the shares PERF.md's "where the time goes" gives).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { profileInclusive } from '../bench/lib/cpu_profile.js';

function frame(id: number, functionName: string, children: number[]): object {
  return { id, children, callFrame: { functionName, url: '', lineNumber: 0 } };
}

it('cpu profile: inclusive shares of busy samples, recursion counted once', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-profile-'));
  try {
    const file = path.join(dir, 'CPU.1.2.3.1.001.cpuprofile');
    // (root) → outer → inner → outer (recursion); (root) → (idle)
    const nodes = [frame(1, '(root)', [2, 5]), frame(2, 'outer', [3]), frame(3, 'inner', [4]),
      frame(4, 'outer', []), frame(5, '(idle)', [])];
    fs.writeFileSync(file, JSON.stringify({ nodes, samples: [4, 4, 3, 2, 5, 5] }));
    const byName = new Map(profileInclusive(file, 10).map((e) => [e.name, e]));
    assert.equal(byName.get('outer')?.inclusivePercent, 100);
    assert.equal(byName.get('outer')?.selfPercent, 75);
    assert.equal(byName.get('inner')?.inclusivePercent, 75);
    assert.equal(byName.get('inner')?.selfPercent, 25);
    assert.equal(byName.has('(root)'), false);
    assert.equal(byName.has('(idle)'), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
