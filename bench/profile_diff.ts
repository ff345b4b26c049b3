// Self time per function, new against base, from the shard threads of `--cpu-prof` runs (the
// directories `node dist/bench/one_to_one.js --cpu-prof` prints): which functions a change made
// busier. Each side may list several run directories; their shares are averaged. Shares are of
// all samples, idle included, summed over the shard threads (thread ≥ 1).

import { profileDirSummarize } from './lib/cpu_profile.js';

const USAGE = 'Usage: node dist/bench/profile_diff.js <base-dir>[,<base-dir>…] ' +
  '<new-dir>[,<new-dir>…] [rows (default 15)]';
/** Rows printed each way unless asked otherwise. */
const ROWS_DEFAULT = 15;
/** Functions kept per thread summary: all of them, for a fair difference. */
const FUNCTIONS_ALL = Number.MAX_SAFE_INTEGER;

/** Function → share (%) of the side's samples, averaged over its run directories. */
function sideShares(dirs: readonly string[]): Map<string, number> {
  const shares = new Map<string, number>();
  for (const dir of dirs) {
    const shards = profileDirSummarize(dir, FUNCTIONS_ALL).filter((s) => (s.thread ?? 0) >= 1);
    const totalMs = shards.reduce((sum, s) => sum + s.sampledMs, 0);
    for (const shard of shards) {
      for (const entry of shard.top) {
        // By name and file: line numbers move between the two builds.
        const key = `${entry.name}  ${entry.where.replace(/:\d+$/, '')}`;
        const share = totalMs === 0 ? 0 : (entry.selfMs / totalMs) * 100;
        shares.set(key, (shares.get(key) ?? 0) + share / dirs.length);
      }
    }
  }
  return shares;
}

const [baseArg, newArg, rowsText] = process.argv.slice(2);
if (baseArg === undefined || baseArg === '--help' || newArg === undefined) {
  process.stdout.write('profile_diff: shard-thread self time per function, new − base.\n' +
    `${USAGE}\n`);
  process.exit(baseArg === '--help' ? 0 : 1);
}
const rows = rowsText === undefined ? ROWS_DEFAULT : Number(rowsText);
if (!Number.isInteger(rows) || rows < 1) {
  process.stderr.write(`rows must be a positive integer\n${USAGE}\n`);
  process.exit(1);
}
const base = sideShares(baseArg.split(','));
const next = sideShares(newArg.split(','));
const keys = [...new Set([...base.keys(), ...next.keys()])];
const change = (key: string): number => (next.get(key) ?? 0) - (base.get(key) ?? 0);
keys.sort((a, b) => change(b) - change(a));
const line = (key: string): string =>
  `  ${change(key) >= 0 ? '+' : ''}${change(key).toFixed(2)}  ` +
  `base ${(base.get(key) ?? 0).toFixed(2)}  new ${(next.get(key) ?? 0).toFixed(2)}  ${key}\n`;
process.stdout.write('busier in new (points of shard-thread samples):\n');
for (const key of keys.slice(0, rows)) process.stdout.write(line(key));
process.stdout.write('less busy in new:\n');
for (const key of keys.slice(-rows).reverse()) process.stdout.write(line(key));
