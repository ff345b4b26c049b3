// Starts the real server (node dist/src/main.js) as a child process on port 0 with a temp data
// dir, and gives tests, scripts and benches its ports and a way to stop, kill -9 and restart it
// on the same data.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const READY_TIMEOUT_MS = 20_000;

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
  output: string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
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
  readonly extraArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export async function serverStart(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-test-'));
  let child: ChildProcess | undefined;
  let env = options.env;
  const server: TestServer = {
    dataDir,
    ports: { http: 0, ws: 0, tcp: 0, shards: 0, pid: 0 },
    httpBase: '',
    output: '',
    async stop() {
      const running = child;
      if (running === undefined || running.exitCode !== null) return running?.exitCode ?? null;
      const exited = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)));
      running.kill('SIGTERM');
      return exited;
    },
    async kill() {
      const running = child;
      if (running === undefined || running.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGKILL');
      await exited;
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
    const outputStart = server.output.length;
    server.ports = await new Promise<ServerPorts>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server not ready:\n${server.output}`)), READY_TIMEOUT_MS);
      const onData = (chunk: Buffer): void => {
        server.output += chunk.toString();
        const match = /MAGPIE_READY (\{.*\})/.exec(server.output.slice(outputStart));
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          resolve(JSON.parse(match[1]) as ServerPorts);
        }
      };
      started.stdout?.on('data', onData);
      started.stderr?.on('data', (chunk: Buffer) => {
        server.output += chunk.toString();
      });
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code} before ready:\n${server.output}`));
      });
    });
    server.httpBase = `http://127.0.0.1:${server.ports.http}`;
  };
  await launch();
  return server;
}
