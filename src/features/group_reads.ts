// Group reads: GPGI (infos of any groups, gathered from their owner shards by the asking shard;
// never fails: unknown groups are left out, trouble answers `[]`), GPGM (a group's members
// changed after a version, served by the owner shard, removed members included as type 4), GJRP
// routed to the owner shard, GSR (search, gathered from every shard) and GMY (my groups).

import { ErrorCode } from '../errors.js';
import { GROUP_SEARCH_RESULTS_MAX } from '../limits.js';
import { SubSignal } from '../protocol/signals.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Inbound, Session } from '../transport/session.js';
import { commandSend } from './commands.js';
import { gatherRun, idsByShard } from './group_gather.js';
import { infosDecode, membersPullDecode, searchDecode } from './group_requests.js';
import { searchOrder } from './group_search.js';
import { groupTableOf } from './group_store.js';
import type { GatherQuery, GroupInfoWire, GroupsCommand } from './group_types.js';
import type { PublishHandler } from './registry.js';

export function groupInfosServe(services: ShardServices, session: Session, frame: Inbound): void {
  const replyTo = replyToOf(services, session, frame);
  const gids = infosDecode(frame.content);
  const queries = new Map<number, GatherQuery>();
  for (const [shard, list] of idsByShard(services, gids)) {
    queries.set(shard, { type: 'infos', gids: list });
  }
  gatherRun(services, queries, (parts) => {
    const byGid = new Map<string, GroupInfoWire>();
    for (const part of parts) {
      if (part.type !== 'infos') continue;
      for (const info of part.infos) byGid.set(info.target, info);
    }
    const infos: GroupInfoWire[] = [];
    for (const gid of gids) {
      const info = byGid.get(gid);
      if (info !== undefined) infos.push(info);
    }
    reply(services, replyTo, SubSignal.GPGI, ErrorCode.OK, infos);
  });
}

/** GPGM and GJRP `{groupId, version}`: served by the group's owner shard. */
function pullRoute(kind: 'members' | 'joinRequests', subSignal: number): PublishHandler {
  return (services, session, frame) => {
    const replyTo = replyToOf(services, session, frame);
    const request = membersPullDecode(frame.content);
    if (!request.ok) return reply(services, replyTo, subSignal, request.code);
    const { gid, version } = request.value;
    const uid = session.uid as string;
    commandSend(services, gid, { feature: 'groups', kind, replyTo, gid, uid, version });
  };
}

export const groupMembersRoute = pullRoute('members', SubSignal.GPGM);
export const joinRequestsRoute = pullRoute('joinRequests', SubSignal.GJRP);

type MembersCommand = Extract<GroupsCommand, { kind: 'members' }>;

/** On the owner shard: members (and ex-members) may read; others get 9. */
export function groupMembersServe(services: ShardServices, command: MembersCommand): void {
  const { replyTo, gid, uid, version } = command;
  const group = groupTableOf(services).get(gid);
  if (group === undefined || group.record.dismissed) {
    return reply(services, replyTo, SubSignal.GPGM, ErrorCode.NOT_EXIST);
  }
  if (!group.members.has(uid))
    return reply(services, replyTo, SubSignal.GPGM, ErrorCode.NOT_IN_GROUP);
  const members = [];
  for (const [memberId, member] of group.members) {
    if (member.updateDt <= version) continue;
    members.push({ memberId, alias: member.alias, type: member.type, updateDt: member.updateDt });
  }
  reply(services, replyTo, SubSignal.GPGM, ErrorCode.OK, members);
}

/** GSR: every shard's first matches up to the page's end, merged in search order. */
export function groupSearchServe(services: ShardServices, session: Session, frame: Inbound): void {
  const replyTo = replyToOf(services, session, frame);
  const request = searchDecode(frame.content);
  if (!request.ok) return reply(services, replyTo, SubSignal.GSR, request.code);
  const { keyword, page } = request.value;
  if (keyword === '') return reply(services, replyTo, SubSignal.GSR, ErrorCode.OK, []);
  const limit = (page + 1) * GROUP_SEARCH_RESULTS_MAX;
  const queries = new Map<number, GatherQuery>();
  for (let shard = 0; shard < services.partitions.shardCount; shard++) {
    queries.set(shard, { type: 'search', keyword, limit });
  }
  gatherRun(services, queries, (parts) => {
    const found: GroupInfoWire[] = [];
    for (const part of parts) if (part.type === 'search') found.push(...part.infos);
    found.sort((a, b) => searchOrder({ name: a.name, key: a.target }, { ...b, key: b.target }));
    const infos = found.slice(page * GROUP_SEARCH_RESULTS_MAX, limit);
    reply(services, replyTo, SubSignal.GSR, ErrorCode.OK, infos);
  });
}

/** GMY: the user's groups from `user_groups` on the user's own shard (where sessions live). */
export function myGroupsServe(services: ShardServices, session: Session, frame: Inbound): void {
  const replyTo = replyToOf(services, session, frame);
  const groups = groupTableOf(services).userGroupsOf(session.uid as string);
  reply(services, replyTo, SubSignal.GMY, ErrorCode.OK, groups);
}
