// How bench/run.ts runs its steps: each bench as its own process, its human lines echoed and
// its JSON lines (one per case) collected; a step's flags checked against its --help before
// anything runs; steps that cannot run on this machine skipped with the reason.

import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ejabberdInstalled } from '../../scripts/lib/ejabberd.js';
import { childStop, childTrack } from './children.js';
import type { Json } from './medians.js';
import { progress } from './results.js';

/** A step that has not finished in this time is killed and reported as failed. */
export const STEP_TIMEOUT_MS_DEFAULT = 180_000;
const STEP_STOP_GRACE_MS = 20_000;
/** `--help` answers at once; one that does not is a broken bench. */
const HELP_TIMEOUT_MS = 20_000;

export interface SuiteStep {
  readonly name: string;
  readonly script: string;
  readonly args: readonly string[];
  /** For steps that set up much more than a server (ejabberd: install, start, register). */
  readonly timeoutMs?: number;
  /** A failure is reported but does not fail the suite (a peer server we do not own). */
  readonly optional?: boolean;
  /** Why the step cannot run on this machine (it is skipped, not failed), or null. */
  readonly skipReason?: () => string | null;
}

export interface StepOutcome {
  readonly results: Json[];
  readonly ok: boolean;
}

function scriptPath(step: SuiteStep): string {
  return fileURLToPath(new URL(`../${step.script}`, import.meta.url));
}

/** Flags of `step` its bench's --help does not list; [] when all exist. */
export function stepUnknownFlags(step: SuiteStep): string[] {
  const help = spawnSync(process.execPath, [scriptPath(step), '--help'],
    { encoding: 'utf8', timeout: HELP_TIMEOUT_MS });
  const text = `${help.stdout}`;
  if (help.status !== 0) return [`(--help failed with ${help.status})`];
  return step.args.filter((arg) => arg.startsWith('--'))
    .filter((flag) => !new RegExp(`^\\s+${flag}(\\s|$)`, 'm').test(text));
}

/** Runs one bench; echoes its human lines, returns its JSON lines (one per case). */
export async function stepRun(bench: string, step: SuiteStep): Promise<StepOutcome> {
  const child = spawn(process.execPath, [scriptPath(step), ...step.args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  childTrack(child);
  const results: Json[] = [];
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('{')) results.push(JSON.parse(line) as Json);
      else process.stdout.write(`${line}\n`);
    }
  });
  const timeoutMs = step.timeoutMs ?? STEP_TIMEOUT_MS_DEFAULT;
  const timer = setTimeout(() => {
    progress(bench, `${step.name}: no end after ${timeoutMs} ms, stopping it`);
    void childStop(child, STEP_STOP_GRACE_MS);
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return { results, ok: code === 0 };
}

function commandFound(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** peer_ejabberd installs ejabberd with apt-get when it is missing, which needs root. */
export function ejabberdSkipReason(): string | null {
  if (ejabberdInstalled()) return null;
  if (process.getuid?.() === 0 && commandFound('apt-get')) return null;
  return 'ejabberd is not installed and cannot be installed here (needs root and apt-get)';
}

/** `--time T --warmup W` with both multiplied by `scale` (the full suite's longer windows). */
export function windowsScaled(args: readonly string[], scale: number): string[] {
  return args.map((arg, i) => {
    const flag = args[i - 1];
    return (flag === '--time' || flag === '--warmup') ? String(Number(arg) * scale) : arg;
  });
}
