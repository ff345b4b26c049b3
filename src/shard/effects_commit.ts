// Making effects durable: effects for this shard's users are written in the commit itself;
// effects for other shards get an outbox row in the same commit and are sent once it is
// durable. After the commit, local appends are announced (MN) and state ops run their pushes.
// Group messages of read-fan-out groups become group posts here, on the group's owner.

import { ErrorCode } from '../errors.js';
import { groupFanoutShape } from '../features/group_fanout.js';
import { stateOpApply } from '../features/state_ops.js';
import type { DeliverEnvelope } from '../router/envelope.js';
import type { Effect } from '../router/effects.js';
import type { Write } from '../store/commit_queue.js';
import { groupPostPlan } from './group_timeline.js';
import { notifyAppended } from './notify.js';
import type { ShardServices } from './services.js';

export interface Plan {
  readonly writes: Write[];
  /** Runs after a successful commit (heads, pushes). */
  readonly after: (() => void)[];
  /** Runs after the commit whatever its outcome (in-memory state planned ahead of LMDB). */
  readonly settled: ((code: ErrorCode) => void)[];
}

export function planNew(writes: Write[] = []): Plan {
  return { writes, after: [], settled: [] };
}

/** Plan the effects that land on this shard. `dedupe` skips appends already filed (replays). */
export function effectsPlanLocal(
  services: ShardServices,
  effects: readonly Effect[],
  dedupe: boolean,
  plan: Plan,
): void {
  const { timelines, partitions, shardId } = services;
  for (const effect of effects) {
    if (effect.kind === 'state') {
      if (partitions.shardOf(effect.owner) !== shardId) continue;
      const applied = stateOpApply(services, effect.owner, effect.op);
      if (applied.write !== undefined) plan.writes.push(applied.write);
      if (applied.after !== undefined) plan.after.push(applied.after);
      continue;
    }
    if (effect.kind === 'groupPost') {
      groupPostPlan(services, effect, dedupe, plan);
      continue;
    }
    const except = effect.exceptShard === shardId ? effect.exceptSessionId : -1;
    for (const receiver of effect.receivers) {
      if (partitions.shardOf(receiver) !== shardId) continue;
      if (dedupe && timelines.hasMessage(receiver, effect.message)) continue;
      const append = timelines.appendMessage(receiver, effect.message);
      plan.writes.push(append.write);
      plan.after.push(() => {
        timelines.committed(receiver, append.seq);
        notifyAppended(services, receiver, append.seq, except, effect.message);
      });
    }
  }
}

/** Effects grouped by the other shards they concern, appends cut down to each shard's users. */
export function effectsByRemoteShard(
  services: ShardServices,
  effects: readonly Effect[],
): Map<number, Effect[]> {
  const { partitions, shardId } = services;
  const byShard = new Map<number, Effect[]>();
  const add = (shard: number, effect: Effect): void => {
    const list = byShard.get(shard);
    if (list === undefined) byShard.set(shard, [effect]);
    else list.push(effect);
  };
  for (const effect of effects) {
    if (effect.kind === 'state') {
      const shard = partitions.shardOf(effect.owner);
      if (shard !== shardId) add(shard, effect);
      continue;
    }
    const receiversByShard = new Map<number, string[]>();
    for (const receiver of effect.receivers) {
      const shard = partitions.shardOf(receiver);
      if (shard === shardId) continue;
      const list = receiversByShard.get(shard);
      if (list === undefined) receiversByShard.set(shard, [receiver]);
      else list.push(receiver);
    }
    for (const [shard, receivers] of receiversByShard) add(shard, { ...effect, receivers });
  }
  return byShard;
}

/**
 * Commit `extraWrites` and `effects` atomically; `done` learns the outcome before anything is
 * announced, so an ack always precedes the pushes it caused.
 */
export function effectsCommit(
  services: ShardServices,
  planned: readonly Effect[],
  extraWrites: Write[],
  done: (code: ErrorCode) => void,
): void {
  const plan = planNew(extraWrites);
  const effects = groupFanoutShape(services, planned, plan.writes);
  effectsPlanLocal(services, effects, false, plan);
  const deliveries: { shard: number; envelope: DeliverEnvelope }[] = [];
  const generation = services.commits.generation;
  // The envelopes a generation gathers are applied whole by their shards: their appends count
  // toward its weight too, so no shard gets a delivery much heavier than one transaction.
  let remoteWeight = 0;
  for (const [shard, remote] of effectsByRemoteShard(services, effects)) {
    remoteWeight += effectsWeight(remote);
    const reserved = services.outbox.reserve(shard, remote, generation);
    if (reserved.write !== undefined) plan.writes.push(reserved.write);
    deliveries.push({ shard, envelope: reserved.envelope });
  }
  services.commits.add(
    () => {
      for (const write of plan.writes) write();
    },
    (code) => {
      for (const settled of plan.settled) settled(code);
      done(code);
      if (code !== ErrorCode.OK) return;
      for (const { shard, envelope } of deliveries) services.outbox.committed(shard, envelope);
      for (const after of plan.after) after();
    },
    plan.writes.length + remoteWeight,
  );
}

/** About the writes `effects` make where they land: one per append, one per other effect. */
function effectsWeight(effects: readonly Effect[]): number {
  let weight = 0;
  for (const effect of effects) weight += effect.kind === 'append' ? effect.receivers.length : 1;
  return weight;
}
