// Group reads: GPGI (infos of any groups, gathered from their owner shards by the asking shard;
// never fails: unknown groups are left out, trouble answers `[]`) and GPGM (a group's members
// changed after a version, served by the owner shard, removed members included as type 4).

import { ErrorCode } from '../errors.js';
import { SubSignal } from '../protocol/signals.js';
import { reply, replyToOf } from '../shard/replies.js';
import type { ShardServices } from '../shard/services.js';
import type { Inbound, Session } from '../transport/session.js';
import { commandSend } from './commands.js';
import { gatherRun, idsByShard } from './group_gather.js';
import { infosDecode, membersPullDecode } from './group_requests.js';
import { groupTableOf } from './group_store.js';
import type { GatherQuery, GroupInfoWire, GroupsCommand } from './group_types.js';

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

export function groupMembersRoute(services: ShardServices, session: Session, frame: Inbound): void {
  const replyTo = replyToOf(services, session, frame);
  const request = membersPullDecode(frame.content);
  if (!request.ok) return reply(services, replyTo, SubSignal.GPGM, request.code);
  const { gid, version } = request.value;
  const uid = session.uid as string;
  commandSend(services, gid, { feature: 'groups', kind: 'members', replyTo, gid, uid, version });
}

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
