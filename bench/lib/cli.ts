// What every bench CLI shares: option parsing with --help, the standard options (time, warm-up,
// filter), running cases under tinybench, and printing one human line and one JSON line per case
// with the environment (STYLE.md habit 14). Benches hold only their cases.

import { Bench } from 'tinybench';
import { benchEnv, benchEnvText } from './env.js';
import type { BenchEnv } from './env.js';
import { progressBar, rateText, resultsWrite } from './results.js';

export interface CliOption<T> {
  readonly help: string;
  readonly default: T;
  /** Name of the value in --help, e.g. 'ms'. */
  readonly arg?: string;
}
export type CliSpec = Record<string, CliOption<number> | CliOption<string> | CliOption<boolean>>;
export type CliValues<S extends CliSpec> = { -readonly [K in keyof S]: S[K]['default'] };

/** The options every bench takes; spread them into a bench's own spec. */
export const BENCH_OPTIONS = {
  time: { help: 'measuring time per case', default: 1000, arg: 'ms' },
  warmup: { help: 'warm-up time per case', default: 200, arg: 'ms' },
  filter: { help: 'run only cases whose name contains this text', default: '', arg: 'text' },
} as const satisfies CliSpec;

function cliUsage(about: string, spec: CliSpec): string {
  const lines = [about, '', 'Options:'];
  for (const [name, option] of Object.entries(spec)) {
    const arg = typeof option.default === 'boolean' ? '' : ` <${option.arg ?? 'value'}>`;
    const flag = `  --${name}${arg}`.padEnd(26);
    lines.push(`${flag}${option.help} (default: ${JSON.stringify(option.default)})`);
  }
  lines.push(`  --help${' '.repeat(18)}print this and exit`);
  return lines.join('\n');
}

function cliExit(about: string, spec: CliSpec, message: string): never {
  process.stderr.write(`${message}\n\n${cliUsage(about, spec)}\n`);
  process.exit(2);
}

/**
 * Parses `--name value`, `--name=value` and boolean `--name` flags against `spec`. `--help`
 * prints usage and exits 0; an unknown option or a bad value prints usage and exits 2.
 */
export function cliParse<S extends CliSpec>(
  about: string,
  spec: S,
  argv: readonly string[] = process.argv.slice(2),
): CliValues<S> {
  const values: Record<string, number | string | boolean> = {};
  for (const [name, option] of Object.entries(spec)) values[name] = option.default;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${cliUsage(about, spec)}\n`);
      process.exit(0);
    }
    if (!arg.startsWith('--')) cliExit(about, spec, `unexpected argument: ${arg}`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const option = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (option === undefined) cliExit(about, spec, `unknown option: --${name}`);
    if (typeof option.default === 'boolean') {
      if (eq >= 0) cliExit(about, spec, `--${name} takes no value`);
      values[name] = true;
      continue;
    }
    const text = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (text === undefined) cliExit(about, spec, `--${name} needs a value`);
    if (typeof option.default === 'number') {
      const number = Number(text);
      if (text.trim() === '' || !Number.isFinite(number)) {
        cliExit(about, spec, `--${name} needs a number, got ${JSON.stringify(text)}`);
      }
      values[name] = number;
    } else {
      values[name] = text;
    }
  }
  return values as CliValues<S>;
}

export interface BenchCase {
  readonly name: string;
  /** One call; keep results alive with benchKeep so the JIT cannot drop the work. */
  readonly fn: () => void | Promise<void>;
  /** Runs after each call, outside the timed window (e.g. awaiting a commit the call queued). */
  readonly afterEach?: () => void | Promise<void>;
  /** Scales --time and --warmup for this case: for calls whose afterEach takes far longer than
   * the timed part (a case lasts until its *timed* parts add up to the time). */
  readonly timeScale?: number;
  /** Operations one call performs (loop inside fn for ops shorter than the timer's cost). */
  readonly opsPerCall?: number;
  /** Payload bytes per operation, for a throughput column. */
  readonly bytesPerOp?: number;
}

export interface BenchCaseResult {
  readonly bench: string;
  readonly case: string;
  readonly opsPerSec: number;
  readonly nsPerOp: number;
  /** Relative margin of error of the mean call time, in percent. */
  readonly rmePercent: number;
  readonly samples: number;
  readonly opsPerCall: number;
  readonly mbPerSec: number | null;
  readonly timeMs: number;
  readonly at: string;
  readonly env: BenchEnv;
}

/** Fewest timed calls per case, and per warm-up, whatever the time. */
const SAMPLES_MIN = 10;
const WARMUP_SAMPLES_MIN = 2;

const kept: unknown[] = [undefined];
/** Keeps a value reachable so the computation that made it is not optimised away. */
export function benchKeep(value: unknown): void {
  kept[0] = value;
}

function resultText(result: BenchCaseResult): string {
  const mb = result.mbPerSec === null ? '' : `  ${result.mbPerSec.toFixed(1)} MB/s`;
  return (
    `${result.bench}  ${result.case.padEnd(44)} ${rateText(result.opsPerSec).padStart(10)} ops/s ` +
    `${result.nsPerOp.toFixed(1).padStart(10)} ns/op  ±${result.rmePercent.toFixed(2)}%${mb}`
  );
}

/**
 * Runs each case (skipping those not matching `options.filter`) for `options.time` ms after
 * `options.warmup` ms of warm-up, printing its two lines as soon as it ends; then writes all
 * results to bench/results/<bench>-<timestamp>.json.
 */
export async function benchCasesRun(
  bench: string,
  cases: readonly BenchCase[],
  options: { readonly time: number; readonly warmup: number; readonly filter: string },
): Promise<BenchCaseResult[]> {
  const env = benchEnv();
  process.stdout.write(`# ${bench}: ${benchEnvText(env)}\n`);
  const results: BenchCaseResult[] = [];
  const chosen = cases.filter((c) => c.name.includes(options.filter));
  for (const [index, c] of chosen.entries()) {
    process.stderr.write(`[${bench}] ${progressBar(index, chosen.length)} ${c.name}\n`);
    const runner = new Bench({
      time: options.time * (c.timeScale ?? 1),
      warmup: options.warmup > 0,
      warmupTime: options.warmup * (c.timeScale ?? 1),
      // Slow calls (a commit each) keep to --time instead of tinybench's 64-sample minimum.
      iterations: SAMPLES_MIN,
      warmupIterations: WARMUP_SAMPLES_MIN,
      throws: true,
    });
    runner.add(c.name, c.fn, c.afterEach === undefined ? {} : { afterEach: c.afterEach });
    const [task] = await runner.run();
    const outcome = task?.result;
    if (outcome === undefined || !('period' in outcome)) {
      process.stdout.write(`${bench}  ${c.name}: no result (${outcome?.state ?? 'missing'})\n`);
      process.exitCode = 1;
      continue;
    }
    const opsPerCall = c.opsPerCall ?? 1;
    const opsPerSec = (opsPerCall * 1000) / outcome.period;
    const result: BenchCaseResult = {
      bench,
      case: c.name,
      opsPerSec,
      nsPerOp: (outcome.period * 1e6) / opsPerCall,
      rmePercent: outcome.latency.rme,
      samples: outcome.latency.samplesCount,
      opsPerCall,
      mbPerSec: c.bytesPerOp === undefined ? null : (opsPerSec * c.bytesPerOp) / 1e6,
      timeMs: options.time * (c.timeScale ?? 1),
      at: new Date().toISOString(),
      env,
    };
    results.push(result);
    process.stdout.write(`${resultText(result)}\n${JSON.stringify(result)}\n`);
  }
  process.stderr.write(`[${bench}] wrote ${resultsWrite(bench, results)}\n`);
  return results;
}

/** A bad option value found after parsing: the message, exit code 2. */
export function cliFail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

export function cliIntegerCheck(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    cliFail(`--${name} must be an integer in ${min}..${max}`);
  }
}

/** `--<name> a,b`: a non-empty list of names from `allowed`, in `allowed`'s order. */
export function cliNamesParse<Name extends string>(name: string, text: string,
  allowed: readonly Name[]): Name[] {
  const names = text.split(',').map((part) => part.trim());
  const chosen = allowed.filter((item) => names.includes(item));
  if (chosen.length !== names.length || chosen.length === 0) {
    cliFail(`--${name}: a list of ${allowed.join(', ')}`);
  }
  return chosen;
}

/** `--<name> 1000,5000`: at most `countMax` integers in 1..rateMax; '' is none. */
export function cliRatesParse(name: string, text: string, countMax: number,
  rateMax: number): number[] {
  if (text.trim() === '') return [];
  const rates = text.split(',').map((part) => Number(part.trim()));
  if (rates.length > countMax) cliFail(`--${name} takes at most ${countMax} values`);
  for (const rate of rates) cliIntegerCheck(name, rate, 1, rateMax);
  return rates;
}
