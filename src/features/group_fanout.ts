// Which fan-out a group message takes, decided on the group's owner shard as it is planned:
// write fan-out (a copy in every receiver's timeline) while the group is small, read fan-out
// (one replica per member-holding shard, shard/group_timeline.ts) from the first message
// with at least `groupReadFanoutMembersMin` receivers on, for good, so that a member's
// timeline never mixes the two out of order.

import type { Effect, AppendEffect } from '../router/effects.js';
import type { ShardServices } from '../shard/services.js';
import type { Write } from '../store/commit_queue.js';

const CONVERSATION_GROUP = 1;

/** `effects` with the group appends of read-fan-out groups turned into group posts; the write
 * that switches a group over joins `writes`. */
export function groupFanoutShape(
  services: ShardServices,
  effects: readonly Effect[],
  writes: Write[],
): readonly Effect[] {
  const grouped = (effect: Effect): boolean =>
    effect.kind === 'append' && effect.message.conversationType === CONVERSATION_GROUP;
  if (!effects.some(grouped)) return effects;
  return effects.map((effect) => {
    if (effect.kind !== 'append' || !readFanoutFor(services, effect, writes)) return effect;
    const { message, receivers, exceptSessionId, exceptShard } = effect;
    return { kind: 'groupPost', message, receivers, exceptSessionId, exceptShard };
  });
}

function readFanoutFor(services: ShardServices, effect: AppendEffect, writes: Write[]): boolean {
  const { message } = effect;
  if (message.conversationType !== CONVERSATION_GROUP || effect.direct === true) return false;
  const gid = message.target;
  // Only the owner plans a group's messages; anything else keeps its shape.
  if (services.partitions.shardOf(gid) !== services.shardId) return false;
  const replicas = services.groupReplicas;
  if (replicas.readFanout(gid)) return true;
  if (effect.receivers.length < services.groupLimits.readFanoutMembersMin) return false;
  writes.push(replicas.readFanoutStart(gid));
  return true;
}
