// Test users: log in over HTTP, connect with the SDK over a chosen transport, collect messages.

import { MagpieClient, login, compatLogin, type ReceivedMessage, type Transport } from '../../src/client/index.js';
import { PartitionMap } from '../../src/router/partition_map.js';
import type { TestServer } from './server.js';

let mobileCounter = 13_800_000_000 + Math.floor(Math.random() * 1_000_000) * 100;

export function mobileNext(): string {
  mobileCounter += 1;
  return String(mobileCounter);
}

export interface TestUser {
  readonly uid: string;
  readonly mobile: string;
  readonly client: MagpieClient;
  readonly received: ReceivedMessage[];
  /** Resolves once `count` messages in total have been received. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
}

export interface UserOptions {
  readonly transport: Transport;
  readonly mobile?: string;
  readonly deviceId?: string;
  /** Connect to the public port instead of the owner shard's own port. */
  readonly publicPort?: boolean;
  readonly lastSeq?: number;
}

export async function userConnect(server: TestServer, options: UserOptions): Promise<TestUser> {
  const mobile = options.mobile ?? mobileNext();
  const deviceId = options.deviceId ?? `dev-${Math.random().toString(36).slice(2, 10)}`;
  let uid: string;
  let token: string;
  let port: number;
  if (options.transport === 'ws-compat') {
    const result = await compatLogin(server.httpBase, mobile, deviceId);
    uid = result.userId;
    token = result.token;
    port = server.ports.ws;
  } else {
    const result = await login(server.httpBase, mobile, deviceId);
    uid = result.userId;
    token = result.token;
    const direct = options.transport === 'tcp' ? result.endpoints.tcpPort : result.endpoints.wsPort;
    const shared = options.transport === 'tcp' ? server.ports.tcp : server.ports.ws;
    port = options.publicPort === true ? shared : direct;
  }
  const client = new MagpieClient({
    transport: options.transport,
    host: '127.0.0.1',
    port,
    uid,
    token,
    deviceId,
    reconnectDelayMs: 50,
    ...(options.lastSeq === undefined ? {} : { lastSeq: options.lastSeq }),
  });
  const received: ReceivedMessage[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  client.on('message', (message) => {
    received.push(message);
    for (const waiter of [...waiters]) {
      if (received.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  });
  client.on('error', () => {
    // Errors surface through the promises the tests await.
  });
  await client.connect();
  return {
    uid,
    mobile,
    client,
    received,
    waitFor(count, timeoutMs = 10_000) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${uid}: ${received.length} of ${count} messages after ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      });
    },
  };
}

/** Find two users whose uids land on different shards (the partition map is deterministic). */
export function text(body: string) {
  return { type: 1, searchableContent: body, content: body };
}

/** Two new users owned by different shards (`a` over TCP, `b` over `bTransport`). */
export async function pairAcrossShards(
  server: TestServer,
  bTransport: Transport = 'tcp',
): Promise<[TestUser, TestUser]> {
  const partitions = new PartitionMap(server.ports.shards);
  const a = await userConnect(server, { transport: 'tcp' });
  for (let i = 0; i < 50; i++) {
    const b = await userConnect(server, { transport: bTransport });
    if (partitions.shardOf(b.uid) !== partitions.shardOf(a.uid)) return [a, b];
    b.client.close();
  }
  throw new Error('no user on the other shard');
}
