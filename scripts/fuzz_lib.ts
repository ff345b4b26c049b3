// The fuzz loop (scripts/fuzz.ts is its CLI; test/fuzz.integration.ts runs a short one): start the
// real server, log in fuzz users and three probe users, then run short-lived fuzz connections,
// at most `parallel` at a time, until `frames` units are sent or `durationS` passes. Every
// `probeEvery` units a liveness probe runs and the server's memory is sampled. The verdict: the
// process never exited, no shard crashed, every probe passed, every server answer was well-formed,
// and anonymous RSS grew by at most `rssGrowthMaxMib`.

import { login } from '../src/client/index.js';
import { SubSignal } from '../src/protocol/signals.js';
import { tcpEpisode, wsEpisode } from './fuzz_episodes.js';
import {
  compatPlan,
  nativePlan,
  type Credential,
  type EpisodeContext,
  type FuzzStats,
} from './fuzz_plans.js';
import { Liveness, type ProbeResult } from './fuzz_probe.js';
import { fuzzServerStart, type FuzzServer, type MemorySample } from './fuzz_server.js';
import { Rng } from './fuzz_values.js';

export interface FuzzOptions {
  /** Units (frames, texts, noise blobs) to send in total. */
  readonly frames: number;
  readonly seed: number;
  /** Hard bound on the fuzzing phase, whatever `frames` says. */
  readonly durationS: number;
  /** Fuzz connections in flight at once. */
  readonly parallel: number;
  /** Units between liveness probes (and memory samples). */
  readonly probeEvery: number;
  readonly shards: number;
  /** Allowed growth of the server's anonymous RSS from start to end. */
  readonly rssGrowthMaxMib: number;
  readonly users: number;
  readonly devicesPerUser: number;
  readonly log: (line: string) => void;
}

export const FUZZ_DEFAULTS: FuzzOptions = {
  frames: 1_000_000,
  seed: 42,
  durationS: 600,
  parallel: 24,
  probeEvery: 10_000,
  shards: 2,
  rssGrowthMaxMib: 256,
  users: 4,
  devicesPerUser: 4,
  log: () => undefined,
};

/** Consecutive failed probes after which the run stops early: the server is gone or stuck. */
const PROBE_FAILURES_TO_STOP = 3;
/** Server answers that broke the protocol, kept verbatim for the report. */
const BAD_SAMPLES_MAX = 10;
/** Time the server gets to settle before the last memory sample. */
const SETTLE_MS = 1_000;
/** Slowest connections listed in the summary. */
const SLOWEST_KEPT = 5;

interface Memory {
  start: MemorySample | null;
  peak: MemorySample | null;
  end: MemorySample | null;
}

export interface FuzzSummary {
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly seed: number;
  readonly framesPerSec: number;
  readonly durationS: number;
  readonly stats: FuzzStats & { relogins: number; gidsKnown: number };
  readonly probes: { count: number; failed: number; p50Ms: number; maxMs: number };
  readonly rssMib: { start: number; peak: number; end: number; hwm: number };
  readonly rssAnonMib: { start: number; peak: number; end: number };
  readonly serverExit: string | null;
  readonly incidents: readonly string[];
  readonly badSamples: readonly string[];
  readonly slowest: readonly { episode: number; kind: string; ms: number }[];
}

function mib(kib: number | undefined): number {
  return Math.round(((kib ?? 0) / 1024) * 10) / 10;
}

interface Fleet {
  readonly credentials: Credential[];
  /** The public ports and every owner shard's direct ports the fuzz users were routed to. */
  readonly tcpPorts: number[];
  readonly wsPorts: number[];
}

async function fleetLogin(
  server: FuzzServer,
  options: FuzzOptions,
  mobileBase: number,
): Promise<Fleet> {
  const credentials: Credential[] = [];
  const tcp = new Set([server.ports.tcp]);
  const ws = new Set([server.ports.ws]);
  for (let user = 0; user < options.users; user++) {
    const mobile = String(mobileBase + user);
    for (let device = 0; device < options.devicesPerUser; device++) {
      const deviceId = `fuzz-${user}-${device}`;
      const result = await login(server.httpBase, mobile, deviceId);
      tcp.add(result.endpoints.tcpPort);
      ws.add(result.endpoints.wsPort);
      credentials.push({
        mobile,
        deviceId,
        uid: result.userId,
        token: result.token,
        compatToken: result.compatToken,
        busy: false,
        stale: false,
      });
    }
  }
  return { credentials, tcpPorts: [...tcp], wsPorts: [...ws] };
}

export async function fuzzRun(given: Partial<FuzzOptions>): Promise<FuzzSummary> {
  const options: FuzzOptions = { ...FUZZ_DEFAULTS, ...given };
  const log = options.log;
  const server = await fuzzServerStart(options.shards);
  const liveness: Liveness[] = [];
  try {
    const mobileBase = 15_000_000_000 + (options.seed % 1_000_000) * 100;
    const fleet = await fleetLogin(server, options, mobileBase);
    liveness.push(await Liveness.start(server, mobileBase + 50, `seed ${options.seed}`));
    const ports = `tcp ports ${fleet.tcpPorts.join(',')}, ws ports ${fleet.wsPorts.join(',')}`;
    log(`fuzz: server pid ${server.pid}, ${ports}`);
    return await fuzzLoop(options, server, fleet, liveness[0]!);
  } finally {
    for (const probe of liveness) probe.close();
    await server.stop();
  }
}

async function fuzzLoop(
  options: FuzzOptions,
  server: FuzzServer,
  fleet: Fleet,
  liveness: Liveness,
): Promise<FuzzSummary> {
  const credentials = fleet.credentials;
  const failures: string[] = [];
  const badSamples: string[] = [];
  const stats: FuzzStats = {
    frames: 0,
    episodes: 0,
    tcpConnections: 0,
    wsConnections: 0,
    closedByServer: 0,
    stalled: 0,
    connectAccepted: 0,
    connectRefused: 0,
    framesReceived: 0,
    badServerFrames: 0,
    connectErrors: 0,
    ackCodes: {},
  };
  const ctx: EpisodeContext = {
    world: {
      uids: [...new Set(credentials.map((c) => c.uid))],
      bystanders: liveness.uids,
      gids: [],
    },
    stats,
    tcpPorts: fleet.tcpPorts,
    wsPorts: fleet.wsPorts,
    subSignalNames: Object.keys(SubSignal),
    bad(detail) {
      stats.badServerFrames++;
      if (badSamples.length < BAD_SAMPLES_MAX) badSamples.push(detail);
    },
  };
  let relogins = 0;
  const relogin = async (credential: Credential): Promise<void> => {
    try {
      const result = await login(server.httpBase, credential.mobile, credential.deviceId);
      credential.token = result.token;
      credential.compatToken = result.compatToken;
      credential.stale = false;
      relogins++;
    } catch (error: unknown) {
      failures.push(`relogin ${credential.deviceId}: ${String(error)}`);
    }
  };
  const probes: ProbeResult[] = [];
  let probeFailuresInRow = 0;
  const probeRun = async (): Promise<void> => {
    const result = await liveness.probe();
    probes.push(result);
    probeFailuresInRow = result.ok ? 0 : probeFailuresInRow + 1;
    if (!result.ok) failures.push(`liveness: ${result.detail}`);
  };
  const memory: Memory = { start: server.memory(), peak: null, end: null };
  const sample = (): void => {
    const now = server.memory();
    if (now !== null && (memory.peak === null || now.rssKib > memory.peak.rssKib))
      memory.peak = now;
    memory.end = now;
  };
  sample();

  const master = new Rng(options.seed);
  const startMs = performance.now();
  const deadlineMs = startMs + options.durationS * 1000;
  const stop = (): boolean =>
    stats.frames >= options.frames ||
    performance.now() > deadlineMs ||
    server.unexpectedExit !== undefined ||
    probeFailuresInRow >= PROBE_FAILURES_TO_STOP;
  const inFlight = new Set<Promise<void>>();
  const slowest = new Slowest();
  let probing: Promise<void> | undefined;
  let nextCheckAt = options.probeEvery;
  while (!stop()) {
    while (inFlight.size < options.parallel && !stop()) {
      const rng = master.fork();
      const index = stats.episodes++;
      const episodeStartMs = performance.now();
      const episode = episodeRun(rng, ctx, credentials, relogin)
        .then((kind) => slowest.note(index, kind, performance.now() - episodeStartMs))
        .catch((error: unknown) => {
          const why = error instanceof Error ? error.stack : String(error);
          failures.push(`fuzzer error in episode ${index}: ${why}`);
        })
        .finally(() => inFlight.delete(episode));
      inFlight.add(episode);
    }
    if (inFlight.size > 0) await Promise.race(inFlight);
    if (stats.frames >= nextCheckAt) {
      nextCheckAt += options.probeEvery;
      sample();
      probing ??= probeRun().finally(() => {
        probing = undefined;
      });
      const seconds = (performance.now() - startMs) / 1000;
      const passed = probes.filter((p) => p.ok).length;
      options.log(
        `fuzz: ${stats.frames} units, ${stats.episodes} connections, ` +
          `${Math.round(stats.frames / seconds)}/s, probes ${passed}/${probes.length}, ` +
          `rss ${mib(memory.end?.rssKib)} MiB`,
      );
    }
  }
  await Promise.all(inFlight);
  await probing;
  const fuzzSeconds = (performance.now() - startMs) / 1000;
  await probeRun(); // the last word: still alive after everything
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  sample();
  return verdict(options, server, {
    failures,
    badSamples,
    slowest: slowest.list,
    stats: { ...stats, relogins, gidsKnown: ctx.world.gids.length },
    probes,
    memory,
    fuzzSeconds,
  });
}

/** One connection: authenticated (60%, when a device is free) or not, over TCP or WebSocket. */
async function episodeRun(
  rng: Rng,
  ctx: EpisodeContext,
  credentials: Credential[],
  relogin: (credential: Credential) => Promise<void>,
): Promise<string> {
  const free = credentials.filter((c) => !c.busy);
  const credential = free.length > 0 && rng.chance(0.6) ? rng.pick(free) : undefined;
  if (credential === undefined) {
    const roll = rng.int(100);
    const native = roll < 70;
    const units = native ? nativePlan(rng, ctx, undefined) : compatPlan(rng, ctx, undefined);
    ctx.stats.frames += units.length;
    if (roll < 45) await tcpEpisode(rng, ctx, units as Buffer[]);
    else await wsEpisode(rng, ctx, units);
    return `${roll < 45 ? 'tcp' : 'ws'} ${native ? 'native' : 'compat'} unauthenticated`;
  }
  credential.busy = true;
  try {
    const roll = rng.int(100);
    const native = roll < 75;
    const units = native ? nativePlan(rng, ctx, credential) : compatPlan(rng, ctx, credential);
    ctx.stats.frames += units.length;
    if (roll < 50) await tcpEpisode(rng, ctx, units as Buffer[], credential);
    else await wsEpisode(rng, ctx, units, credential);
    if (credential.stale) await relogin(credential);
    return `${roll < 50 ? 'tcp' : 'ws'} ${native ? 'native' : 'compat'} as ${credential.deviceId}`;
  } finally {
    credential.busy = false;
  }
}

/** The slowest connections, to replay (`episode` numbers the master Rng's forks). */
class Slowest {
  readonly list: { episode: number; kind: string; ms: number }[] = [];

  note(episode: number, kind: string, ms: number): void {
    if (this.list.length >= SLOWEST_KEPT && ms <= (this.list.at(-1)?.ms ?? 0)) return;
    this.list.push({ episode, kind, ms: Math.round(ms) });
    this.list.sort((a, b) => b.ms - a.ms);
    this.list.length = Math.min(this.list.length, SLOWEST_KEPT);
  }
}

interface Outcome {
  readonly slowest: FuzzSummary['slowest'];
  readonly failures: string[];
  readonly badSamples: string[];
  readonly stats: FuzzSummary['stats'];
  readonly probes: ProbeResult[];
  readonly memory: Memory;
  readonly fuzzSeconds: number;
}

function verdict(options: FuzzOptions, server: FuzzServer, outcome: Outcome): FuzzSummary {
  const { failures, stats, probes, memory } = outcome;
  if (server.unexpectedExit !== undefined)
    failures.push(`server process exited: ${server.unexpectedExit}`);
  if (server.incidentCount > 0)
    failures.push(`${server.incidentCount} incident lines in the server output`);
  if (stats.badServerFrames > 0) failures.push(`${stats.badServerFrames} malformed server answers`);
  if (stats.stalled > 0) failures.push(`${stats.stalled} connections not closed within the bound`);
  if (stats.connectErrors > Math.max(3, stats.episodes / 100))
    failures.push(`${stats.connectErrors} connections refused`);
  if (stats.connectAccepted === 0)
    failures.push('no fuzz connection was ever accepted: the fuzz stayed shallow');
  const startAnon = memory.start?.rssAnonKib ?? 0;
  const endAnon = memory.end?.rssAnonKib ?? 0;
  const growthMib = (endAnon - startAnon) / 1024;
  if (memory.start !== null && growthMib > options.rssGrowthMaxMib) {
    failures.push(
      `anonymous RSS grew ${growthMib.toFixed(1)} MiB (bound ${options.rssGrowthMaxMib})`,
    );
  }
  const latencies = probes
    .filter((p) => p.ok)
    .map((p) => p.ms)
    .sort((a, b) => a - b);
  return {
    ok: failures.length === 0,
    failures,
    seed: options.seed,
    framesPerSec: Math.round(stats.frames / outcome.fuzzSeconds),
    durationS: Math.round(outcome.fuzzSeconds * 10) / 10,
    stats,
    probes: {
      count: probes.length,
      failed: probes.filter((p) => !p.ok).length,
      p50Ms: Math.round(latencies[Math.floor(latencies.length / 2)] ?? 0),
      maxMs: Math.round(latencies.at(-1) ?? 0),
    },
    rssMib: {
      start: mib(memory.start?.rssKib),
      peak: mib(memory.peak?.rssKib),
      end: mib(memory.end?.rssKib),
      hwm: mib(memory.end?.hwmKib),
    },
    rssAnonMib: { start: mib(startAnon), peak: mib(memory.peak?.rssAnonKib), end: mib(endAnon) },
    serverExit: server.unexpectedExit ?? null,
    incidents: server.incidents,
    badSamples: outcome.badSamples,
    slowest: outcome.slowest,
  };
}
