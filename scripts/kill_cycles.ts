// CLI: kill -9 chaos cycles with the history checker (scripts/lib/kill_cycles.ts).
// Usage: node dist/scripts/kill_cycles.js [--cycles 20] [--users 6] [--in-flight 8] [--seed 1]

import { killCycles } from './lib/kill_cycles.js';

function flag(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  if (!Number.isFinite(value)) throw new Error(`--${name} needs a number`);
  return value;
}

if (process.argv.includes('--help')) {
  console.log(
    'node dist/scripts/kill_cycles.js [--cycles 20] [--users 6] [--in-flight 8] [--seed 1] [--kill-min-ms 100] [--kill-max-ms 1500]',
  );
  process.exit(0);
}
const report = await killCycles({
  cycles: flag('cycles', 20),
  users: flag('users', 6),
  inFlight: flag('in-flight', 8),
  killAfterMsMin: flag('kill-min-ms', 100),
  killAfterMsMax: flag('kill-max-ms', 1500),
  seed: flag('seed', 1),
  log: (line) => console.error(line),
});
console.log(JSON.stringify({ bench: 'kill_cycles', node: process.version, ...report }));
process.exit(report.failures.length === 0 ? 0 : 1);
