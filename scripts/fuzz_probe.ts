// Liveness under fuzz: three healthy users on three different paths (TCP on the owner shard's
// port, native WebSocket and compat WebSocket on the public port) pass a message around; a probe
// passes when the receiver gets the sender's one-off text within PROBE_TIMEOUT_MS.

import { MagpieClient, compatLogin, login, type Transport } from '../src/client/index.js';
import type { FuzzServer } from './fuzz_server.js';

/** A probe that takes longer than this failed: the server is stuck or lost the message. */
export const PROBE_TIMEOUT_MS = 15_000;

interface ProbeUser {
  readonly uid: string;
  readonly client: MagpieClient;
  /** Texts awaited by probes → their resolvers. */
  readonly waiting: Map<string, () => void>;
}

export interface ProbeResult {
  readonly ok: boolean;
  readonly ms: number;
  readonly detail: string;
}

async function probeUserStart(
  server: FuzzServer,
  mobile: string,
  transport: Transport,
  index: number,
): Promise<ProbeUser> {
  const deviceId = `probe-${index}`;
  let uid: string;
  let token: string;
  let port: number;
  if (transport === 'ws-compat') {
    const result = await compatLogin(server.httpBase, mobile, deviceId);
    uid = result.userId;
    token = result.token;
    port = server.ports.ws;
  } else {
    const result = await login(server.httpBase, mobile, deviceId);
    uid = result.userId;
    token = result.token;
    port = transport === 'tcp' ? result.endpoints.tcpPort : server.ports.ws;
  }
  const client = new MagpieClient({
    transport,
    host: '127.0.0.1',
    port,
    uid,
    token,
    deviceId,
    reconnectDelayMs: 50,
  });
  const waiting = new Map<string, () => void>();
  client.on('message', (message) => {
    const resolve = waiting.get(message.content.searchableContent);
    if (resolve === undefined) return;
    waiting.delete(message.content.searchableContent);
    resolve();
  });
  client.on('error', () => {
    // Failures show up as probes that time out.
  });
  await client.connect();
  return { uid, client, waiting };
}

export class Liveness {
  private count = 0;

  private constructor(
    private readonly users: readonly ProbeUser[],
    private readonly tag: string,
  ) {}

  /** Logs in and connects the three probe users (mobiles derived from `mobileBase`). */
  static async start(server: FuzzServer, mobileBase: number, tag: string): Promise<Liveness> {
    const transports: Transport[] = ['tcp', 'ws', 'ws-compat'];
    const users: ProbeUser[] = [];
    for (const [index, transport] of transports.entries()) {
      users.push(await probeUserStart(server, String(mobileBase + index), transport, index));
    }
    return new Liveness(users, tag);
  }

  get uids(): string[] {
    return this.users.map((user) => user.uid);
  }

  /** Sends one message around the ring (tcp → ws → compat → tcp …) and waits for it. */
  async probe(): Promise<ProbeResult> {
    const index = this.count++;
    const sender = this.users[index % this.users.length]!;
    const receiver = this.users[(index + 1) % this.users.length]!;
    const text = `probe ${this.tag} #${index}`;
    const startMs = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<void>((resolve, reject) => {
      receiver.waiting.set(text, resolve);
      timer = setTimeout(
        () => reject(new Error(`not received in ${PROBE_TIMEOUT_MS} ms`)),
        PROBE_TIMEOUT_MS,
      );
    });
    try {
      await Promise.all([
        sender.client.send({
          conversation: { type: 0, target: receiver.uid, line: 0 },
          content: { type: 1, searchableContent: text, content: text },
        }),
        arrived,
      ]);
      return { ok: true, ms: performance.now() - startMs, detail: text };
    } catch (error: unknown) {
      receiver.waiting.delete(text);
      const why = error instanceof Error ? error.message : String(error);
      return { ok: false, ms: performance.now() - startMs, detail: `${text}: ${why}` };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    for (const user of this.users) user.client.close();
  }
}
