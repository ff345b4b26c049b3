// Starts the bare uWS server of bench/lib/uws_echo_server.ts as a child process and waits for
// its ECHO_READY line: the WebSocket echo limit (limits_uws_echo) and the HTTP hello-world limit
// (http) both run against it. The child is tracked, so it dies with the bench.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childStop, childTrack } from './children.js';

/** The HTTP limit's whole answer: as small as an answer gets, so the limit is uWS's own cost. */
export const HELLO_BODY = 'hello world';
const ECHO_READY_TIMEOUT_MS = 10_000;
const ECHO_STOP_GRACE_MS = 5_000;

const SERVER_SCRIPT = fileURLToPath(new URL('./uws_echo_server.js', import.meta.url));

export interface EchoServer {
  readonly pid: number;
  readonly port: number;
  /** SIGTERM, SIGKILL after a grace; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts the echo server with `threads` uWS apps on one loopback port. */
export async function echoServerStart(threads: number): Promise<EchoServer> {
  const child = spawn(process.execPath, [SERVER_SCRIPT, '--threads', String(threads)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  childTrack(child);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('echo server not ready')),
      ECHO_READY_TIMEOUT_MS);
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /ECHO_READY (\{.*\})/.exec(seen);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      resolve((JSON.parse(match[1]) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
  if (child.pid === undefined) throw new Error('echo server without a pid');
  return { pid: child.pid, port, stop: () => childStop(child, ECHO_STOP_GRACE_MS) };
}
