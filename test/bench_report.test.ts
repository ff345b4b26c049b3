import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headlineOf } from '../bench/lib/headline.js';
import { casesOf, median, medianRuns, rangeOf } from '../bench/lib/medians.js';
import type { Json } from '../bench/lib/medians.js';
import { runGroups } from '../bench/lib/report_groups.js';
import { cell, markersReplace, reportTables, REPORT_BEGIN, REPORT_END } from
  '../bench/lib/report_markdown.js';
import { predictionsParse, reportRows } from '../bench/lib/report_rows.js';
import { resultsCollect } from '../bench/lib/result_files.js';
import { windowsScaled } from '../bench/lib/suite.js';

const ENV = { node: 'v20.20.2', cpu: 'AMD EPYC', cpus: 2, platform: 'linux', arch: 'x64',
  commit: 'abc1234', dirty: false };

function run(bench: string, name: string, at: string, fields: Json, env: Json = ENV): Json {
  return { bench, case: name, at, env, config: { time: 10000 }, ...fields };
}

test('report medians: odd count takes the middle, even count the mean of the two middle', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  const runs = [{ x: 10 }, { x: 30 }, { x: 20 }, { y: 1 }];
  assert.deepEqual(rangeOf(runs, 'x'), { median: 20, min: 10, max: 30, runs: 3 });
  assert.equal(rangeOf(runs, 'missing'), null);
});

test('report medians: medianRuns picks the real run in the middle, per case', () => {
  const runs = [{ case: 'a', v: 5 }, { case: 'a', v: 1 }, { case: 'a', v: 3 }, { case: 'b', v: 7 }];
  assert.deepEqual(medianRuns(runs, 'v').map((r) => r['v']), [3, 7]);
});

test('report files: cases from arrays, {results}, run.ts steps; other shapes skipped', () => {
  const a = run('one_to_one', 'closed', '2026-01-01T00:00:00Z', { mode: 'closed' });
  assert.equal(casesOf([a, { nope: 1 }]).length, 1);
  assert.equal(casesOf({ results: [a] }).length, 1);
  assert.equal(casesOf({ bench: 'run', steps: { s: [a] } }).length, 1);
  const read = resultsCollect([
    { file: 'one.json', value: { results: [a] } },
    { file: 'run.json', value: { bench: 'run', steps: { s: [a] } } },
    { file: 'old.json', value: { something: 'else' } },
    { file: 'broken.json', value: null },
  ]);
  assert.equal(read.cases.length, 1, 'the same run in two files counts once');
  assert.equal(read.duplicates, 1);
  assert.deepEqual(read.skippedFiles, ['old.json', 'broken.json']);
});

test('report groups: by bench, case, commit, machine; disturbed runs dropped and counted', () => {
  const cases = [
    run('http', 'route', '2026-01-01T00:00:01Z', { okPerSec: 100, otherCpuPercent: 5 }),
    run('http', 'route', '2026-01-01T00:00:02Z', { okPerSec: 300, otherCpuPercent: 90 }),
    run('http', 'route', '2026-01-01T00:00:03Z', { okPerSec: 200 }, { ...ENV, commit: 'def5678' }),
    run('http', 'login', '2026-01-01T00:00:04Z', { okPerSec: 50 }),
  ];
  const groups = runGroups(cases, 25);
  assert.deepEqual(groups.map((g) => [g.caseName, g.commit, g.runs.length, g.dropped]), [
    ['route', 'abc1234', 1, 1], ['route', 'def5678', 1, 0], ['login', 'abc1234', 1, 0],
  ]);
  assert.equal(runGroups(cases, -1)[0]?.runs.length, 2, 'other-max -1 keeps every run');
});

test('report rows: median and range, prediction only for runs after it, ratio to the limit', () => {
  const route = (at: string, ok: number, ratio: number): Json =>
    run('http', 'route c=32 p=1', at, { okPerSec: ok, ratioToLimit: ratio,
      latency: { p99Ms: 2 } });
  const groups = runGroups([
    route('2026-12-04T10:00:00Z', 10_000, 0.4), route('2026-12-04T10:01:00Z', 12_000, 0.5),
    route('2026-12-04T10:02:00Z', 11_000, 0.45),
  ], 25);
  const predictions = predictionsParse({ predictions: { http: {
    'route c=32 p=1': { text: '~30 k req/s', written: '2026-12-04', commit: 'abc1234' },
  } } });
  const [row] = reportRows(groups, predictions);
  assert.ok(row !== undefined);
  assert.equal(row.result, '**11.0 k req/s** (10.0 k–12.0 k); p99 2.00 ms; 3 runs');
  assert.equal(row.prediction, '~30 k req/s (2026-12-04, abc1234)');
  assert.match(row.ratioLimits, /^÷ uWS hello 45 % \(40 %–50 %\)/);
  const late = predictionsParse({ predictions: { http: {
    'route c=32 p=1': { text: 'after the fact', written: '2026-12-05', commit: 'x' },
  } } });
  assert.equal(reportRows(groups, late)[0]?.prediction, '', 'a prediction after the runs');
});

test('report rows: a group whose runs were all disturbed shows them, flagged', () => {
  const groups = runGroups([
    run('http', 'login', '2026-01-01T00:00:01Z', { okPerSec: 2_000, otherCpuPercent: 110,
      ratioToLimit: 0.1 }),
  ], 25);
  const [row] = reportRows(groups, predictionsParse(null));
  assert.match(row?.result ?? '',
    /^\*\*2\.00 k req\/s\*\*; 1 run, ALL DISTURBED \(other work on the box 110 %/);
  assert.match(row?.ratioLimits ?? '', /^÷ uWS hello 10 %/);
});

test('report rows: 1:1 closed loop ÷ the echo and LMDB limits of the same commit only', () => {
  const at = '2026-01-01T00:00:00Z';
  const groups = runGroups([
    run('one_to_one', 'closed w=8', at, { mode: 'closed', ackedPerSec: 10_000 }),
    run('limits_uws_echo', 'net c=16, 2 thread(s)', at, { msgsPerSec: 1_000_000 }),
    run('limits_lmdb_put', 'random-user ×1000/txn', at, { putsPerSec: 40_000 }),
    run('limits_lmdb_put', 'random-user ×1000/txn', at, { putsPerSec: 1 },
      { ...ENV, commit: 'other00' }),
  ], 25);
  const row = reportRows(groups, predictionsParse(null)).find((r) => r.bench === 'one_to_one');
  assert.equal(row?.ratioLimits, '÷ echo 1.0 %; ÷ LMDB rand×1000 25 %');
});

test('report rows: 1:1 closed loop CPU/msg against its puts alone, for as many users', () => {
  const at = '2026-01-01T00:00:00Z';
  const closed = { ...run('one_to_one', 'closed w=8', at,
    { mode: 'closed', ackedPerSec: 10_000, serverCpuUsPerMsg: 80 }), config: { pairs: 50 } };
  const groups = runGroups([closed,
    run('limits_lmdb_message', '1:1 message puts, 100 users ×100/txn', at, { cpuUsPerMsg: 20 }),
    run('limits_lmdb_message', '1:1 message puts, 10000 users ×100/txn', at, { cpuUsPerMsg: 1 }),
  ], 25);
  const row = reportRows(groups, predictionsParse(null)).find((r) => r.bench === 'one_to_one');
  assert.equal(row?.ratioLimits, 'its puts alone 25 % of its CPU/msg');
});

test('report rows: 1:1 open loop deliver p99 ÷ the two-commit floor at the same rate', () => {
  const at = '2026-01-01T00:00:00Z';
  const open = (rate: number, p99Ms: number): Json => run('one_to_one',
    `open ${rate}/s pairs=50 ws raw`, at, { mode: 'open', ratePerSec: rate, deliver: { p99Ms } });
  const chain = (rate: number, p99Ms: number, env: Json = ENV): Json => run('limits_lmdb_chain',
    `chain ${rate}/s ×2 puts`, at, { mode: 'open', ratePerSec: rate, deliver: { p99Ms } }, env);
  const groups = runGroups([open(10_000, 56), open(1_000, 12), chain(10_000, 8),
    chain(1_000, 1, { ...ENV, commit: 'other00' }), chain(5_000, 2)], 25);
  const rows = reportRows(groups, predictionsParse(null)).filter((r) => r.bench === 'one_to_one');
  const at10k = rows.find((r) => r.scenario.startsWith('open 10000/s'));
  assert.equal(at10k?.ratioLimits,
    'deliver p99 7.0× the storage floor (2 durable commits: p99 8.00 ms)');
  // No floor at 1 k/s on this commit (the other commit's does not count): no ratio.
  assert.equal(rows.find((r) => r.scenario.startsWith('open 1000/s'))?.ratioLimits, '');
});

test('report markdown: cells escape pipes and newlines; markers keep the text around them', () => {
  assert.equal(cell('a | b\nc'), 'a \\| b c');
  assert.equal(cell('  '), '—');
  const text = `intro\n${REPORT_BEGIN}\nold table\n${REPORT_END}\noutro\n`;
  assert.equal(markersReplace(text, '| new |'),
    `intro\n${REPORT_BEGIN}\n| new |\n${REPORT_END}\noutro\n`);
  assert.equal(markersReplace('no markers', 'x'), null);
  assert.equal(markersReplace(`${REPORT_END} before ${REPORT_BEGIN}`, 'x'), null);
});

test('report markdown: one table per bench, machines named once in a legend', () => {
  const groups = runGroups([
    run('http', 'route', '2026-01-01T00:00:01Z', { okPerSec: 5 }),
    run('http', 'route', '2026-01-01T00:00:02Z', { okPerSec: 5 }, { ...ENV, cpu: 'Other CPU' }),
  ], 25);
  const tables = reportTables(reportRows(groups, predictionsParse(null)));
  assert.equal(tables.split('#### http').length, 2);
  assert.match(tables, /\| route \| `node dist\/bench\/http\.js` \| M1 \| abc1234 \|/);
  assert.match(tables, /M1 = 2 × AMD EPYC, node v20\.20\.2, linux\/x64; M2 = 2 × Other CPU/);
});

test('bench suite: --full scales only the values of --time and --warmup', () => {
  assert.deepEqual(windowsScaled(['--rate', '5000', '--time', '10000', '--warmup', '2000'], 2),
    ['--rate', '5000', '--time', '20000', '--warmup', '4000']);
});

test('bench headlines: closed loop by throughput, open loop by deliver p99, peer by ratio', () => {
  assert.equal(headlineOf({ bench: 'one_to_one', mode: 'closed' })?.path, 'ackedPerSec');
  assert.equal(headlineOf({ bench: 'one_to_one', mode: 'open' })?.path, 'deliver.p99Ms');
  assert.equal(headlineOf({ bench: 'peer_ejabberd', server: 'ratio' })?.path, 'deliveredRatio');
  assert.equal(headlineOf({ bench: 'new_bench', opsPerSec: 3 })?.path, 'opsPerSec');
  assert.equal(headlineOf({ bench: 'new_bench' }), null);
});

test('report rows: peer ratio entries fold into the Magpie row as its ratio to ejabberd', () => {
  const at = '2026-01-01T00:00:00Z';
  const peer = (server: string, fields: Json): Json =>
    run('peer_ejabberd', 'closed w=10 pairs=10', at, { server, ...fields });
  const groups = runGroups([peer('magpie', { deliveredPerSec: 9_000 }),
    peer('ejabberd', { deliveredPerSec: 3_000 }), peer('ratio', { deliveredRatio: 3 })], 25);
  const rows = reportRows(groups, predictionsParse(null));
  assert.deepEqual(rows.map((r) => [r.scenario, r.ratioEjabberd]), [
    ['ejabberd closed w=10 pairs=10', ''], ['magpie closed w=10 pairs=10', '3× delivered/s'],
  ]);
});
