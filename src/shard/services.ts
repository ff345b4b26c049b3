// What a shard's parts share: one object built by shard.ts and handed to actors and routers,
// so that no part reaches for a global. Everything here runs on the shard's own thread.

import type { TokenKeys } from '../auth/signed_token.js';
import type { Snowflake } from '../ids/snowflake.js';
import type { GroupLimits } from '../router/control.js';
import type { Mesh } from '../router/mesh.js';
import type { Outbox } from '../router/outbox.js';
import type { PartitionMap } from '../router/partition_map.js';
import type { CommitQueue } from '../store/commit_queue.js';
import type { GroupReplicas } from '../store/group_replicas.js';
import type { ShardStore } from '../store/shard_store.js';
import type { Timelines } from '../store/timelines.js';
import type { Session } from '../transport/session.js';

export interface ShardServices {
  readonly shardId: number;
  readonly store: ShardStore;
  readonly commits: CommitQueue;
  readonly timelines: Timelines;
  readonly ids: Snowflake;
  readonly mesh: Mesh;
  readonly outbox: Outbox;
  readonly partitions: PartitionMap;
  readonly tokenKeys: TokenKeys;
  readonly groupLimits: GroupLimits;
  /** Messages per second one user may send (config userSendsPerSecond). */
  readonly userSendsPerSecond: number;
  /** Read-fan-out group timelines kept on this shard for its members (store/group_replicas.ts). */
  readonly groupReplicas: GroupReplicas;
  /** Online sessions of a local user (empty when offline). */
  sessionsOf(uid: string): Iterable<Session>;
  /** A session of this shard (local socket or proxied) by id. */
  sessionById(sessionId: number): Session | undefined;
}

/** Split users into this shard's and the other shards' (by owner), keeping their order. */
export function usersByShard(
  services: ShardServices,
  uids: readonly string[],
): { local: string[]; remote: Map<number, string[]> } {
  const local: string[] = [];
  const remote = new Map<number, string[]>();
  for (const uid of uids) {
    const shard = services.partitions.shardOf(uid);
    if (shard === services.shardId) local.push(uid);
    else {
      const list = remote.get(shard);
      if (list === undefined) remote.set(shard, [uid]);
      else list.push(uid);
    }
  }
  return { local, remote };
}
