// The child processes a bench starts (server, echo server, load generators), and the promise
// that they end with it: on exit, Ctrl-C or a crash of the bench, each one still running gets
// SIGKILL by its own pid. Only processes started here are ever signalled.

import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Remembers `child` until it exits; it is killed if the bench exits first. */
export function childTrack(child: ChildProcess): void {
  hook();
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** Resolves with the exit code once `child` has exited (at once if it already has). */
export function childExited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with the exit code
 * (null when it was killed by a signal).
 */
export async function childStop(child: ChildProcess, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = childExited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  const code = await exited;
  clearTimeout(timer);
  return code;
}
