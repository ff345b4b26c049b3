// The connections bench's figures: memory snapshots of the server (process, V8 heaps of the
// shards, kernel) turned into bytes per connection, the ramp and the idle hold, and the one
// human summary line. Deltas are over an idle baseline: the server restarted after every user
// logged in (so their devices and tokens are stored), settled, with no connection open.

import type { KernelDelta, KernelSample, ProcMemory } from './mem_probe.js';
import { kernelDelta } from './mem_probe.js';
import type { ProcUsage } from './proc_stat.js';
import { rateText } from './results.js';

/** The scale the issue asks about ("500k connections at ≤ 6 KB each on a 2-core box"). */
export const TARGET_CONNECTIONS = 500_000;
export const TARGET_BYTES_PER_CONNECTION = 6 * 1024;

export interface MemorySnapshot {
  readonly connections: number;
  readonly process: ProcMemory;
  /** Sum of the shards' V8 heaps in use (from /metrics). */
  readonly heapBytes: number;
  readonly kernel: KernelSample;
}

export interface PerConnection {
  /** Server process RSS growth per connection (anonymous + file pages). */
  readonly rssBytes: number;
  /** The anonymous part: memory the process itself allocated (JS heaps, uWS, buffers). */
  readonly rssAnonBytes: number;
  /** The shards' V8 heaps together (part of rssAnon). */
  readonly heapBytes: number;
}

export interface KernelPerConnection {
  readonly delta: KernelDelta;
  /** Socket slab caches' growth ÷ sockets opened (loopback: both ends of every connection are
   * on this box, so this is one end's share, the server's). */
  readonly slabBytesPerSocket: number | null;
  /** All slab growth ÷ sockets: an upper bound (box-wide, other work on the box included). */
  readonly allSlabBytesPerSocket: number | null;
  readonly tcpBufferBytesPerConnection: number | null;
}

export interface RampFigures {
  readonly transport: 'ws' | 'tcp';
  readonly connections: number;
  readonly seconds: number;
  readonly connectsPerSec: number;
  readonly server: ProcUsage | null;
  readonly generatorCpuPercent: number;
  /** The whole box, and what other work on it took (the ramp competes with it for CPU). */
  readonly boxCpuPercent: number | null;
  readonly otherCpuPercent: number | null;
  /** This step's connections only: memory delta from the snapshot before the step. */
  readonly perConnection: PerConnection;
}

export interface HoldFigures {
  readonly windowMs: number;
  readonly server: ProcUsage | null;
  /** The server's CPU with no connection (the idle baseline, before the ramp). */
  readonly baselineCpuPercent: number | null;
  /** Server CPU above the baseline per held connection per second (× 500k = the cost of
   * holding them). */
  readonly serverCpuUsPerConnectionSec: number | null;
  readonly generatorCpuPercent: number;
  readonly heartbeatsPerSec: number;
  /** Connections the server closed during the window: must be 0. */
  readonly closed: number;
  readonly open: number;
  /** Over the window's one-second Stats, all shards: median and worst p99, worst max. */
  readonly loopLagP99MsMedian: number;
  readonly loopLagP99MsMax: number;
  readonly loopLagMaxMs: number;
  readonly boxCpuPercent: number | null;
  readonly otherCpuPercent: number | null;
}

export function perConnection(from: MemorySnapshot, to: MemorySnapshot): PerConnection {
  const count = Math.max(1, to.connections - from.connections);
  const per = (bytes: number): number => Math.round(bytes / count);
  return {
    rssBytes: per(to.process.rssBytes - from.process.rssBytes),
    rssAnonBytes: per(to.process.rssAnonBytes - from.process.rssAnonBytes),
    heapBytes: per(to.heapBytes - from.heapBytes),
  };
}

export function kernelPerConnection(from: MemorySnapshot, to: MemorySnapshot):
  KernelPerConnection {
  const delta = kernelDelta(from.kernel, to.kernel);
  const count = Math.max(1, to.connections - from.connections);
  return {
    delta,
    slabBytesPerSocket: delta.socketSlabBytes === null ? null
      : Math.round(delta.socketSlabBytes / 2 / count),
    allSlabBytesPerSocket: delta.slabBytes === null ? null
      : Math.round(delta.slabBytes / 2 / count),
    tcpBufferBytesPerConnection: delta.tcpBufferBytes === null ? null
      : Math.round(delta.tcpBufferBytes / count),
  };
}

export interface Extrapolation {
  readonly connections: number;
  /** Server process (RSS per connection) and its kernel sockets (one end's slab share). */
  readonly processGiB: number;
  readonly kernelGiB: number | null;
  readonly bytesPerConnection: number;
  readonly meetsTarget: boolean;
  /** Cores the server would spend just holding them idle (at this run's heartbeat rate). */
  readonly holdCores: number | null;
}

export function extrapolate(total: PerConnection, kernel: KernelPerConnection,
  hold: HoldFigures): Extrapolation {
  const gib = (bytes: number): number => Math.round((bytes * TARGET_CONNECTIONS) / 2 ** 27) / 8;
  const kernelBytes = kernel.slabBytesPerSocket === null ? null
    : kernel.slabBytesPerSocket + (kernel.tcpBufferBytesPerConnection ?? 0);
  const bytes = total.rssBytes + (kernelBytes ?? 0);
  const usPerSec = hold.serverCpuUsPerConnectionSec;
  return {
    connections: TARGET_CONNECTIONS,
    processGiB: gib(total.rssBytes),
    kernelGiB: kernelBytes === null ? null : gib(kernelBytes),
    bytesPerConnection: bytes,
    meetsTarget: bytes <= TARGET_BYTES_PER_CONNECTION,
    holdCores: usPerSec === null ? null
      : Math.round((usPerSec * TARGET_CONNECTIONS) / 10_000) / 100,
  };
}

function bytesText(bytes: number | null): string {
  return bytes === null ? 'n/a' : `${bytes} B`;
}

/** Connects per second of one transport over all its ramp steps. */
function rampRate(ramps: readonly RampFigures[], transport: 'ws' | 'tcp'): string {
  const own = ramps.filter((r) => r.transport === transport);
  const count = own.reduce((sum, r) => sum + r.connections, 0);
  const seconds = own.reduce((sum, r) => sum + r.seconds, 0);
  const other = own.map((r) => r.otherCpuPercent ?? NaN);
  return count === 0 ? '' : `${transport} ${rateText(count / seconds)}/s (other CPU ` +
    `${Math.round(Math.min(...other))}–${Math.round(Math.max(...other))}%)`;
}

/** The one human line: memory per connection, connect rate, the hold, the 500k outlook. */
export function connectionsText(n: number, ramps: readonly RampFigures[],
  total: PerConnection, kernel: KernelPerConnection, hold: HoldFigures,
  outlook: Extrapolation, generatorRssBytes: number): string {
  // The last step of each transport is its marginal cost (the first ones pay one-time growth).
  const perTransport = (['ws', 'tcp'] as const).map((t) => ramps.filter((r) => r.transport === t))
    .filter((own) => own.length > 0)
    .map((own) => `${own[0]!.transport} ${own[own.length - 1]!.perConnection.rssBytes}`);
  const rates = [rampRate(ramps, 'ws'), rampRate(ramps, 'tcp')].filter((r) => r !== '');
  return `connections  ${n}: server rss +${total.rssBytes} B/conn marginal (anon ` +
    `${total.rssAnonBytes}, V8 heap ${total.heapBytes}; ${perTransport.join(', ')}) + kernel ` +
    `${bytesText(kernel.slabBytesPerSocket)}/socket | connect ${rates.join(', ')} | hold ` +
    `${(hold.windowMs / 1000).toFixed(0)} s: server ${hold.server?.cpuPercent ?? 'n/a'}% cpu ` +
    `(${hold.baselineCpuPercent ?? 'n/a'}% with none), ` +
    `loop lag p99 ${hold.loopLagP99MsMedian} ms (worst ${hold.loopLagP99MsMax}, max ` +
    `${hold.loopLagMaxMs}), heartbeats ${rateText(hold.heartbeatsPerSec)}/s, closed ` +
    `${hold.closed} | generators ${hold.generatorCpuPercent.toFixed(0)}% cpu, rss ` +
    `${Math.round(generatorRssBytes / 2 ** 20)} MiB | 500k: ${outlook.bytesPerConnection} ` +
    `B/conn = ${outlook.processGiB} GiB process + ${outlook.kernelGiB ?? 'n/a'} GiB kernel, ` +
    `${outlook.meetsTarget ? 'meets' : 'misses'} 6 KiB, hold ${outlook.holdCores ?? 'n/a'} cores`;
}
