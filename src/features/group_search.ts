// What one shard answers about the groups it owns: GPGI's info entries and GSR's name search.
// The search reads the shard's name index (group_store.ts, written with each group record), so
// only searchable, live groups are found, by a prefix of the name or of one of its words.

import { GROUP_SEARCH_SCAN_MAX } from '../limits.js';
import type { ShardServices } from '../shard/services.js';
import { groupTableOf, type Group, type GroupRecord } from './group_store.js';
import { JoinType, type GroupInfoWire } from './group_types.js';

export function groupInfoWire(group: Group): GroupInfoWire {
  const { record } = group;
  return {
    target: record.gid,
    name: record.name,
    portrait: record.portrait,
    owner: record.owner,
    type: record.type,
    memberCount: group.activeMembers().length,
    extra: record.extra,
    updateDt: record.updateDt,
    joinType: record.joinType ?? JoinType.FREE,
    privateChat: record.privateChat ?? 0,
    searchable: record.searchable ?? 0,
  };
}

/** Infos of the live groups of `gids` owned here, unknown ones left out. */
export function infosLocal(services: ShardServices, gids: readonly string[]): GroupInfoWire[] {
  const table = groupTableOf(services);
  const infos: GroupInfoWire[] = [];
  for (const gid of gids) {
    const group = table.get(gid);
    if (group !== undefined && !group.record.dismissed) infos.push(groupInfoWire(group));
  }
  return infos;
}

/** Name order (case-insensitive), then gid: the same order on every shard and in the merge. */
export function searchOrder(
  a: Pick<GroupRecord, 'name'> & { readonly key: string },
  b: Pick<GroupRecord, 'name'> & { readonly key: string },
): number {
  const byName = a.name.toLowerCase().localeCompare(b.name.toLowerCase());
  return byName !== 0 ? byName : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/** This shard's first `limit` searchable groups matching `keyword` (lowercase), in search order;
 * at most GROUP_SEARCH_SCAN_MAX index keys are read. */
export function searchLocal(
  services: ShardServices,
  keyword: string,
  limit: number,
): GroupInfoWire[] {
  const table = groupTableOf(services);
  const found: { name: string; key: string }[] = [];
  for (const gid of table.nameMatches(keyword, GROUP_SEARCH_SCAN_MAX)) {
    const record = table.recordOf(gid);
    if (record === undefined || record.dismissed || record.searchable !== 1) continue;
    found.push({ name: record.name, key: gid });
  }
  found.sort(searchOrder);
  return infosLocal(
    services,
    found.slice(0, limit).map((entry) => entry.key),
  );
}
