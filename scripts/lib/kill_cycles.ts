// kill -9 chaos with a history checker: bursts of sends between users on every shard, a
// SIGKILL at a random moment of each burst, a restart on the same data, then every acked
// message must be in the timelines of its sender and receiver exactly once, and each sender's
// messages to one receiver in the order they were acked.

import { login, MagpieClient, type ReceivedMessage } from '../../src/client/index.js';
import { serverStart, type TestServer } from './server_process.js';
import { seededRandom } from './seeded_random.js';

export interface KillCyclesOptions {
  readonly cycles: number;
  readonly users: number;
  /** Sends in flight per user during a burst. */
  readonly inFlight: number;
  /** The kill lands this long after the burst starts (uniform in [min, max]). */
  readonly killAfterMsMin: number;
  readonly killAfterMsMax: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

export interface KillCyclesReport {
  readonly cycles: number;
  readonly acked: number;
  readonly unackedSends: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  readonly failures: readonly string[];
}

interface Account {
  readonly mobile: string;
  readonly deviceId: string;
  uid: string;
}

async function connectAs(server: TestServer, account: Account): Promise<MagpieClient> {
  const result = await login(server.httpBase, account.mobile, account.deviceId);
  account.uid = result.userId;
  const client = new MagpieClient({
    transport: 'tcp',
    host: '127.0.0.1',
    port: result.endpoints.tcpPort,
    uid: result.userId,
    token: result.token,
    deviceId: account.deviceId,
    autoReconnect: false,
  });
  await client.connect();
  return client;
}

/** Everything in a user's timeline, from seq 0. */
async function timelineOf(server: TestServer, account: Account): Promise<ReceivedMessage[]> {
  const result = await login(server.httpBase, account.mobile, `${account.deviceId}-audit`);
  const client = new MagpieClient({
    transport: 'tcp',
    host: '127.0.0.1',
    port: result.endpoints.tcpPort,
    uid: result.userId,
    token: result.token,
    deviceId: `${account.deviceId}-audit`,
    autoReconnect: false,
  });
  const seen: ReceivedMessage[] = [];
  client.on('message', (message) => seen.push(message));
  await client.connect();
  client.close();
  return seen;
}

export async function killCycles(options: KillCyclesOptions): Promise<KillCyclesReport> {
  const log = options.log ?? (() => undefined);
  const next = seededRandom(options.seed);
  const server = await serverStart({ shards: 2 });
  const accounts: Account[] = Array.from({ length: options.users }, (_, i) => ({
    mobile: String(15_000_000_000 + options.seed * 1000 + i),
    deviceId: `chaos-${i}`,
    uid: '',
  }));
  /** sender uid → receiver uid → acked message uids in ack order. */
  const acked = new Map<string, Map<string, string[]>>();
  let ackedCount = 0;
  let unacked = 0;
  const failures: string[] = [];
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  try {
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      const clients = await Promise.all(accounts.map((account) => connectAs(server, account)));
      let killed = false;
      const burst = clients.map(async (client, index) => {
        const from = accounts[index] as Account;
        const lanes = Array.from({ length: options.inFlight }, async (_, lane) => {
          for (let n = 0; !killed; n++) {
            const to = accounts[
              (index + 1 + ((lane + n) % (accounts.length - 1))) % accounts.length
            ] as Account;
            try {
              const ack = await client.send({
                conversation: { type: 0, target: to.uid, line: 0 },
                content: {
                  type: 1,
                  searchableContent: `c${cycle} ${from.uid}→${to.uid} ${lane}.${n}`,
                },
              });
              let byReceiver = acked.get(from.uid);
              if (byReceiver === undefined) acked.set(from.uid, (byReceiver = new Map()));
              const list = byReceiver.get(to.uid) ?? [];
              list.push(ack.messageUid);
              byReceiver.set(to.uid, list);
              ackedCount++;
            } catch {
              unacked++;
              return;
            }
          }
        });
        await Promise.all(lanes);
      });
      const delay =
        options.killAfterMsMin + next() * (options.killAfterMsMax - options.killAfterMsMin);
      await new Promise((resolve) => setTimeout(resolve, delay));
      killed = true;
      await server.kill();
      for (const client of clients) client.close();
      await Promise.all(burst);
      await server.restart();
      // Give outbox replay a moment, then audit every user's whole timeline.
      const audit = await auditAll(server, accounts, acked);
      lost = audit.lost;
      duplicated = audit.duplicated;
      reordered = audit.reordered;
      failures.push(...audit.failures.map((failure) => `cycle ${cycle}: ${failure}`));
      log(
        `cycle ${cycle + 1}/${options.cycles}: killed after ${delay.toFixed(0)} ms, acked so far ${ackedCount}, lost ${lost}, duplicated ${duplicated}, reordered ${reordered}`,
      );
      if (failures.length > 0) break;
    }
  } finally {
    await server.stop();
    server.cleanup();
  }
  return {
    cycles: options.cycles,
    acked: ackedCount,
    unackedSends: unacked,
    lost,
    duplicated,
    reordered,
    failures,
  };
}

async function auditAll(
  server: TestServer,
  accounts: readonly Account[],
  acked: Map<string, Map<string, string[]>>,
): Promise<{ lost: number; duplicated: number; reordered: number; failures: string[] }> {
  const failures: string[] = [];
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  const deadline = Date.now() + 15_000;
  for (const account of accounts) {
    // Expected: every message acked to or from this user.
    const expected = new Set<string>();
    for (const [from, byReceiver] of acked) {
      for (const [to, uids] of byReceiver) {
        if (from === account.uid || to === account.uid) for (const uid of uids) expected.add(uid);
      }
    }
    let timeline = await timelineOf(server, account);
    while (
      Date.now() < deadline &&
      [...expected].some((uid) => !timeline.some((m) => m.messageUid === uid))
    ) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      timeline = await timelineOf(server, account);
    }
    const positions = new Map<string, number>();
    timeline.forEach((message, index) => {
      if (positions.has(message.messageUid)) {
        duplicated++;
        failures.push(`${account.uid}: ${message.messageUid} twice`);
      }
      positions.set(message.messageUid, index);
    });
    for (const uid of expected) {
      if (!positions.has(uid)) {
        lost++;
        failures.push(`${account.uid}: acked ${uid} missing`);
      }
    }
    for (const [from, byReceiver] of acked) {
      for (const [to, uids] of byReceiver) {
        if (from !== account.uid && to !== account.uid) continue;
        let last = -1;
        for (const uid of uids) {
          const position = positions.get(uid);
          if (position === undefined) continue;
          if (position < last) {
            reordered++;
            failures.push(`${account.uid}: ${from}→${to} ${uid} before an earlier ack`);
          }
          last = Math.max(last, position);
        }
      }
    }
  }
  return { lost, duplicated, reordered, failures };
}
