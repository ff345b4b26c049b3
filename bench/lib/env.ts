// The environment a bench ran in, printed with every result so a number can be traced to its
// hardware, runtime and code (STYLE.md habit 14). Collected once per process.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface BenchEnv {
  readonly node: string;
  readonly cpu: string;
  readonly cpus: number;
  readonly platform: string;
  readonly arch: string;
  /** `git rev-parse --short HEAD`, or null outside a git checkout. */
  readonly commit: string | null;
  /** Tracked files differ from the commit: the numbers are not the commit's. Null if unknown. */
  readonly dirty: boolean | null;
  /** A source file is newer than its compiled output (edited, or checked out, after the last
   * `npm run build`): the code that ran is not the tree's. */
  readonly stale: boolean;
}

/** The checkout's root, seen from dist/bench/lib/. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Source folders whose compiled output a bench runs. */
const SOURCE_DIRS = ['src', 'bench', 'scripts'];

function mtimeMs(file: string): number | undefined {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/** Whether some .ts under `root`'s SOURCE_DIRS is newer than its .js in dist/ (or has none). */
export function buildStale(root: string = ROOT): boolean {
  for (const dir of SOURCE_DIRS) {
    const base = path.join(root, dir);
    if (!fs.existsSync(base)) continue;
    for (const entry of fs.readdirSync(base, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.d.ts')) continue;
      const source = path.join(entry.parentPath, entry.name);
      const compiled = path.join(root, 'dist', path.relative(root, source)).replace(/\.ts$/, '.js');
      const built = mtimeMs(compiled);
      if (built === undefined || (mtimeMs(source) ?? 0) > built) return true;
    }
  }
  return false;
}

let cached: BenchEnv | undefined;

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    }).trim();
  } catch {
    return null;
  }
}

export function benchEnv(): BenchEnv {
  if (cached !== undefined) return cached;
  const cpus = os.cpus();
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const status = commit === null ? null : git(['status', '--porcelain', '--untracked-files=no']);
  cached = Object.freeze({
    node: process.version,
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    platform: process.platform,
    arch: process.arch,
    commit,
    dirty: status === null ? null : status.length > 0,
    stale: buildStale(),
  });
  return cached;
}

/** One line for humans: `node v20.20.2, 8 × Intel(R) …, linux/x64, commit abc1234 (dirty)`. */
export function benchEnvText(env: BenchEnv = benchEnv()): string {
  const commit = env.commit === null ? 'no commit' : `commit ${env.commit}`;
  const dirty = (env.dirty === true ? ' (dirty)' : '') +
    (env.stale ? ' (STALE BUILD: sources newer than dist/, run npm run build)' : '');
  const machine = `${env.cpus} × ${env.cpu}, ${env.platform}/${env.arch}`;
  return `node ${env.node}, ${machine}, ${commit}${dirty}`;
}
