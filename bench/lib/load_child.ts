// Load generators as child processes, so that the process measured (the server) and the one
// measuring are separate. The parent drives every generator through the same phases:
//   setup → ready;  start (warm-up begins) → measure (counters reset) → stop → result
// and a generator may run several start…result cases on one setup. IPC is Node's JSON channel
// between two builds of the same code, so messages are typed by this file, not re-validated.

import { fork, type ChildProcess } from 'node:child_process';
import { childExited, childStop, childTrack } from './children.js';
import { progressBar } from './results.js';

/** A generator must answer setup, and stop, within this time. */
export const LOAD_CHILD_ANSWER_MS_MAX = 60_000;
/** Generators report cumulative counters this often; the parent prints rates from them. */
export const PROGRESS_INTERVAL_MS = 1_000;
/** A generator that ignores SIGTERM this long is killed. */
const LOAD_CHILD_STOP_GRACE_MS = 5_000;

export type ParentMessage<Setup, Run> =
  | { readonly type: 'setup'; readonly setup: Setup }
  | { readonly type: 'start'; readonly run: Run }
  | { readonly type: 'measure' }
  | { readonly type: 'stop' };

/** What every generator reports for a case, around its own figures. */
export interface LoadResult<R> {
  /** From its 'measure' to its 'stop'. */
  readonly windowMs: number;
  /** CPU time the generator used in the window, all threads. */
  readonly cpuUs: number;
  readonly data: R;
}

export type ChildMessage<R> =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly counts: Readonly<Record<string, number>> }
  | { readonly type: 'result'; readonly result: LoadResult<R> }
  | { readonly type: 'failed'; readonly reason: string };

/** Parent side: one forked generator. */
export class LoadChild<Setup, Run, R> {
  readonly process: ChildProcess;
  private readonly waiters: ((message: ChildMessage<R>) => void)[] = [];
  /** The latest cumulative counters the generator reported. */
  counts: Readonly<Record<string, number>> = {};
  private failure: string | null = null;

  constructor(script: string, args: readonly string[] = []) {
    this.process = fork(script, [...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    childTrack(this.process);
    this.process.on('message', (raw) => this.received(raw as ChildMessage<R>));
    this.process.once('exit', (code, signal) => {
      this.failure ??= `generator exited (code ${code}, signal ${signal})`;
      for (const waiter of this.waiters.splice(0)) waiter({ type: 'failed', reason: this.failure });
    });
  }

  private received(message: ChildMessage<R>): void {
    if (message.type === 'progress') {
      this.counts = message.counts;
      return;
    }
    if (message.type === 'failed') this.failure = message.reason;
    this.waiters.shift()?.(message);
  }

  send(message: ParentMessage<Setup, Run>): void {
    if (this.failure !== null) throw new Error(this.failure);
    this.process.send(message);
  }

  /** The next non-progress message; rejects on 'failed', exit or timeout. */
  private next(what: string): Promise<ChildMessage<R>> {
    if (this.failure !== null) return Promise.reject(new Error(this.failure));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`generator did not answer ${what} within ${LOAD_CHILD_ANSWER_MS_MAX} ms`));
      }, LOAD_CHILD_ANSWER_MS_MAX);
      this.waiters.push((message) => {
        clearTimeout(timer);
        if (message.type === 'failed') reject(new Error(`generator: ${message.reason}`));
        else resolve(message);
      });
    });
  }

  async setup(setup: Setup): Promise<void> {
    this.send({ type: 'setup', setup });
    const answer = await this.next('setup');
    if (answer.type !== 'ready') throw new Error(`generator answered setup with ${answer.type}`);
  }

  /** Sends stop; resolves with the case's result. */
  async stop(): Promise<LoadResult<R>> {
    this.send({ type: 'stop' });
    const answer = await this.next('stop');
    if (answer.type !== 'result') throw new Error(`generator answered stop with ${answer.type}`);
    return answer.result;
  }

  async exit(): Promise<void> {
    this.process.disconnect();
    const exited = childExited(this.process);
    const timer = setTimeout(() => void childStop(this.process, LOAD_CHILD_STOP_GRACE_MS),
      LOAD_CHILD_STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
}

/** Child side: what a generator implements; the loop around it is loadChildServe. */
export interface LoadGenerator<Setup, Run, R> {
  setup(setup: Setup): Promise<void>;
  start(run: Run): void;
  /** Resets the counters and histograms the result reports. */
  measure(): void;
  /** Stops sending; resolves (after any drain) with this case's figures. */
  stop(): Promise<R>;
  /** Cumulative counters for progress lines. */
  counts(): Record<string, number>;
}

function childSend<R>(message: ChildMessage<R>): void {
  process.send?.(message);
}

function cpuNowUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** Runs `generator` under the parent's commands until the IPC channel closes. */
export function loadChildServe<Setup, Run, R>(generator: LoadGenerator<Setup, Run, R>): void {
  if (process.send === undefined) throw new Error('a load generator runs as a forked child');
  let windowStartMs = performance.now();
  let cpuStartUs = cpuNowUs();
  const failed = (err: unknown): void => {
    const reason = err instanceof Error ? err.stack ?? err.message : String(err);
    childSend({ type: 'failed', reason });
  };
  const timer = setInterval(() => {
    childSend({ type: 'progress', counts: generator.counts() });
  }, PROGRESS_INTERVAL_MS);
  process.on('message', (raw) => {
    const message = raw as ParentMessage<Setup, Run>;
    switch (message.type) {
      case 'setup':
        generator.setup(message.setup).then(() => childSend({ type: 'ready' }), failed);
        return;
      case 'start':
        generator.start(message.run);
        return;
      case 'measure':
        generator.measure();
        windowStartMs = performance.now();
        cpuStartUs = cpuNowUs();
        return;
      case 'stop': {
        const windowMs = performance.now() - windowStartMs;
        const cpuUs = cpuNowUs() - cpuStartUs;
        generator.stop().then((data) => {
          childSend({ type: 'result', result: { windowMs, cpuUs, data } });
        }, failed);
        return;
      }
    }
  });
  process.once('disconnect', () => {
    clearInterval(timer);
    process.exit(0);
  });
}

export interface LoadCaseOptions<Run> {
  readonly bench: string;
  readonly run: Run;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Called right after 'measure' went out, and right after 'stop' (e.g. to sample /proc). */
  readonly onWindowStart?: () => void;
  readonly onWindowEnd?: () => void;
  /** One progress line from the summed counter deltas over `seconds`. */
  readonly progressText: (deltas: Readonly<Record<string, number>>, seconds: number) => string;
}

function countsSum(children: readonly { counts: Readonly<Record<string, number>> }[]):
  Record<string, number> {
  const sum: Record<string, number> = {};
  for (const child of children) {
    for (const [key, value] of Object.entries(child.counts)) sum[key] = (sum[key] ?? 0) + value;
  }
  return sum;
}

/** start, warm-up, measure, duration, stop; a progress line on stderr each second. */
export async function loadCaseRun<Setup, Run, R>(
  children: readonly LoadChild<Setup, Run, R>[],
  options: LoadCaseOptions<Run>,
): Promise<LoadResult<R>[]> {
  for (const child of children) child.send({ type: 'start', run: options.run });
  const startedMs = performance.now();
  let last = countsSum(children);
  let lastMs = startedMs;
  const ticker = setInterval(() => {
    const now = performance.now();
    const counts = countsSum(children);
    const deltas: Record<string, number> = {};
    for (const [key, value] of Object.entries(counts)) deltas[key] = value - (last[key] ?? 0);
    const phase = now - startedMs < options.warmupMs ? 'warm-up' : 'measuring';
    const line = options.progressText(deltas, (now - lastMs) / 1000);
    const elapsedS = Math.round((now - startedMs) / 1000);
    const totalS = Math.round((options.warmupMs + options.durationMs) / 1000);
    process.stderr.write(`[${options.bench}] ${progressBar(elapsedS, totalS)} s ${phase}: ` +
      `${line}\n`);
    last = counts;
    lastMs = now;
  }, PROGRESS_INTERVAL_MS);
  try {
    await new Promise((resolve) => setTimeout(resolve, options.warmupMs));
    for (const child of children) child.send({ type: 'measure' });
    options.onWindowStart?.();
    await new Promise((resolve) => setTimeout(resolve, options.durationMs));
    const results = Promise.all(children.map((child) => child.stop()));
    options.onWindowEnd?.();
    return await results;
  } finally {
    clearInterval(ticker);
  }
}
