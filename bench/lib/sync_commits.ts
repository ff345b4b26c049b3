// The measuring loop of the LMDB limit benches: synchronous, fsync'd transactions back to back
// for a warm-up and then a measured window, with progress once a second, each commit's time,
// and the process's and the box's CPU over the window.

import os from 'node:os';
import type { RootDatabase } from 'lmdb';
import { latencyHistogram, latencyRecord, latencySummary } from './histogram.js';
import type { LatencySummary } from './histogram.js';
import { boxBusyPercent, boxSample } from './proc_stat.js';
import { progress, rateText } from './results.js';

export interface SyncCommitsWindow {
  /** Units (puts, messages) written in the measured window. */
  readonly units: number;
  readonly unitsPerSec: number;
  readonly windowMs: number;
  readonly commit: LatencySummary;
  /** This process's CPU in the window (100 = one core) and the kernel's share of it, %. */
  readonly cpuPercent: number;
  readonly systemSharePercent: number;
  readonly boxCpuPercent: number | null;
}

export interface SyncCommitsRun {
  readonly bench: string;
  /** Progress label, and the unit counted ('puts', 'msgs'). */
  readonly label: string;
  readonly unit: string;
  readonly env: RootDatabase;
  /** Fills one transaction with `unitsPerTxn` units. */
  readonly transaction: () => void;
  readonly unitsPerTxn: number;
  readonly warmupMs: number;
  readonly timeMs: number;
}

export function syncCommitsMeasure(run: SyncCommitsRun): SyncCommitsWindow {
  const commits = latencyHistogram();
  const runFor = (ms: number, measuring: boolean): number => {
    let units = 0;
    const started = performance.now();
    let nextProgress = started + 1_000;
    while (performance.now() - started < ms) {
      const before = performance.now();
      run.env.transactionSync(run.transaction);
      const now = performance.now();
      if (measuring) latencyRecord(commits, (now - before) * 1000);
      units += run.unitsPerTxn;
      if (now >= nextProgress) {
        progress(run.bench, `${run.label}: ${measuring ? 'measuring' : 'warm-up'}, ` +
          `${rateText((units * 1000) / (now - started))} ${run.unit}/s`);
        nextProgress = now + 1_000;
      }
    }
    return units;
  };
  runFor(run.warmupMs, false);
  const started = performance.now();
  const cpuFrom = process.cpuUsage();
  const boxFrom = boxSample();
  const units = runFor(run.timeMs, true);
  const boxTo = boxSample();
  const cpu = process.cpuUsage(cpuFrom);
  const windowMs = performance.now() - started;
  return {
    units,
    unitsPerSec: Math.round((units * 1000) / windowMs),
    windowMs: Math.round(windowMs),
    commit: latencySummary(commits),
    cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / windowMs) * 1000) / 10,
    systemSharePercent: Math.round((cpu.system / Math.max(1, cpu.user + cpu.system)) * 100),
    boxCpuPercent: boxFrom !== null && boxTo !== null
      ? boxBusyPercent(boxFrom, boxTo, os.cpus().length) : null,
  };
}
