// Summaries of V8 .cpuprofile files (node --cpu-prof): self time per function, busiest first.
// Node writes one file per thread, named CPU.<date>.<pid>.<thread id>.<seq>.cpuprofile, so
// thread 0 is the main thread and 1… are the workers (the shards).

import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly where: string;
  readonly selfMs: number;
  readonly selfPercent: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** From the file name; 0 is the main thread. */
  readonly thread: number | null;
  readonly sampledMs: number;
  /** Share of samples that were not '(idle)'. */
  readonly busyPercent: number;
  readonly top: readonly ProfileEntry[];
}

function whereOf(url: string, line: number): string {
  if (url === '') return '';
  const marker = url.lastIndexOf('/dist/');
  const short = marker >= 0 ? url.slice(marker + 6) : url.replace(/^.*node_modules\//, '');
  return `${short}:${line + 1}`;
}

export function profileSummarize(file: string, topCount: number): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, { name: string; where: string; us: number }>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < samples.length; i++) {
    // Delta i is the time before sample i; the time after the last sample is unknown.
    const us = deltas[i + 1] ?? 0;
    const node = byId.get(samples[i]!);
    if (node === undefined) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    const where = whereOf(url, lineNumber);
    const key = `${name}@${where}`;
    const entry = selfUs.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
    totalUs += us;
    if (name === '(idle)') idleUs += us;
  }
  const top = [...selfUs.values()]
    .filter((entry) => entry.name !== '(idle)')
    .sort((a, b) => b.us - a.us)
    .slice(0, topCount)
    .map((entry) => ({
      name: entry.name,
      where: entry.where,
      selfMs: Math.round(entry.us / 100) / 10,
      selfPercent: totalUs === 0 ? 0 : Math.round((entry.us / totalUs) * 1000) / 10,
    }));
  const thread = /\.\d+\.(\d+)\.\d+\.cpuprofile$/.exec(path.basename(file))?.[1];
  return {
    file,
    thread: thread === undefined ? null : Number(thread),
    sampledMs: Math.round(totalUs / 1000),
    busyPercent: totalUs === 0 ? 0 : Math.round(((totalUs - idleUs) / totalUs) * 1000) / 10,
    top,
  };
}

/** Every .cpuprofile in `dir`, main thread first. */
export function profileDirSummarize(dir: string, topCount: number): ProfileSummary[] {
  const files = fs.readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'));
  return files
    .map((name) => profileSummarize(path.join(dir, name), topCount))
    .sort((a, b) => (a.thread ?? 0) - (b.thread ?? 0));
}

export function profileSummaryText(summary: ProfileSummary): string {
  const thread = summary.thread === null ? '?' : summary.thread === 0 ? '0 (main)' : summary.thread;
  const lines = [`thread ${thread}: ${summary.sampledMs} ms sampled, ` +
    `${summary.busyPercent}% busy — ${path.basename(summary.file)}`];
  for (const entry of summary.top) {
    lines.push(`  ${entry.selfPercent.toFixed(1).padStart(5)}%  ${entry.name}  ${entry.where}`);
  }
  return lines.join('\n');
}

export interface InclusiveEntry {
  readonly name: string;
  readonly where: string;
  /** Share of the busy (not idle) samples with this function anywhere on the stack. */
  readonly inclusivePercent: number;
  readonly selfPercent: number;
}

/** Inclusive time per function (a function counted once per sample however deep it recurs),
 * as shares of the thread's busy samples: where the time goes under a caller. */
export function profileInclusive(file: string, topCount: number): InclusiveEntry[] {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const keyOf = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    return `${functionName === '' ? '(anonymous)' : functionName}\u0000${whereOf(url, lineNumber)}`;
  };
  const inclusive = new Map<string, number>();
  const self = new Map<string, number>();
  let busy = 0;
  for (const sample of profile.samples ?? []) {
    const node = byId.get(sample);
    if (node === undefined || node.callFrame.functionName === '(idle)') continue;
    busy++;
    self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = sample; id !== undefined; id = parentOf.get(id)) {
      const frame = byId.get(id);
      if (frame === undefined) break;
      const key = keyOf(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + 1);
    }
  }
  const percent = (count: number): number => (busy === 0 ? 0 : Math.round((count / busy) * 1000) / 10);
  return [...inclusive]
    .filter(([key]) => !key.startsWith('(root)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, topCount)
    .map(([key, count]) => {
      const [name = '', where = ''] = key.split('\u0000');
      return { name, where, inclusivePercent: percent(count), selfPercent: percent(self.get(key) ?? 0) };
    });
}
