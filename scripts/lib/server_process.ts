// Starts the real server (node dist/src/main.js) as a child process on port 0 with a temp data
// dir, and gives tests, scripts and benches its ports and a way to stop, kill -9 and restart it
// on the same data. Output is kept bounded (the tail); stop escalates to SIGKILL after a grace.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
/** Start-up (uWS load, LMDB open, shard workers) must finish within this time. */
const READY_TIMEOUT_MS = 20_000;
/** SIGTERM drains for at most SHUTDOWN_DRAIN_MS (10 s); a server still running after this
 * much longer is stuck and gets SIGKILL, so a test or bench never hangs on a stop. */
export const SERVER_STOP_GRACE_MS = 15_000;
/** Server output kept (the tail): enough for every test's matches, bounded for long fuzz runs. */
export const SERVER_OUTPUT_CHARS_MAX = 4 * 1024 * 1024;
/** The READY line is searched for in this much recent output. */
const READY_SCAN_CHARS = 4096;

export interface ServerPorts {
  readonly http: number;
  readonly ws: number;
  readonly tcp: number;
  readonly shards: number;
  readonly pid: number;
}

export interface TestServer {
  readonly dataDir: string;
  ports: ServerPorts;
  httpBase: string;
  /** The last SERVER_OUTPUT_CHARS_MAX characters of stdout and stderr, all starts together. */
  output: string;
  /** Characters dropped from the front of `output` so far (offsets into it shift by this). */
  outputDroppedChars: number;
  /** SIGTERM, SIGKILL after SERVER_STOP_GRACE_MS; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: no drain, no flush beyond what was committed. */
  kill(): Promise<void>;
  /**
   * Start again on the same data dir (after stop or kill). `env`, when given, replaces the
   * start's `env` for this and later starts (e.g. to rotate MAGPIE_TOKEN_KEYS).
   */
  restart(env?: NodeJS.ProcessEnv): Promise<void>;
  /** Remove the data dir (after stop). */
  cleanup(): void;
}

export interface TestServerOptions {
  readonly shards?: number;
  /** Use this (existing, empty) directory for data instead of a fresh temp dir. */
  readonly dataDir?: string;
  /** Node flags before the script, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  readonly nodeArgs?: readonly string[];
  readonly extraArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Resolves with the ports of the READY line; rejects on timeout or an exit before it. */
function readyWait(child: ChildProcess, server: TestServer): Promise<ServerPorts> {
  return new Promise<ServerPorts>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      reject(new Error(`server not ready after ${READY_TIMEOUT_MS} ms:\n${server.output}`));
    }, READY_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-READY_SCAN_CHARS);
      const match = /MAGPIE_READY (\{.*\})/.exec(seen);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      seen = '';
      resolve(JSON.parse(match[1]) as ServerPorts);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before ready:\n${server.output}`));
    });
  });
}

export async function serverStart(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-test-'));
  let child: ChildProcess | undefined;
  let env = options.env;
  const append = (chunk: Buffer): void => {
    const text = server.output + chunk.toString();
    const drop = Math.max(0, text.length - SERVER_OUTPUT_CHARS_MAX);
    server.output = drop === 0 ? text : text.slice(drop);
    server.outputDroppedChars += drop;
  };
  const server: TestServer = {
    dataDir,
    ports: { http: 0, ws: 0, tcp: 0, shards: 0, pid: 0 },
    httpBase: '',
    output: '',
    outputDroppedChars: 0,
    async stop() {
      const running = child;
      if (running === undefined) return null;
      const done = exited(running);
      if (running.exitCode !== null || running.signalCode !== null) return done;
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), SERVER_STOP_GRACE_MS);
      const code = await done;
      clearTimeout(timer);
      return code;
    },
    async kill() {
      const running = child;
      if (running === undefined || running.exitCode !== null) return;
      const done = exited(running);
      running.kill('SIGKILL');
      await done;
    },
    async restart(nextEnv) {
      if (nextEnv !== undefined) env = nextEnv;
      await launch();
    },
    cleanup() {
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const launch = async (): Promise<void> => {
    const args = [
      ...(options.nodeArgs ?? []),
      MAIN,
      '--data-dir', dataDir,
      '--host', '127.0.0.1',
      '--http-port', '0',
      '--ws-port', '0',
      '--tcp-port', '0',
      '--shards', String(options.shards ?? 2),
      ...(options.extraArgs ?? []),
    ];
    const started = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    started.stdout?.on('data', append);
    started.stderr?.on('data', append);
    try {
      server.ports = await readyWait(started, server);
    } catch (err: unknown) {
      await server.kill();
      throw err;
    }
    server.httpBase = `http://127.0.0.1:${server.ports.http}`;
  };
  await launch();
  return server;
}

/** A server for one bench run: stop() also removes its data dir. */
export interface BenchServer {
  readonly pid: number;
  readonly ports: ServerPorts;
  readonly httpBase: string;
  readonly dataDir: string;
  /** The tail of the server's stdout and stderr. */
  output(): string;
  /** SIGTERM (drain), SIGKILL after the grace; removes the data dir. Resolves the code. */
  stop(): Promise<number | null>;
  /** Stops (drain) and starts again on the same data: a fresh process, new ports and pid. */
  restart(): Promise<void>;
}

export interface BenchServerOptions {
  readonly shards: number;
  readonly nodeArgs?: readonly string[];
  readonly extraArgs?: readonly string[];
}

/** Starts a server that is SIGKILLed if the bench process exits (or crashes) before stop(). */
export async function benchServerStart(options: BenchServerOptions): Promise<BenchServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-bench-'));
  let server: TestServer;
  try {
    server = await serverStart({ ...options, dataDir });
  } catch (err: unknown) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const orphanKill = (): void => {
    try {
      process.kill(server.ports.pid, 'SIGKILL');
    } catch {
      // Already gone: nothing to clean up.
    }
  };
  process.once('exit', orphanKill);
  return {
    // Getters: a restart changes the pid and the ports.
    get pid() {
      return server.ports.pid;
    },
    get ports() {
      return server.ports;
    },
    get httpBase() {
      return server.httpBase;
    },
    dataDir,
    output: () => server.output,
    async stop() {
      const code = await server.stop();
      process.removeListener('exit', orphanKill);
      server.cleanup();
      return code;
    },
    async restart() {
      const code = await server.stop();
      if (code !== 0) throw new Error(`server exited with ${code} on restart:\n${server.output}`);
      await server.restart();
    },
  };
}
