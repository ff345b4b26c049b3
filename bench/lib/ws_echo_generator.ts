// Load generator of limits_uws_echo, run as a forked child: C WebSocket connections, each with
// W binary messages in flight; every echo that comes back is answered with one more message.
// Client 'net' is the byte-level client of ws_wire.ts (frames built once, one write per chunk
// of echoes); client 'ws' is the ws library, kept to show what a general client costs.

import WebSocket from 'ws';
import type net from 'node:net';
import { loadChildServe } from './load_child.js';
import type { LoadGenerator } from './load_child.js';
import { WsFrameReader, wsClientFrame, wsOpen } from './ws_wire.js';

const CONNECT_TIMEOUT_MS = 10_000;

export type EchoClient = 'net' | 'ws';

export interface EchoSetup {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly window: number;
  readonly bytes: number;
  readonly client: EchoClient;
}

export interface EchoData {
  readonly echoed: number;
  readonly errors: number;
}

interface EchoConnection {
  /** Sends `count` more messages (count <= window). */
  send(count: number): void;
  close(): void;
}

/** Counters since setup; the result is the difference from 'measure' to 'stop'. */
interface EchoState {
  running: boolean;
  echoed: number;
  errors: number;
}

async function netConnection(setup: EchoSetup, state: EchoState): Promise<EchoConnection> {
  const { socket, rest } = await wsOpen(setup.host, setup.port, CONNECT_TIMEOUT_MS);
  const frame = wsClientFrame(Buffer.alloc(setup.bytes, 0x61));
  const burst = Buffer.concat(Array.from({ length: setup.window }, () => frame));
  const reader = new WsFrameReader();
  let arrived = 0;
  const onMessage = (payload: Buffer): void => {
    arrived++;
    if (payload.length !== setup.bytes) state.errors++;
  };
  const send = (count: number): void => {
    socket.write(burst.subarray(0, count * frame.length));
  };
  const onData = (chunk: Buffer): void => {
    arrived = 0;
    const error = reader.feed(chunk, onMessage);
    state.echoed += arrived;
    if (error !== null) {
      state.errors++;
      socket.destroy();
      return;
    }
    if (state.running && arrived > 0) send(arrived);
  };
  socket.on('data', onData);
  socket.on('error', () => state.errors++);
  if (rest.length > 0) onData(rest);
  return { send, close: () => (socket as net.Socket).destroy() };
}

function wsConnection(setup: EchoSetup, state: EchoState): Promise<EchoConnection> {
  const payload = Buffer.alloc(setup.bytes, 0x61);
  const socket = new WebSocket(`ws://${setup.host}:${setup.port}/`, { perMessageDeflate: false });
  const send = (count: number): void => {
    for (let i = 0; i < count; i++) socket.send(payload, { binary: true });
  };
  socket.on('message', (data: Buffer) => {
    state.echoed++;
    if (data.length !== setup.bytes) state.errors++;
    if (state.running) send(1);
  });
  socket.on('error', () => state.errors++);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('ws connect timed out')), CONNECT_TIMEOUT_MS);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve({ send, close: () => socket.terminate() });
    });
    socket.once('error', reject);
  });
}

class EchoGenerator implements LoadGenerator<EchoSetup, null, EchoData> {
  private readonly state: EchoState = { running: false, echoed: 0, errors: 0 };
  private connections: EchoConnection[] = [];
  private window = 0;
  private atMeasure: EchoData = { echoed: 0, errors: 0 };

  async setup(setup: EchoSetup): Promise<void> {
    this.window = setup.window;
    const open = setup.client === 'net' ? netConnection : wsConnection;
    for (let i = 0; i < setup.connections; i++) {
      this.connections.push(await open(setup, this.state));
    }
  }

  start(): void {
    this.state.running = true;
    for (const connection of this.connections) connection.send(this.window);
  }

  measure(): void {
    this.atMeasure = { echoed: this.state.echoed, errors: this.state.errors };
  }

  stop(): Promise<EchoData> {
    this.state.running = false;
    const data = {
      echoed: this.state.echoed - this.atMeasure.echoed,
      errors: this.state.errors - this.atMeasure.errors,
    };
    for (const connection of this.connections) connection.close();
    this.connections = [];
    return Promise.resolve(data);
  }

  counts(): Record<string, number> {
    return { echoed: this.state.echoed };
  }
}

loadChildServe(new EchoGenerator());
