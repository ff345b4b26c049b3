// The latency limit of a cross-shard 1:1 message on this box: it is made durable twice in a
// row, by the sender's shard (the ack waits for that) and then by the receiver's (the push
// waits for that). Two worker threads with an LMDB environment each (bench/lib/
// lmdb_chain_stage.ts) group-commit messages sent at a fixed rate; a message goes to the
// second stage once the first's transaction is durable. Send→first durable is the floor of
// one_to_one's send→ack, send→second durable the floor of its send→deliver, both measured
// from the intended send time (no coordinated omission). No frames, no actors, no JavaScript
// beyond the puts: what the storage allows, not what Magpie does.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { cliFail, cliParse } from './lib/cli.js';
import { benchEnv, benchEnvText } from './lib/env.js';
import type { BenchEnv } from './lib/env.js';
import { latencyHistogram, latencyRecord, latencySummary } from './lib/histogram.js';
import type { Histogram, LatencySummary } from './lib/histogram.js';
import type { CpuBurnerData } from './lib/cpu_burner.js';
import type { ChainStageData } from './lib/lmdb_chain_stage.js';
import { boxBusyPercent, boxSample, otherCpuPercent } from './lib/proc_stat.js';
import { cpuUsPer, msText, progress, progressBar, rateText, resultsWrite, sleep }
  from './lib/results.js';

const BENCH = 'limits_lmdb_chain';
const ABOUT = `${BENCH}: two durable LMDB commits in a row (sender's shard, then receiver's) at
fixed rates: the floor of send→ack and send→deliver. Usage: node dist/bench/${BENCH}.js [options]`;

const DURATION_MS_MAX = 600_000;
const RATE_PER_SEC_MAX = 200_000;
const PUTS_PER_MESSAGE_MAX = 100;
/** How often the sender wakes to send what is due (timers fire no finer on Node). */
const SEND_TICK_MS = 1;
/** After the window, how long messages still in the stages may take to come back. */
const DRAIN_MS_MAX = 10_000;
const STAGE_SCRIPT = fileURLToPath(new URL('./lib/lmdb_chain_stage.js', import.meta.url));
const BURNER_SCRIPT = fileURLToPath(new URL('./lib/cpu_burner.js', import.meta.url));

const options = cliParse(ABOUT, {
  time: { help: 'measuring time per rate', default: 5_000, arg: 'ms' },
  warmup: { help: 'warm-up time per rate', default: 1_000, arg: 'ms' },
  rate: { help: 'messages/s, comma-separated, one case each', default: '5000,10000', arg: 'list' },
  puts: { help: 'increasing-key puts per message in each stage', default: 2 },
  busy: { help: 'keep every core this % busy meanwhile (0: a quiet box, the limit)', default: 0,
    arg: 'percent' },
});

export interface LmdbChainResult {
  readonly bench: typeof BENCH;
  readonly case: string;
  /** 'open': a fixed rate, judged by its latencies like one_to_one's open loop. */
  readonly mode: 'open';
  readonly ratePerSec: number;
  readonly putsPerMessage: number;
  /** Every core kept this % busy by other threads (0: the limit on a quiet box). */
  readonly busyPercent: number;
  /** Send → durable in the first stage (floor of send→ack). */
  readonly ack: LatencySummary;
  /** Send → durable in the second stage (floor of send→deliver). */
  readonly deliver: LatencySummary;
  /** Transactions per second per stage, and messages per transaction. */
  readonly commitsPerSec: number;
  readonly messagesPerCommit: number;
  readonly windowMs: number;
  /** This process's CPU in the window (100 = one core, both stages and the sender). */
  readonly cpuPercent: number;
  readonly cpuUsPerMsg: number;
  readonly boxCpuPercent: number | null;
  readonly otherCpuPercent: number | null;
  readonly config: typeof options;
  readonly at: string;
  readonly env: BenchEnv;
}

interface Stage {
  readonly worker: Worker;
  readonly dir: string;
}

function stageStart(data: Omit<ChainStageData, 'dir'>, transfer: MessageChannel['port1'][]): Stage {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-bench-chain-'));
  const stageData: ChainStageData = { ...data, dir };
  const worker = new Worker(STAGE_SCRIPT, { workerData: stageData, transferList: transfer });
  worker.on('error', (error) => cliFail(`${BENCH}: a stage failed: ${String(error)}`));
  return { worker, dir };
}

async function stageStop(stage: Stage): Promise<void> {
  await stage.worker.terminate();
  fs.rmSync(stage.dir, { recursive: true, force: true });
}

/** Durable messages arriving from a stage: recorded when sent inside the window. */
class Arrivals {
  readonly latency: Histogram = latencyHistogram();
  commits = 0;
  messages = 0;
  /** Messages of the window not back yet (counted for the last stage: the drain waits on it). */
  outstanding = 0;
  windowStart = Infinity;
  windowEnd = Infinity;

  arrived(times: Float64Array): void {
    const now = performance.now();
    let inside = 0;
    for (const sentAt of times) {
      if (sentAt < this.windowStart || sentAt >= this.windowEnd) continue;
      latencyRecord(this.latency, (now - sentAt) * 1000);
      inside++;
    }
    this.outstanding -= inside;
    if (inside > 0) {
      this.commits++;
      this.messages += inside;
    }
  }
}

async function caseRun(rate: number): Promise<LmdbChainResult> {
  const link = new MessageChannel();
  const first = stageStart({ putsPerMessage: options.puts, forward: link.port1 }, [link.port1]);
  const second = stageStart({ putsPerMessage: options.puts, input: link.port2 }, [link.port2]);
  const acked = new Arrivals();
  const delivered = new Arrivals();
  first.worker.on('message', (times: Float64Array) => acked.arrived(times));
  second.worker.on('message', (times: Float64Array) => delivered.arrived(times));
  const burners = Array.from({ length: options.busy > 0 ? os.cpus().length : 0 }, () =>
    new Worker(BURNER_SCRIPT, { workerData: { percent: options.busy } satisfies CpuBurnerData }));
  const name = `chain ${rate}/s ×${options.puts} puts` +
    (options.busy > 0 ? `, cores ${options.busy}% busy` : '');
  const startedAt = performance.now();
  const measureAt = startedAt + options.warmup;
  const endAt = measureAt + options.time;
  for (const arrivals of [acked, delivered]) {
    arrivals.windowStart = measureAt;
    arrivals.windowEnd = endAt;
  }
  let sent = 0;
  let cpuFrom = process.cpuUsage();
  let boxFrom = boxSample();
  let measuring = false;
  let nextProgress = startedAt + 1_000;
  while (performance.now() < endAt) {
    const now = performance.now();
    if (!measuring && now >= measureAt) {
      measuring = true;
      cpuFrom = process.cpuUsage();
      boxFrom = boxSample();
    }
    const due = Math.floor(((now - startedAt) * rate) / 1000);
    if (due > sent) {
      const batch = new Float64Array(due - sent);
      for (let i = 0; i < batch.length; i++) batch[i] = startedAt + ((sent + i) * 1000) / rate;
      const inside = batch.filter((t) => t >= measureAt && t < endAt).length;
      delivered.outstanding += inside;
      first.worker.postMessage(batch);
      sent = due;
    }
    if (now >= nextProgress) {
      const elapsed = Math.round((now - startedAt) / 1000);
      const total = Math.round((endAt - startedAt) / 1000);
      progress(BENCH, `${progressBar(elapsed, total)} s ${measuring ? 'measuring' : 'warm-up'}: ` +
        `${name}, deliver p99 so far ${msText(latencySummary(delivered.latency).p99Ms)} ms`);
      nextProgress += 1_000;
    }
    await sleep(SEND_TICK_MS);
  }
  const cpu = process.cpuUsage(cpuFrom);
  const boxTo = boxSample();
  const windowMs = performance.now() - measureAt;
  const drainUntil = performance.now() + DRAIN_MS_MAX;
  while (delivered.outstanding > 0 && performance.now() < drainUntil) await sleep(SEND_TICK_MS);
  await Promise.all([stageStop(first), stageStop(second),
    ...burners.map((burner) => burner.terminate())]);
  if (delivered.outstanding > 0) cliFail(`${name}: ${delivered.outstanding} messages not durable`);
  const boxCpuPercent = boxFrom !== null && boxTo !== null
    ? boxBusyPercent(boxFrom, boxTo, os.cpus().length) : null;
  return resultOf(name, rate, { acked, delivered, windowMs, cpu, boxCpuPercent });
}

function resultOf(name: string, rate: number, window: { acked: Arrivals; delivered: Arrivals;
  windowMs: number; cpu: NodeJS.CpuUsage; boxCpuPercent: number | null }): LmdbChainResult {
  const { acked, delivered, windowMs, cpu, boxCpuPercent } = window;
  const cpuPercent = Math.round(((cpu.user + cpu.system) / 1000 / windowMs) * 1000) / 10;
  const perSec = (acked.messages * 1000) / windowMs;
  return {
    bench: BENCH, case: name, mode: 'open', ratePerSec: rate, putsPerMessage: options.puts,
    busyPercent: options.busy, ack: latencySummary(acked.latency),
    deliver: latencySummary(delivered.latency),
    commitsPerSec: Math.round((acked.commits * 1000) / windowMs),
    messagesPerCommit: Math.round((acked.messages / Math.max(1, acked.commits)) * 10) / 10,
    windowMs: Math.round(windowMs), cpuPercent, cpuUsPerMsg: cpuUsPer(cpuPercent, perSec),
    boxCpuPercent, otherCpuPercent: otherCpuPercent(boxCpuPercent, cpuPercent),
    config: options, at: new Date().toISOString(), env: benchEnv(),
  };
}

function ratesParse(text: string): number[] {
  const rates = text.split(',').map((part) => Number(part.trim()));
  if (rates.some((rate) => !Number.isInteger(rate) || rate < 1 || rate > RATE_PER_SEC_MAX)) {
    cliFail(`--rate: each must be an integer in 1..${RATE_PER_SEC_MAX}`);
  }
  return rates;
}

async function main(): Promise<void> {
  const rates = ratesParse(options.rate);
  const bounded = (value: number, min: number, max: number): boolean =>
    Number.isInteger(value) && value >= min && value <= max;
  if (!bounded(options.time, 1, DURATION_MS_MAX) || !bounded(options.warmup, 0, DURATION_MS_MAX) ||
    !bounded(options.puts, 1, PUTS_PER_MESSAGE_MAX) || !bounded(options.busy, 0, 100)) {
    cliFail(`--time 1..${DURATION_MS_MAX}, --warmup ≤ ${DURATION_MS_MAX} ms, ` +
      `--puts 1..${PUTS_PER_MESSAGE_MAX}, --busy 0..100`);
  }
  process.stdout.write(`# ${BENCH}: ${benchEnvText()}\n`);
  const results: LmdbChainResult[] = [];
  for (const rate of rates) {
    const result = await caseRun(rate);
    results.push(result);
    const { ack, deliver } = result;
    process.stdout.write(`${BENCH}  ${result.case}: first durable p50 ${msText(ack.p50Ms)} p99 ` +
      `${msText(ack.p99Ms)} ms | second durable p50 ${msText(deliver.p50Ms)} p99 ` +
      `${msText(deliver.p99Ms)} p999 ${msText(deliver.p999Ms)} ms | ` +
      `${rateText(result.commitsPerSec)} commits/s × ${result.messagesPerCommit} msgs | ` +
      `cpu ${result.cpuPercent}%, box ${result.boxCpuPercent ?? 'n/a'}% ` +
      `(other ${result.otherCpuPercent ?? 'n/a'}%)\n`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  progress(BENCH, `wrote ${resultsWrite(BENCH, results)}`);
}

await main();
