// CPU time and memory of another process (the server), from /proc: /proc/<pid>/stat for CPU
// ticks (all threads together), /proc/<pid>/task/<tid>/stat per thread (the shard workers show
// up as the busy ones; Node names every thread 'node'), /proc/<pid>/status for RSS and its peak.
// Linux only; on other systems samples are null and the bench reports no server figures.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** Threads listed per process in a usage report, busiest first. */
const THREADS_REPORTED_MAX = 6;

let ticksPerSecCached: number | undefined;

/** USER_HZ: the unit of utime and stime in /proc (100 on every common Linux). */
function ticksPerSec(): number {
  if (ticksPerSecCached !== undefined) return ticksPerSecCached;
  let value = 100;
  try {
    const text = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2_000 });
    const parsed = Number(text.trim());
    if (Number.isInteger(parsed) && parsed > 0) value = parsed;
  } catch {
    // getconf missing: keep Linux's USER_HZ of 100.
  }
  ticksPerSecCached = value;
  return value;
}

/** utime + stime in ticks from a stat line, or null if it does not parse. */
function statTicks(text: string): number | null {
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

function fileRead(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null; // The process or thread has gone.
  }
}

function statusKib(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

export interface ProcSample {
  readonly atMs: number;
  readonly ticks: number;
  readonly rssKib: number;
  readonly hwmKib: number;
  /** tid → ticks. */
  readonly threads: ReadonlyMap<number, number>;
}

export function procSample(pid: number): ProcSample | null {
  const atMs = performance.now();
  const stat = fileRead(`/proc/${pid}/stat`);
  const status = fileRead(`/proc/${pid}/status`);
  const ticks = stat === null ? null : statTicks(stat);
  if (ticks === null || status === null) return null;
  const threads = new Map<number, number>();
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    // Gone between the reads: no thread figures.
  }
  for (const tid of tids) {
    const text = fileRead(`/proc/${pid}/task/${tid}/stat`);
    const threadTicks = text === null ? null : statTicks(text);
    if (threadTicks !== null) threads.set(Number(tid), threadTicks);
  }
  return {
    atMs,
    ticks,
    rssKib: statusKib(status, 'VmRSS'),
    hwmKib: statusKib(status, 'VmHWM'),
    threads,
  };
}

export interface ProcUsage {
  /** CPU time over wall time, all threads: 200 means two cores busy. */
  readonly cpuPercent: number;
  readonly rssMiB: number;
  readonly hwmMiB: number;
  /** The busiest threads over the window; `main` is the process's first thread. */
  readonly threads: readonly { readonly tid: number; readonly main: boolean;
    readonly cpuPercent: number }[];
}

function percent(ticks: number, wallMs: number): number {
  return Math.round((ticks / ticksPerSec() / (wallMs / 1000)) * 1000) / 10;
}

/** Usage between two samples of process `pid`. */
export function procUsage(pid: number, from: ProcSample, to: ProcSample): ProcUsage {
  const wallMs = Math.max(1, to.atMs - from.atMs);
  const threads = [];
  for (const [tid, ticks] of to.threads) {
    const before = from.threads.get(tid) ?? 0;
    threads.push({ tid, main: tid === pid, cpuPercent: percent(ticks - before, wallMs) });
  }
  threads.sort((a, b) => b.cpuPercent - a.cpuPercent);
  return {
    cpuPercent: percent(to.ticks - from.ticks, wallMs),
    rssMiB: Math.round(to.rssKib / 102.4) / 10,
    hwmMiB: Math.round(to.hwmKib / 102.4) / 10,
    threads: threads.slice(0, THREADS_REPORTED_MAX),
  };
}

/** `181% cpu (72+70+25…), rss 210 MiB`. */
export function procUsageText(usage: ProcUsage): string {
  const threads = usage.threads.slice(0, 4).map((t) => t.cpuPercent.toFixed(0)).join('+');
  return `${usage.cpuPercent.toFixed(0)}% cpu (threads ${threads}…), ` +
    `rss ${usage.rssMiB.toFixed(0)} MiB`;
}

/** The whole machine's CPU ticks (/proc/stat, all cores): busy and total. */
export interface BoxSample {
  readonly busy: number;
  readonly total: number;
}

export function boxSample(): BoxSample | null {
  const stat = fileRead('/proc/stat');
  const line = stat?.split('\n', 1)[0];
  if (line === undefined || !line.startsWith('cpu ')) return null;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/**
 * Busy share of all cores between two samples, in percent of one core (200 = both cores of this
 * box busy). Compared with the server's and the generator's own CPU it shows how much the kernel
 * and other processes on the box took during the window.
 */
export function boxBusyPercent(from: BoxSample, to: BoxSample, cores: number): number {
  const total = to.total - from.total;
  if (total <= 0) return 0;
  return Math.round(((to.busy - from.busy) / total) * cores * 1000) / 10;
}

/**
 * CPU the rest of the box used in the window: box busy minus what the measured processes used
 * (their kernel time is in their own figures). Above a few percent, other work on this shared
 * machine competed with the run, and its numbers are not comparable.
 */
export function otherCpuPercent(box: number | null, ...measured: readonly number[]): number | null {
  if (box === null) return null;
  const own = measured.reduce((sum, value) => sum + value, 0);
  return Math.round((box - own) * 10) / 10;
}

export interface WindowUsage {
  /** The sampled process (the server), or null off Linux. */
  readonly process: ProcUsage | null;
  readonly boxCpuPercent: number | null;
  readonly otherCpuPercent: number | null;
}

/** Samples one process and the whole box at the start and the end of a measured window. */
export class UsageWindow {
  private readonly pid: number;
  private from: ProcSample | null = null;
  private to: ProcSample | null = null;
  private boxFrom: BoxSample | null = null;
  private boxTo: BoxSample | null = null;

  constructor(pid: number) {
    this.pid = pid;
  }

  start(): void {
    this.from = procSample(this.pid);
    this.boxFrom = boxSample();
  }

  end(): void {
    this.to = procSample(this.pid);
    this.boxTo = boxSample();
  }

  /** `measuredElsewherePercent`: CPU of the other processes of the run (the generators). */
  usage(measuredElsewherePercent: number): WindowUsage {
    const { from, to, boxFrom, boxTo } = this;
    const usage = from !== null && to !== null ? procUsage(this.pid, from, to) : null;
    const box = boxFrom !== null && boxTo !== null
      ? boxBusyPercent(boxFrom, boxTo, os.cpus().length) : null;
    return {
      process: usage,
      boxCpuPercent: box,
      otherCpuPercent: otherCpuPercent(box, usage?.cpuPercent ?? 0, measuredElsewherePercent),
    };
  }
}
