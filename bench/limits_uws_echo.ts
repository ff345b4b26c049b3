// The building-block limit: how many WebSocket messages per second a bare uWS app echoes on
// this box. The echo server (bench/lib/uws_echo_server.ts) and the load generators
// (bench/lib/ws_echo_generator.ts) are separate processes; on a 2-core machine they share the
// cores, as the real server and its load generator do in one_to_one.

import { fileURLToPath } from 'node:url';
import { cliParse } from './lib/cli.js';
import { benchEnv, benchEnvText } from './lib/env.js';
import type { BenchEnv } from './lib/env.js';
import { LoadChild, loadCaseRun } from './lib/load_child.js';
import type { LoadResult } from './lib/load_child.js';
import { UsageWindow, procUsageText } from './lib/proc_stat.js';
import type { ProcUsage, WindowUsage } from './lib/proc_stat.js';
import { cpuUsPer, rateText, resultsWrite } from './lib/results.js';
import { echoServerStart } from './lib/uws_echo_process.js';
import type { EchoClient, EchoData, EchoSetup } from './lib/ws_echo_generator.js';

const BENCH = 'limits_uws_echo';
const ABOUT = `${BENCH}: raw uWS WebSocket echo, server and load generator in separate processes.
Usage: node dist/bench/${BENCH}.js [options]`;

const CONNECTIONS_MAX = 1_000;
const WINDOW_MAX = 1_024;
const BYTES_MAX = 16 * 1024;
const GENERATORS_MAX = 4;
const SERVER_THREADS_MAX = 4;
const DURATION_MS_MAX = 600_000;
const GENERATOR_SCRIPT = fileURLToPath(new URL('./lib/ws_echo_generator.js', import.meta.url));

const options = cliParse(ABOUT, {
  time: { help: 'measuring time', default: 5_000, arg: 'ms' },
  warmup: { help: 'warm-up time before measuring', default: 2_000, arg: 'ms' },
  connections: { help: `WebSocket connections in all (max ${CONNECTIONS_MAX})`, default: 16 },
  window: { help: `messages in flight per connection (max ${WINDOW_MAX})`, default: 64 },
  bytes: { help: 'message payload size', default: 128, arg: 'bytes' },
  generators: { help: `load-generator processes (max ${GENERATORS_MAX})`, default: 1 },
  threads: { help: `uWS apps (threads) in the server (max ${SERVER_THREADS_MAX})`, default: 2 },
  client: { help: "generator client: 'net' (byte-level) or 'ws' (ws library)", default: 'net' },
});

function optionCheck(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`--${name} must be an integer in ${min}..${max}\n`);
    process.exit(2);
  }
}

export interface EchoResult {
  readonly bench: typeof BENCH;
  readonly case: string;
  readonly msgsPerSec: number;
  readonly echoed: number;
  readonly errors: number;
  readonly windowMs: number;
  readonly config: typeof options;
  readonly server: ProcUsage | null;
  /** Sum over generator processes: 100 means one core busy. */
  readonly generatorCpuPercent: number;
  /** CPU µs per echoed message: robust to other load on the box, unlike msgsPerSec. */
  readonly serverCpuUsPerMsg: number | null;
  readonly generatorCpuUsPerMsg: number;
  /** The whole box (all processes and the kernel); 100 × cores means every core busy. */
  readonly boxCpuPercent: number | null;
  /** boxCpuPercent minus server and generators: other work on the box during the window. */
  readonly otherCpuPercent: number | null;
  readonly at: string;
  readonly env: BenchEnv;
}

function resultBuild(results: readonly LoadResult<EchoData>[],
  usageOf: (generatorCpuPercent: number) => WindowUsage, env: BenchEnv): EchoResult {
  const windowMs = results.reduce((sum, r) => sum + r.windowMs, 0) / results.length;
  const echoed = results.reduce((sum, r) => sum + r.data.echoed, 0);
  const cpuUs = results.reduce((sum, r) => sum + r.cpuUs, 0);
  const generatorCpuPercent = Math.round((cpuUs / 1000 / windowMs) * 1000) / 10;
  const usage = usageOf(generatorCpuPercent);
  const msgsPerSec = Math.round((echoed * 1000) / windowMs);
  return {
    bench: BENCH,
    case: `${options.client} c=${options.connections} w=${options.window} ` +
      `${options.bytes} B, ${options.threads} thread(s)`,
    msgsPerSec,
    serverCpuUsPerMsg: usage.process === null ? null
      : cpuUsPer(usage.process.cpuPercent, msgsPerSec),
    generatorCpuUsPerMsg: cpuUsPer(generatorCpuPercent, msgsPerSec),
    echoed, errors: results.reduce((sum, r) => sum + r.data.errors, 0),
    windowMs: Math.round(windowMs), config: options, server: usage.process,
    generatorCpuPercent, boxCpuPercent: usage.boxCpuPercent,
    otherCpuPercent: usage.otherCpuPercent, at: new Date().toISOString(), env,
  };
}

async function main(): Promise<void> {
  optionCheck('connections', options.connections, 1, CONNECTIONS_MAX);
  optionCheck('window', options.window, 1, WINDOW_MAX);
  optionCheck('bytes', options.bytes, 1, BYTES_MAX);
  optionCheck('generators', options.generators, 1, Math.min(GENERATORS_MAX, options.connections));
  optionCheck('threads', options.threads, 1, SERVER_THREADS_MAX);
  optionCheck('time', options.time, 100, DURATION_MS_MAX);
  optionCheck('warmup', options.warmup, 0, DURATION_MS_MAX);
  if (options.client !== 'net' && options.client !== 'ws') optionCheck('client', NaN, 0, 0);
  const env = benchEnv();
  process.stdout.write(`# ${BENCH}: ${benchEnvText(env)}\n`);
  const server = await echoServerStart(options.threads);
  const children: LoadChild<EchoSetup, null, EchoData>[] = [];
  try {
    for (let g = 0; g < options.generators; g++) {
      const child = new LoadChild<EchoSetup, null, EchoData>(GENERATOR_SCRIPT);
      children.push(child);
      const share = Math.floor(options.connections / options.generators) +
        (g < options.connections % options.generators ? 1 : 0);
      await child.setup({
        host: '127.0.0.1', port: server.port, connections: share, window: options.window,
        bytes: options.bytes, client: options.client as EchoClient,
      });
    }
    const window = new UsageWindow(server.pid);
    const results = await loadCaseRun(children, {
      bench: BENCH, run: null, warmupMs: options.warmup, durationMs: options.time,
      onWindowStart: () => window.start(),
      onWindowEnd: () => window.end(),
      progressText: (d, s) => `${rateText((d['echoed'] ?? 0) / s)} msgs/s`,
    });
    const result = resultBuild(results, (generators) => window.usage(generators), env);
    const usage = result.server;
    process.stdout.write(`${BENCH}  ${result.case}: ${rateText(result.msgsPerSec)} msgs/s, ` +
      `errors ${result.errors} | server ${usage === null ? 'n/a' : procUsageText(usage)}, ` +
      `${result.serverCpuUsPerMsg ?? 'n/a'} µs/msg | ` +
      `generators ${result.generatorCpuPercent.toFixed(0)}% cpu | box ` +
      `${result.boxCpuPercent ?? 'n/a'}% (other ${result.otherCpuPercent ?? 'n/a'}%)\n`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.stderr.write(`[${BENCH}] wrote ${resultsWrite(BENCH, [result])}\n`);
    if (result.errors > 0) process.exitCode = 1;
  } finally {
    await Promise.all(children.map((child) => child.exit()));
    await server.stop();
  }
}

await main();
