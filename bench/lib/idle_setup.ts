// What the connections bench and its load generators (idle_generator.ts) exchange: the
// credentials of one ramp step, the heartbeat to send while holding, and the hold's figures.
// Kept apart from the generator, which starts serving its parent when imported.

import type { LinkTransport } from './native_link.js';

/** Most connections one generator process holds: the open-file limit here is 20,000. */
export const GENERATOR_CONNECTIONS_MAX = 19_000;

/**
 * 'ws': a WebSocket ping control frame to each WS connection (uWS answers it in C++ and
 * resets its idle timer; no JS runs); TCP needs nothing within its declared PING interval.
 * 'native': a native PING frame to every connection (the server's JS answers it).
 */
export type Heartbeat = 'ws' | 'native';

export interface IdleCredentials {
  readonly uid: string;
  readonly token: string;
  readonly deviceId: string;
  /** The owner shard's direct port for `transport`. */
  readonly port: number;
  readonly transport: LinkTransport;
}

export interface IdleSetup {
  readonly host: string;
  /** Source address of this generator's sockets (127.0.0.2, …): its own ephemeral ports. */
  readonly localAddress: string;
  /** This ramp step's connections. */
  readonly users: readonly IdleCredentials[];
  readonly connectsInFlight: number;
  readonly heartbeat: Heartbeat;
  /** Each connection that gets heartbeats gets one this often. */
  readonly heartbeatMs: number;
}

/** Nothing to choose for a hold: connections just stay. */
export type IdleRun = Record<string, never>;

export interface IdleData {
  readonly open: number;
  /** Connections the server closed during the window (an idle timeout, a crash). */
  readonly closed: number;
  readonly heartbeats: number;
}
