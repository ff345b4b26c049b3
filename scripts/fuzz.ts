// Seeded fuzz of a real server over every edge (TCP and WebSocket, public and per-shard ports):
//   node dist/scripts/fuzz.js --frames 1000000 --seed 42 [--duration-s 600] [--parallel 24]
// Progress goes to stderr; the last stdout line is one JSON summary. Exit 1 if any check failed.

import os from 'node:os';
import { FUZZ_DEFAULTS, fuzzRun, type FuzzOptions } from './fuzz_lib.js';

const FLAGS = {
  frames: 'units (frames, texts, noise blobs) to send',
  seed: 'PRNG seed: connection n draws the same random stream in every run',
  'duration-s': 'hard bound on the fuzzing phase, in seconds',
  parallel: 'fuzz connections in flight at once',
  'probe-every': 'units between liveness probes and memory samples',
  shards: 'server shards',
  'rss-growth-max-mib': 'allowed growth of the server anonymous RSS',
} as const;
type Flag = keyof typeof FLAGS;

function usage(): string {
  const lines = Object.entries(FLAGS).map(([flag, what]) => `  --${flag.padEnd(20)} ${what}`);
  return `usage: node dist/scripts/fuzz.js [flags]\n${lines.join('\n')}\n`;
}

function parse(argv: readonly string[]): Partial<FuzzOptions> {
  const values = new Map<Flag, number>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(usage());
      process.exit(0);
    }
    const [name, inline] = arg.replace(/^--/, '').split('=', 2) as [string, string | undefined];
    const value = Number(inline ?? argv[++i]);
    if (!(name in FLAGS) || !Number.isFinite(value) || value < 0) {
      process.stderr.write(`fuzz: bad argument ${arg}\n${usage()}`);
      process.exit(2);
    }
    values.set(name as Flag, value);
  }
  const options: { -readonly [K in keyof FuzzOptions]?: FuzzOptions[K] } = {};
  const frames = values.get('frames');
  if (frames !== undefined) options.frames = frames;
  const seed = values.get('seed');
  if (seed !== undefined) options.seed = seed;
  const duration = values.get('duration-s');
  if (duration !== undefined) options.durationS = duration;
  const parallel = values.get('parallel');
  if (parallel !== undefined) options.parallel = Math.max(1, parallel);
  const probeEvery = values.get('probe-every');
  if (probeEvery !== undefined) options.probeEvery = Math.max(1, probeEvery);
  const shards = values.get('shards');
  if (shards !== undefined) options.shards = shards;
  const rss = values.get('rss-growth-max-mib');
  if (rss !== undefined) options.rssGrowthMaxMib = rss;
  return options;
}

const options = parse(process.argv.slice(2));
const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const { seed = FUZZ_DEFAULTS.seed, frames = FUZZ_DEFAULTS.frames } = options;
log(`fuzz: seed ${seed}, ${frames} units`);
const summary = await fuzzRun({ ...options, log });
const { stats, probes, rssMib } = summary;
log(
  `fuzz: ${summary.ok ? 'PASS' : 'FAIL'} — ${stats.frames} units in ${summary.durationS} s ` +
    `(${summary.framesPerSec}/s), ${stats.episodes} connections, ` +
    `probes ${probes.count - probes.failed}/${probes.count}, ` +
    `RSS ${rssMib.start} → peak ${rssMib.peak} → ${rssMib.end} MiB`,
);
for (const failure of summary.failures) log(`fuzz: FAILED ${failure}`);
const environment = {
  node: process.version,
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? 'unknown',
};
process.stdout.write(`${JSON.stringify({ ...summary, environment })}\n`);
process.exit(summary.ok ? 0 : 1);
