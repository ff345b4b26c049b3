// Scaffolding the server benches share: bad options end the bench with exit 2 and a message,
// and users log in over the real HTTP control plane a bounded number at a time.

import { login } from '../../src/client/index.js';
import type { LoginResult } from '../../src/client/index.js';

/** Logins in flight at once: enough to hide HTTP latency, few enough not to queue the shards. */
export const LOGIN_CONCURRENCY = 16;

export function benchFail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** Ends the bench unless `value` is an integer in min..max (option `--name`). */
export function integerCheck(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    benchFail(`--${name} must be an integer in ${min}..${max}`);
  }
}

/** Logs in `count` users: user i has mobile `mobileFirst + i` and device `deviceIdOf(i)`. */
export async function usersLogin(httpBase: string, count: number, mobileFirst: number,
  deviceIdOf: (index: number) => string): Promise<LoginResult[]> {
  const users = new Array<LoginResult | undefined>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next++;
      users[index] = await login(httpBase, String(mobileFirst + index), deviceIdOf(index));
    }
  };
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, worker));
  return users.map((user) => {
    if (user === undefined) throw new Error('a login did not finish');
    return user;
  });
}
