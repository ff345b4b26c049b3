// What a 1:1 chat bench hands its load generators: Magpie users logged in over HTTP (many
// logins in flight), and per-generator setups that split N pairs over G generators, a pair's
// two users always in one generator (the receiver measures delivery on the sender's clock).

import { login } from '../../src/client/index.js';
import { USER_SENDS_PER_SECOND_CEILING } from '../../src/limits.js';
import type { LoginResult } from '../../src/client/index.js';
import type { ChatClient, ChatSetup, ChatUserCredentials } from './chat_generator.js';
import type { Transport } from '../../src/client/index.js';

/** Logins in flight at once. */
export const LOGIN_CONCURRENCY = 16;

/** Server flags for the 1:1 benches: a closed loop with few senders measures capacity, and at
 * ~15 k msgs/s over 10 senders the default per-user rate (2,000/s, a policy whose check costs
 * the same at any value) refused sends with 250. */
export const CHAT_SERVER_ARGS: readonly string[] =
  ['--user-sends-per-second', String(USER_SENDS_PER_SECOND_CEILING)];

/** Logs in users 0 … count − 1 as `mobileOf(i)` on device `deviceIdOf(i)`. */
export async function benchUsersLogin(httpBase: string, count: number,
  mobileOf: (index: number) => string, deviceIdOf: (index: number) => string):
  Promise<LoginResult[]> {
  const users = new Array<LoginResult | undefined>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      users[index] = await login(httpBase, mobileOf(index), deviceIdOf(index));
    }
  };
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, worker));
  return users.map((user) => {
    if (user === undefined) throw new Error('a login did not finish');
    return user;
  });
}

export interface ChatSetupsOptions {
  /** 2 × pairs users: user 2p sends to user 2p + 1. */
  readonly users: readonly ChatUserCredentials[];
  readonly generators: number;
  /** Receivers send to their senders too. */
  readonly bidirectional: boolean;
  readonly host: string;
  readonly transport: Transport;
  readonly client: ChatClient;
  readonly window: number;
  readonly text: string;
  readonly refill: 'ack' | 'deliver';
}

/** Pair p goes to generator p mod G. */
export function chatSetupsBuild(options: ChatSetupsOptions): ChatSetup[] {
  const pairs = Math.floor(options.users.length / 2);
  const setups: ChatSetup[] = [];
  for (let g = 0; g < options.generators; g++) {
    const own: ChatUserCredentials[] = [];
    const sends: [number, number][] = [];
    for (let pair = g; pair < pairs; pair += options.generators) {
      own.push(options.users[2 * pair]!, options.users[2 * pair + 1]!);
      sends.push([own.length - 2, own.length - 1]);
      if (options.bidirectional) sends.push([own.length - 1, own.length - 2]);
    }
    setups.push({
      host: options.host, transport: options.transport, client: options.client, users: own,
      sends, window: options.window, text: options.text, refill: options.refill,
    });
  }
  return setups;
}
