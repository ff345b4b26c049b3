// Starts the real server (node dist/src/main.js) as a child process for a bench: port 0 on
// loopback, a temp data dir on the same disk as production would use, extra Node flags (e.g.
// --cpu-prof). A copy of test/helpers/server.ts's launcher, cut to what benches need: bench code
// never imports from test/.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childStop, childTrack } from './children.js';

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
/** Start-up (uWS load, LMDB open, shard workers) must finish within this time. */
const SERVER_READY_TIMEOUT_MS = 20_000;
/** SIGTERM drains for at most SHUTDOWN_DRAIN_MS (10 s); after this we SIGKILL. */
const SERVER_STOP_GRACE_MS = 15_000;
/** Server output kept for error reports; older output is dropped. */
const SERVER_OUTPUT_CHARS_MAX = 64 * 1024;

export interface ServerPorts {
  readonly http: number;
  readonly ws: number;
  readonly tcp: number;
  readonly shards: number;
}

export interface BenchServer {
  readonly pid: number;
  readonly ports: ServerPorts;
  readonly httpBase: string;
  readonly dataDir: string;
  /** The last SERVER_OUTPUT_CHARS_MAX characters of stdout and stderr. */
  output(): string;
  /** SIGTERM (drain), SIGKILL after a grace period; removes the data dir. Resolves the code. */
  stop(): Promise<number | null>;
}

export interface BenchServerOptions {
  readonly shards: number;
  /** Node flags before the script, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']. */
  readonly nodeArgs?: readonly string[];
  readonly extraArgs?: readonly string[];
}

function readyWait(child: ChildProcess, append: (text: string) => void,
  output: () => string): Promise<ServerPorts> {
  return new Promise<ServerPorts>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      reject(new Error(`server not ready after ${SERVER_READY_TIMEOUT_MS} ms:\n${output()}`));
    }, SERVER_READY_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      append(text);
      seen = (seen + text).slice(-4096);
      const match = /MAGPIE_READY (\{.*\})/.exec(seen);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        seen = '';
        resolve(JSON.parse(match[1]) as ServerPorts);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => append(chunk.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before ready:\n${output()}`));
    });
  });
}

export async function benchServerStart(options: BenchServerOptions): Promise<BenchServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-bench-'));
  const args = [
    ...(options.nodeArgs ?? []),
    MAIN,
    '--data-dir', dataDir,
    '--host', '127.0.0.1',
    '--http-port', '0',
    '--ws-port', '0',
    '--tcp-port', '0',
    '--shards', String(options.shards),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  childTrack(child);
  let output = '';
  const append = (text: string): void => {
    output = (output + text).slice(-SERVER_OUTPUT_CHARS_MAX);
  };
  let ports: ServerPorts;
  try {
    ports = await readyWait(child, append, () => output);
  } catch (err: unknown) {
    await childStop(child, SERVER_STOP_GRACE_MS);
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error('server started without a pid');
  return {
    pid,
    ports,
    httpBase: `http://127.0.0.1:${ports.http}`,
    dataDir,
    output: () => output,
    async stop() {
      const code = await childStop(child, SERVER_STOP_GRACE_MS);
      fs.rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
