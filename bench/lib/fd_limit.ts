// The open-file limit of a process (from /proc/<pid>/limits), and raising this process's soft
// limit to its hard limit. Node cannot call setrlimit, so the bench re-runs itself once under
// `sh -c 'ulimit -n <hard>; exec …'`; the server and generators it starts inherit the limit.

import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Set in the re-run process so it never re-runs again. */
const RAISED_ENV = 'MAGPIE_BENCH_FD_LIMIT_RAISED';

export interface FdLimit {
  readonly soft: number;
  /** Infinity for 'unlimited'. */
  readonly hard: number;
}

/** Null off Linux or when the process is gone. */
export function fdLimitOf(pid: number | 'self'): FdLimit | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/limits`, 'utf8');
  } catch {
    return null;
  }
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) return null;
  const value = (word: string): number => (word === 'unlimited' ? Infinity : Number(word));
  return { soft: value(match[1]), hard: value(match[2]) };
}

/**
 * If the soft limit is below the hard one, runs this script again with the soft limit raised
 * and resolves with its exit code (the caller exits with it); resolves null when there is
 * nothing to raise (or it was raised already), and the caller just goes on.
 */
export function fdLimitRaise(): Promise<number | null> {
  const limit = fdLimitOf('self');
  if (limit === null || limit.soft >= limit.hard || process.env[RAISED_ENV] === '1') {
    return Promise.resolve(null);
  }
  const hard = Number.isFinite(limit.hard) ? String(limit.hard) : 'unlimited';
  const args = [...process.execArgv, ...process.argv.slice(1)];
  // "$0" "$@" keep every argument as it was: nothing is re-parsed by the shell.
  const child = spawn('/bin/sh', ['-c', `ulimit -n ${hard} && exec "$0" "$@"`,
    process.execPath, ...args], {
    stdio: 'inherit', env: { ...process.env, [RAISED_ENV]: '1' },
  });
  // The re-run bench stops its own server and generators; this process only passes it on.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => child.kill(signal));
  }
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}
