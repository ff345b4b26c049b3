// The echo server of limits_uws_echo, run as its own process: a bare uWS app (loaded through
// loadUws, as the server does) that sends every WebSocket message back as it came, and answers
// every HTTP GET with a fixed hello-world body (the HTTP limit of bench/http.ts). With
// --threads T it runs T apps on one port, one per thread, as the server's shards do.
// Prints `ECHO_READY {"port":…}` once listening; SIGTERM closes every app, then exits.

import net from 'node:net';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadUws } from '../../src/transport/uws_loader.js';
import type { UwsListenSocket, UwsModule } from '../../src/transport/uws_loader.js';
import { HELLO_BODY } from './uws_echo_process.js';

/** Echo messages are small; anything larger is a bug in the generator. */
const ECHO_MESSAGE_BYTES_MAX = 64 * 1024;
/** Bytes uWS buffers for a slow reader before it drops the connection. */
const ECHO_BACKPRESSURE_BYTES_MAX = 4 * 1024 * 1024;
/** One process holds at most this many echo threads (the box has 2 cores). */
const ECHO_THREADS_MAX = 8;

type App = ReturnType<UwsModule['App']>;

function echoApp(uws: UwsModule): App {
  return uws.App().ws('/*', {
    compression: uws.DISABLED,
    maxPayloadLength: ECHO_MESSAGE_BYTES_MAX,
    idleTimeout: 0,
    maxBackpressure: ECHO_BACKPRESSURE_BYTES_MAX,
    closeOnBackpressureLimit: true,
    sendPingsAutomatically: false,
    message: (ws, message, isBinary) => {
      ws.send(message, isBinary);
    },
  }).get('/*', (res) => {
    res.end(HELLO_BODY);
  });
}

function listen(app: App, port: number): Promise<UwsListenSocket> {
  return new Promise((resolve, reject) => {
    app.listen('127.0.0.1', port, (socket) => {
      if (socket === false) reject(new Error(`echo listen failed on port ${port}`));
      else resolve(socket as UwsListenSocket);
    });
  });
}

function portOf(uws: UwsModule, socket: UwsListenSocket): number {
  return uws.us_socket_local_port(socket as Parameters<UwsModule['us_socket_local_port']>[0]);
}

async function workerMain(): Promise<void> {
  const uws = loadUws();
  const app = echoApp(uws);
  const port = (workerData as { port: number }).port;
  const socket = await listen(app, port);
  parentPort?.postMessage('listening');
  parentPort?.once('message', () => {
    uws.us_listen_socket_close(socket);
    app.close();
    parentPort?.close();
  });
}

function threadsArg(): number {
  const at = process.argv.indexOf('--threads');
  const threads = at < 0 ? 1 : Number(process.argv[at + 1]);
  if (!Number.isInteger(threads) || threads < 1 || threads > ECHO_THREADS_MAX) {
    throw new Error(`--threads must be 1..${ECHO_THREADS_MAX}`);
  }
  return threads;
}

/** A free loopback port: uWS shares a port between threads only when it is named. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === 'object' && address !== null) resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

async function mainThread(): Promise<void> {
  const threads = threadsArg();
  const uws = loadUws();
  const app = echoApp(uws);
  const socket = await listen(app, threads === 1 ? 0 : await freePort());
  const port = portOf(uws, socket);
  const workers: Worker[] = [];
  for (let i = 1; i < threads; i++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { port } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    workers.push(worker);
  }
  process.once('SIGTERM', () => {
    uws.us_listen_socket_close(socket);
    app.close();
    const exits = workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve)));
    for (const worker of workers) worker.postMessage('close');
    void Promise.all(exits).then(() => process.exit(0));
  });
  process.stdout.write(`ECHO_READY ${JSON.stringify({ port, threads: workers.length + 1 })}\n`);
}

if (isMainThread) await mainThread();
else await workerMain();
