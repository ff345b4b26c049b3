// Where bench results go: one JSON file per bench invocation in bench/results/, named
// <bench>-<timestamp>.json, holding every case the invocation printed. Files are written whole
// (temp file, then rename) so a reader never sees half a result. Also the number formats the
// human summary lines share.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/results in the source tree (this file runs from dist/bench/lib). */
export const RESULTS_DIR = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

/** `2026-01-31T12-00-00-123Z`: sortable, and valid in a file name everywhere. */
export function resultsStamp(at: Date = new Date()): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

/** Writes `results` to bench/results/<bench>-<stamp>.json; returns the path. */
export function resultsWrite(bench: string, results: unknown): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${bench}-${resultsStamp()}.json`);
  const temp = `${file}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(results, null, 2)}\n`);
  fs.renameSync(temp, file);
  return file;
}

/** 1234567 → '1.23 M', 12345 → '12.3 k'. */
export function rateText(perSec: number): string {
  if (perSec >= 1e6) return `${(perSec / 1e6).toFixed(2)} M`;
  if (perSec >= 1e4) return `${(perSec / 1e3).toFixed(1)} k`;
  if (perSec >= 1e3) return `${(perSec / 1e3).toFixed(2)} k`;
  return perSec.toFixed(1);
}

/** Milliseconds with three significant digits: 0.0123, 1.23, 123. */
export function msText(ms: number): string {
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/**
 * CPU µs spent per operation, from a CPU share (100 = one core) and a rate. Unlike the rate,
 * this hardly moves when other work on a shared box takes cores away from the run.
 */
export function cpuUsPer(cpuPercent: number, perSec: number): number {
  return perSec > 0 ? Math.round((cpuPercent * 10_000 * 100) / perSec) / 100 : 0;
}

const PROGRESS_BAR_CELLS = 20;

/** `[#####---------------] 1/4`: how far a bench is through its cases or its time. */
export function progressBar(done: number, total: number): string {
  const filled = total <= 0 ? 0 : Math.round((Math.min(done, total) / total) * PROGRESS_BAR_CELLS);
  return `[${'#'.repeat(filled)}${'-'.repeat(PROGRESS_BAR_CELLS - filled)}] ${done}/${total}`;
}

/** Progress goes to stderr so stdout stays the human line and the JSON line. */
export function progress(bench: string, text: string): void {
  process.stderr.write(`[${bench}] ${text}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
