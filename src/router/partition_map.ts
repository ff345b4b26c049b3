// uid → partition → shard. Partitions are fixed for the life of a data directory (PARTITIONS);
// shards own whole partitions, so a partition can later move between shards or nodes as a unit.

import { PARTITIONS } from '../limits.js';

/** FNV-1a over the UTF-16 code units: cheap, stable across versions, spreads short ids well. */
export function partitionOf(uid: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < uid.length; i++) {
    hash ^= uid.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & (PARTITIONS - 1);
}

export class PartitionMap {
  constructor(readonly shardCount: number) {}

  shardOfPartition(partition: number): number {
    return partition % this.shardCount;
  }

  shardOf(uid: string): number {
    return this.shardOfPartition(partitionOf(uid));
  }
}
