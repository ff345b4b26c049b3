// Read fan-out on a shard that holds members of a large group: a post is filed once in the
// shard's replica of the group timeline; the local members' cursors follow whom the owner named
// as receivers; pointer entries are materialized into the timelines of members online now (at
// the post, or when they connect), pointers and cursor in one transaction, MN after it. An
// offline member costs nothing until it connects, and then one catch-up per group.

import { ErrorCode } from '../errors.js';
import { GROUP_CATCHUP_ENTRIES_MAX } from '../limits.js';
import type { GroupPostEffect } from '../router/effects.js';
import type { ReplicaGroup } from '../store/group_replicas.js';
import type { Plan } from './effects_commit.js';
import { notifyAppended } from './notify.js';
import type { ShardServices } from './services.js';

function online(services: ShardServices, uid: string): boolean {
  for (const session of services.sessionsOf(uid)) if (!session.closed) return true;
  return false;
}

/** Plan a post for this shard's receivers. `dedupe`: a replayed delivery already filed is
 * skipped (the replica's uid index is the receiver-side dedupe). */
export function groupPostPlan(
  services: ShardServices,
  effect: GroupPostEffect,
  dedupe: boolean,
  plan: Plan,
): void {
  const { partitions, shardId, groupReplicas: replicas } = services;
  const local = effect.receivers.filter((uid) => partitions.shardOf(uid) === shardId);
  if (local.length === 0) return;
  if (dedupe && replicas.filed(effect.message.uid)) return;
  const group = replicas.groupOf(effect.message.target);
  const filed = replicas.file(group, effect.message);
  plan.writes.push(filed.write);
  membersFollow(services, group, local, filed.lseq, plan);
  const except = effect.exceptShard === shardId ? effect.exceptSessionId : -1;
  for (const uid of local) {
    if (online(services, uid)) materializePlan(services, group, uid, except, plan);
  }
  groupPlanned(services, group, plan);
}

/** Receivers are the members at post time: a newcomer starts with this post; a member no
 * longer named ends just before it. Someone who left while offline and is back before
 * reconnecting starts afresh here (the older backlog is dropped). */
function membersFollow(
  services: ShardServices,
  group: ReplicaGroup,
  local: readonly string[],
  lseq: number,
  plan: Plan,
): void {
  const replicas = services.groupReplicas;
  const activeBefore = group.active;
  let known = 0;
  for (const uid of local) {
    if (group.members.get(uid)?.end === 0) known++;
    else plan.writes.push(replicas.memberSet(group, uid, { cursor: lseq - 1, end: 0 }));
  }
  if (known === activeBefore) return;
  const named = new Set(local);
  const gone: string[] = [];
  for (const [uid, member] of group.members) {
    if (member.end === 0 && !named.has(uid)) gone.push(uid);
  }
  for (const uid of gone) {
    const cursor = group.members.get(uid)?.cursor ?? 0;
    plan.writes.push(replicas.memberSet(group, uid, { cursor, end: lseq - 1 }));
  }
}

/** File the entries of `group` that `uid` has not got yet, at most GROUP_CATCHUP_ENTRIES_MAX,
 * with its cursor; after the commit MN, and the next batch when more are left. */
function materializePlan(
  services: ShardServices,
  group: ReplicaGroup,
  uid: string,
  exceptSessionId: number,
  plan: Plan,
): boolean {
  const member = group.members.get(uid);
  if (member === undefined) return false;
  const target = group.lastFor(member);
  const last = Math.min(target, member.cursor + GROUP_CATCHUP_ENTRIES_MAX);
  if (last <= member.cursor) return false;
  const { timelines } = services;
  let seq = 0;
  for (let lseq = member.cursor + 1; lseq <= last; lseq++) {
    const append = timelines.appendGroupRef(uid, group.gid, lseq);
    plan.writes.push(append.write);
    seq = append.seq;
  }
  const cursor = { cursor: last, end: member.end };
  plan.writes.push(services.groupReplicas.memberSet(group, uid, cursor));
  plan.after.push(() => {
    timelines.committed(uid, seq);
    notifyAppended(services, uid, seq, exceptSessionId);
    if (last < target && online(services, uid)) groupCatchUp(services, uid);
  });
  return true;
}

function groupPlanned(services: ShardServices, group: ReplicaGroup, plan: Plan): void {
  group.inFlight++;
  plan.settled.push((code) => services.groupReplicas.settled(group, code === ErrorCode.OK));
}

/** A member connected: file what its read-fan-out groups posted since its cursors, in one
 * commit (per group at most GROUP_CATCHUP_ENTRIES_MAX now, the rest after it). */
export function groupCatchUp(services: ShardServices, uid: string): void {
  const replicas = services.groupReplicas;
  const plan: Plan = { writes: [], after: [], settled: [] };
  for (const gid of replicas.groupsOfUser(uid)) {
    const group = replicas.groupOf(gid);
    if (materializePlan(services, group, uid, -1, plan)) groupPlanned(services, group, plan);
  }
  if (plan.writes.length === 0) return;
  services.commits.add(
    () => {
      for (const write of plan.writes) write();
    },
    (code) => {
      for (const settled of plan.settled) settled(code);
      if (code !== ErrorCode.OK) return;
      for (const after of plan.after) after();
    },
  );
}
