import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { targetRows } from '../bench/lib/suite_rows.js';

test('suite targets: each judged against the limit measured beside it', () => {
  const cores = os.cpus().length;
  const rows = targetRows({
    closed: { ackedPerSec: 20_000, generatorCpuUsPerMsg: 10 },
    open: { deliver: { p99Ms: 30 } },
    echo: { msgsPerSec: 1_000_000, serverCpuUsPerMsg: 2 },
    storage: { cpuUsPerMsg: 34 },
    chain: { deliver: { p99Ms: 12 } },
  });
  assert.equal(rows.length, 3);
  // 34 + 3 × 2 + 10 = 50 µs per message: the cores allow cores × 20 k msgs/s.
  assert.match(rows[0]!.result, /^20\.0 k msgs\/s: not met$/);
  assert.match(rows[0]!.ratio, new RegExp(`≤ ${cores * 20}\\.0 k msgs/s here \\(50\\.0 µs/msg`));
  assert.equal(rows[1]!.result, '2.00%: not met');
  assert.equal(rows[2]!.result, '30.0 ms: not met');
  assert.match(rows[2]!.ratio, /p99 12\.0 ms; 2\.5× it$/);
  const met = targetRows({ closed: { ackedPerSec: 60_000 }, open: { deliver: { p99Ms: 9 } },
    echo: { msgsPerSec: 200_000 }, storage: undefined, chain: undefined });
  assert.deepEqual(met.map((row) => row.result.split(': ')[1]), ['MET', 'MET', 'MET']);
  const none = targetRows({ closed: undefined, open: undefined, echo: undefined,
    storage: undefined, chain: undefined });
  assert.deepEqual(none.map((row) => row.result.split(': ')[1]), ['n/a', 'n/a', 'n/a']);
});
