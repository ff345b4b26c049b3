// The summary table of `npm run bench` (bench/run.ts): its row shape, the number formats it
// shares, and the rows that judge issue 3's targets against the limits measured in the same run.

import os from 'node:os';
import type { Json } from './medians.js';
import { msText, rateText } from './results.js';

export interface Row {
  readonly scenario: string;
  readonly result: string;
  readonly ratio: string;
}

/** Each step's case results, by step name. */
export type SuiteResults = Readonly<Record<string, Json[]>>;

export function num(result: Json | undefined, key: string): number {
  const value = result?.[key];
  return typeof value === 'number' ? value : NaN;
}

export function latencyText(result: Json | undefined, key: string): string {
  const latency = result?.[key] as Json | undefined;
  return `${msText(num(latency, 'p50Ms'))} / ${msText(num(latency, 'p99Ms'))} / ` +
    `${msText(num(latency, 'p999Ms'))} ms`;
}

export function percentText(ratio: number): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(2)}%` : 'n/a';
}

/** Issue 3's targets that the quick suite measures. */
export const TARGET_MSGS_PER_SEC = 50_000;
export const TARGET_SHARE_OF_ECHO = 0.25;
export const TARGET_DELIVER_P99_MS = 10;
export const TARGET_DELIVER_RATE_PER_SEC = 10_000;
/** Frames through uWS per 1:1 message: MS in, ack and MN out. */
const FRAMES_PER_MESSAGE = 3;

/** The figures a target row is judged with, found in one suite run. */
export interface TargetInputs {
  readonly closed: Json | undefined;
  /** The open loop at TARGET_DELIVER_RATE_PER_SEC. */
  readonly open: Json | undefined;
  readonly echo: Json | undefined;
  /** limits_lmdb_message for the 1:1 bench's users. */
  readonly storage: Json | undefined;
  /** limits_lmdb_chain at TARGET_DELIVER_RATE_PER_SEC. */
  readonly chain: Json | undefined;
}

function status(met: boolean | null): string {
  return met === null ? 'n/a' : met ? 'MET' : 'not met';
}

/**
 * One row per target: the result, met or not, and the limit beside it — for throughput what the
 * building blocks alone (storage puts, frames, the generator) leave of the box's cores, for
 * latency the storage floor of two durable commits in a row.
 */
export function targetRows(inputs: TargetInputs): Row[] {
  const { closed, open, echo, storage, chain } = inputs;
  const acked = num(closed, 'ackedPerSec');
  const perMessage = num(storage, 'cpuUsPerMsg') +
    FRAMES_PER_MESSAGE * num(echo, 'serverCpuUsPerMsg') + num(closed, 'generatorCpuUsPerMsg');
  const ceiling = (os.cpus().length * 1e6) / perMessage;
  const share = acked / num(echo, 'msgsPerSec');
  const p99 = num(open?.['deliver'] as Json | undefined, 'p99Ms');
  const floor = num(chain?.['deliver'] as Json | undefined, 'p99Ms');
  const known = (value: number, met: boolean): boolean | null =>
    (Number.isFinite(value) ? met : null);
  return [
    { scenario: `target: 1:1 ≥ ${rateText(TARGET_MSGS_PER_SEC)} msgs/s`,
      result: `${rateText(acked)} msgs/s: ${status(known(acked, acked >= TARGET_MSGS_PER_SEC))}`,
      ratio: `building blocks alone allow ≤ ${rateText(ceiling)} msgs/s here ` +
        `(${perMessage.toFixed(1)} µs/msg on ${os.cpus().length} cores)` },
    { scenario: `target: 1:1 ≥ ${percentText(TARGET_SHARE_OF_ECHO)} of raw echo`,
      result: `${percentText(share)}: ${status(known(share, share >= TARGET_SHARE_OF_ECHO))}`,
      ratio: `the puts alone cost ${num(storage, 'cpuUsPerMsg')} µs/msg, an echo ` +
        `${num(echo, 'serverCpuUsPerMsg')}` },
    { scenario: `target: deliver p99 ≤ ${TARGET_DELIVER_P99_MS} ms at ` +
        `${rateText(TARGET_DELIVER_RATE_PER_SEC)}/s`,
      result: `${msText(p99)} ms: ${status(known(p99, p99 <= TARGET_DELIVER_P99_MS))}`,
      ratio: `storage floor (2 durable commits) p99 ${msText(floor)} ms; ` +
        `${(p99 / floor).toFixed(1)}× it` },
  ];
}
