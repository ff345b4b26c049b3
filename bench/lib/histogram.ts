// Latency histograms (HdrHistogram via hdr-histogram-js): values recorded in microseconds with
// three significant digits, merged across load-generator processes by their compressed base64
// encoding, summarised in milliseconds.

import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
} from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export type { Histogram };

/** Largest latency kept exactly; longer ones are recorded as this (a run that slow is broken). */
export const LATENCY_US_MAX = 60_000_000;

export function latencyHistogram(): Histogram {
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_US_MAX,
    numberOfSignificantValueDigits: 3,
  });
}

/** Records `us` microseconds, clamped to [1, LATENCY_US_MAX]. */
export function latencyRecord(histogram: Histogram, us: number): void {
  histogram.recordValue(Math.min(LATENCY_US_MAX, Math.max(1, Math.round(us))));
}

export function histogramEncode(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/** Sum of the encoded histograms. */
export function histogramMerge(encoded: readonly string[]): Histogram {
  const total = latencyHistogram();
  for (const text of encoded) {
    const part = decodeFromCompressedBase64(text);
    total.add(part);
    part.destroy();
  }
  return total;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly p999Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
}

function ms(us: number): number {
  return Math.round(us) / 1000;
}

export function latencySummary(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) {
    return { count: 0, p50Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0, meanMs: 0 };
  }
  return {
    count: histogram.totalCount,
    p50Ms: ms(histogram.getValueAtPercentile(50)),
    p99Ms: ms(histogram.getValueAtPercentile(99)),
    p999Ms: ms(histogram.getValueAtPercentile(99.9)),
    maxMs: ms(histogram.maxValue),
    meanMs: ms(histogram.mean),
  };
}
