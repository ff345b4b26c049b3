// Runs the compiled test files (unit first, then integration) with node:test.
// Usage: node scripts/run_tests.mjs [--unit|--integration] [name filter]
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const only = args.find((arg) => arg === '--unit' || arg === '--integration');
const filter = args.find((arg) => !arg.startsWith('--'));
const dir = 'dist/test';
const files = readdirSync(dir)
  .filter((name) => (only !== '--integration' && name.endsWith('.test.js')) || (only !== '--unit' && name.endsWith('.integration.js')))
  .filter((name) => filter === undefined || name.includes(filter))
  .sort((a, b) => Number(a.endsWith('.integration.js')) - Number(b.endsWith('.integration.js')) || a.localeCompare(b))
  .map((name) => `${dir}/${name}`);
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
