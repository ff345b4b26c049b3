// The environment a bench ran in, printed with every result so a number can be traced to its
// hardware, runtime and code (STYLE.md habit 14). Collected once per process.

import { execFileSync } from 'node:child_process';
import os from 'node:os';
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
  });
  return cached;
}

/** One line for humans: `node v20.20.2, 8 × Intel(R) …, linux/x64, commit abc1234 (dirty)`. */
export function benchEnvText(env: BenchEnv = benchEnv()): string {
  const commit = env.commit === null ? 'no commit' : `commit ${env.commit}`;
  const dirty = env.dirty === true ? ' (dirty)' : '';
  const machine = `${env.cpus} × ${env.cpu}, ${env.platform}/${env.arch}`;
  return `node ${env.node}, ${machine}, ${commit}${dirty}`;
}
