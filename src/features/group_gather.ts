// Questions for several shards at once (GPGI's group infos, GSR's name search, "is this user in
// too many groups?"): asked with one command per shard, answered back to the asking shard,
// gathered under a request id until every shard answered or GATHER_TIMEOUT_MS passed. Not
// durable, like every command.

import { assertNever } from '../errors.js';
import { GATHER_TIMEOUT_MS, GATHERS_PENDING_MAX } from '../limits.js';
import type { ShardServices } from '../shard/services.js';
import { groupTableOf } from './group_store.js';
import { infosLocal, searchLocal } from './group_search.js';
import type { GatherPart, GatherQuery, GroupsCommand } from './group_types.js';

/** `complete` is false when some shard did not answer in time (or too many were pending). */
export type GatherDone = (parts: readonly GatherPart[], complete: boolean) => void;

interface Pending {
  readonly waiting: Set<number>;
  readonly parts: GatherPart[];
  readonly timer: NodeJS.Timeout;
  readonly done: GatherDone;
}

interface Gathers {
  nextId: number;
  readonly pending: Map<number, Pending>;
}

const gathersByShard = new WeakMap<ShardServices, Gathers>();

function gathersOf(services: ShardServices): Gathers {
  let gathers = gathersByShard.get(services);
  if (gathers === undefined) {
    gathers = { nextId: 1, pending: new Map() };
    gathersByShard.set(services, gathers);
  }
  return gathers;
}

/** Ask each shard of `queries` its question; `done` runs once, maybe synchronously. */
export function gatherRun(
  services: ShardServices,
  queries: ReadonlyMap<number, GatherQuery>,
  done: GatherDone,
): void {
  const parts: GatherPart[] = [];
  const waiting = new Set<number>();
  for (const [shard, query] of queries) {
    if (shard === services.shardId) parts.push(gatherAnswerLocal(services, query));
    else waiting.add(shard);
  }
  if (waiting.size === 0) return done(parts, true);
  const gathers = gathersOf(services);
  if (gathers.pending.size >= GATHERS_PENDING_MAX) return done(parts, false);
  const requestId = gathers.nextId++;
  const timer = setTimeout(() => {
    gathers.pending.delete(requestId);
    done(parts, false);
  }, GATHER_TIMEOUT_MS);
  gathers.pending.set(requestId, { waiting, parts, timer, done });
  for (const shard of waiting) {
    const query = queries.get(shard);
    if (query === undefined) continue;
    const command: GroupsCommand = {
      feature: 'groups',
      kind: 'gatherAsk',
      origin: services.shardId,
      requestId,
      query,
    };
    services.mesh.send(shard, { type: 'Command', command });
  }
}

/** Another shard asks: answer from what this shard owns. */
export function gatherAsked(
  services: ShardServices,
  origin: number,
  requestId: number,
  query: GatherQuery,
): void {
  const command: GroupsCommand = {
    feature: 'groups',
    kind: 'gatherAnswer',
    from: services.shardId,
    requestId,
    part: gatherAnswerLocal(services, query),
  };
  services.mesh.send(origin, { type: 'Command', command });
}

/** A shard answered; late or duplicate answers are ignored. */
export function gatherAnswered(
  services: ShardServices,
  from: number,
  requestId: number,
  part: GatherPart,
): void {
  const gathers = gathersOf(services);
  const pending = gathers.pending.get(requestId);
  if (pending === undefined || !pending.waiting.delete(from)) return;
  pending.parts.push(part);
  if (pending.waiting.size > 0) return;
  clearTimeout(pending.timer);
  gathers.pending.delete(requestId);
  pending.done(pending.parts, true);
}

function gatherAnswerLocal(services: ShardServices, query: GatherQuery): GatherPart {
  switch (query.type) {
    case 'infos':
      return { type: 'infos', infos: infosLocal(services, query.gids) };
    case 'full': {
      const table = groupTableOf(services);
      return { type: 'full', uids: query.uids.filter((uid) => table.userFull(uid)) };
    }
    case 'search':
      return { type: 'search', infos: searchLocal(services, query.keyword, query.limit) };
    default:
      return assertNever(query);
  }
}

/** Split ids by the shard that owns them. */
export function idsByShard(services: ShardServices, ids: readonly string[]): Map<number, string[]> {
  const byShard = new Map<number, string[]>();
  for (const id of ids) {
    const shard = services.partitions.shardOf(id);
    const list = byShard.get(shard);
    if (list === undefined) byShard.set(shard, [id]);
    else list.push(id);
  }
  return byShard;
}
