// The control plane's own small LMDB environment (data/control): accounts by mobile. Written
// by the main thread only; shards never open it.

import { open, type Database, type RootDatabase } from 'lmdb';

export interface Account {
  readonly uid: string;
  readonly mobile: string;
  readonly createdMs: number;
}

export interface Directory {
  readonly env: RootDatabase;
  readonly accounts: Database<Account, string>;
  readonly meta: Database<number, string>;
}

export function directoryOpen(dir: string): Directory {
  const env = open({ path: dir, overlappingSync: false, maxDbs: 4 });
  return { env, accounts: env.openDB({ name: 'accounts' }), meta: env.openDB({ name: 'meta' }) };
}

/** The user-id generator's lease (unix ms): ids issued stay below it until it is renewed. */
export function idLeaseLoad(directory: Directory): number {
  return directory.meta.get('idLeaseMs') ?? 0;
}

export function idLeaseStore(directory: Directory, leaseMs: number): Promise<boolean> {
  return directory.meta.put('idLeaseMs', leaseMs);
}

/** The account of `mobile`, created (durably) on first use. */
export async function accountEnsure(
  directory: Directory,
  mobile: string,
  uidNew: () => string,
): Promise<{ account: Account; created: boolean }> {
  const existing = directory.accounts.get(mobile);
  if (existing !== undefined) return { account: existing, created: false };
  const account: Account = { uid: uidNew(), mobile, createdMs: Date.now() };
  const created = await directory.accounts.ifNoExists(mobile, () => {
    directory.accounts.put(mobile, account);
  });
  if (created) return { account, created: true };
  // Another request registered the same mobile first: use theirs.
  const winner = directory.accounts.get(mobile);
  return winner === undefined ? { account, created: true } : { account: winner, created: false };
}
