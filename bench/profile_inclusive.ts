// Inclusive CPU time per function from one .cpuprofile (e.g. a shard thread's, written by
// `node dist/bench/one_to_one.js --cpu-prof`): what PERF.md's "where the time goes" shares are.

import { profileInclusive } from './lib/cpu_profile.js';

const USAGE = 'Usage: node dist/bench/profile_inclusive.js <file.cpuprofile> [top (default 40)]';
/** Rows printed unless asked otherwise. */
const TOP_DEFAULT = 40;

const [file, topText] = process.argv.slice(2);
if (file === undefined || file === '--help') {
  process.stdout.write(`profile_inclusive: inclusive and self time per function, busiest first.\n${USAGE}\n`);
  process.exit(file === undefined ? 1 : 0);
}
const top = topText === undefined ? TOP_DEFAULT : Number(topText);
if (!Number.isInteger(top) || top < 1) {
  process.stderr.write(`top must be a positive integer\n${USAGE}\n`);
  process.exit(1);
}
for (const entry of profileInclusive(file, top)) {
  process.stdout.write(`${entry.inclusivePercent.toFixed(1).padStart(5)}% incl ` +
    `${entry.selfPercent.toFixed(1).padStart(5)}% self  ${entry.name}  ${entry.where}\n`);
}
