// Group member aliases (GMAL, notice 111, GPGM alias), group search over every shard's name
// index (GSR: searchable only, prefix of the name or a word, paging, limits), my groups (GMY),
// and what a restart keeps of them and of join requests. Real server, compat and native.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  GROUP_ALIAS_CHARS_MAX,
  GROUP_SEARCH_PAGES_MAX,
  GROUP_SEARCH_RESULTS_MAX,
  SEARCH_KEYWORD_CHARS_MAX,
} from '../src/limits.js';
import { SubSignal } from '../src/protocol/signals.js';
import {
  codeOf,
  eventually,
  groupCreate,
  groupSuite,
  noticeWait,
  ofType,
  sleep,
} from './helpers/groups.js';
import type { TestUser } from './helpers/users.js';

const kit = groupSuite();

interface Found {
  readonly target: string;
  readonly name: string;
  readonly searchable: number;
}

async function search(user: TestUser, keyword: string, page = 0): Promise<Found[]> {
  const answer = await user.client.request(SubSignal.GSR, { keyword, page });
  assert.equal(answer.code, 0);
  return answer.result as Found[];
}

async function aliasesOf(user: TestUser, gid: string): Promise<Map<string, string>> {
  const answer = await user.client.request(SubSignal.GPGM, { groupId: gid, version: 0 });
  const members = answer.result as { memberId: string; alias: string }[];
  return new Map(members.map((m) => [m.memberId, m.alias]));
}

async function myGroups(user: TestUser): Promise<string[]> {
  const answer = await user.client.request(SubSignal.GMY, {});
  assert.equal(answer.code, 0);
  return (answer.result as { groupId: string }[]).map((entry) => entry.groupId);
}

const searchableSet = (user: TestUser, gid: string, value: number) =>
  codeOf(user, SubSignal.GMI, { groupId: gid, type: 6, value });

/** A word no other test's group names contain. */
const tokenNew = (): string => `tok${Math.random().toString(36).slice(2, 10)}`;

describe('groups: member alias', () => {
  it(`GMAL sets one's alias (notice 111, GPGM); ${GROUP_ALIAS_CHARS_MAX} chars ok`, async () => {
    const owner = await kit.userOn(0, 'tcp');
    const member = await kit.userOn(1, 'ws-compat');
    const stranger = await kit.userOn(1, 'tcp');
    const gid = await groupCreate(owner, [member]);
    assert.equal(await codeOf(member, SubSignal.GMAL, { groupId: gid, alias: 'Bobby' }), 0);
    const notice = await noticeWait(owner, gid, 111);
    assert.deepEqual([notice.o, notice.n], [member.uid, 'Bobby']);
    await noticeWait(member, gid, 111);
    const aliases = await aliasesOf(owner, gid);
    assert.deepEqual([aliases.get(member.uid), aliases.get(owner.uid)], ['Bobby', '']);
    const longest = 'a'.repeat(GROUP_ALIAS_CHARS_MAX);
    assert.equal(await codeOf(owner, SubSignal.GMAL, { groupId: gid, alias: longest }), 0);
    assert.equal((await aliasesOf(owner, gid)).get(owner.uid), longest);
    const tooLong = `${longest}a`;
    assert.equal(await codeOf(owner, SubSignal.GMAL, { groupId: gid, alias: tooLong }), 251);
    assert.equal(await codeOf(owner, SubSignal.GMAL, { groupId: gid, alias: 7 }), 251);
    assert.equal(await codeOf(owner, SubSignal.GMAL, { alias: 'x' }), 251);
    assert.equal(await codeOf(stranger, SubSignal.GMAL, { groupId: gid, alias: 'x' }), 9);
    assert.equal(await codeOf(owner, SubSignal.GMAL, { groupId: 'nosuch', alias: 'x' }), 253);
    // The same alias again: 200, no notice; clearing it is a change.
    assert.equal(await codeOf(owner, SubSignal.GMAL, { groupId: gid, alias: longest }), 0);
    assert.equal(await codeOf(owner, SubSignal.GMAL, { groupId: gid, alias: null }), 0);
    await noticeWait(member, gid, 111, 3);
    await sleep(100);
    assert.equal(ofType(member, gid, 111).length, 3);
    // An incremental GPGM returns the member whose alias changed.
    const version = (
      (await owner.client.request(SubSignal.GPGI, [gid])).result as { updateDt: number }[]
    )[0]?.updateDt;
    await codeOf(member, SubSignal.GMAL, { groupId: gid, alias: 'Bob' });
    const changed = (await owner.client.request(SubSignal.GPGM, { groupId: gid, version }))
      .result as { memberId: string; alias: string }[];
    assert.deepEqual(
      changed.map((m) => [m.memberId, m.alias]),
      [[member.uid, 'Bob']],
    );
  });
});

describe('groups: search', () => {
  it('GSR finds searchable groups by a name or word prefix, any case, on every shard', async () => {
    const owner = await kit.userOn(0, 'tcp');
    const seeker = await kit.userOn(1, 'ws-compat');
    const token = tokenNew();
    // Four searchable groups owned by both shards (gids hash like uids), two that are not.
    const byShard: string[][] = [[], []];
    while ((byShard[0]?.length ?? 0) < 2 || (byShard[1]?.length ?? 0) < 2) {
      const gid = await groupCreate(owner, [], `${token.toUpperCase()} Club`);
      byShard[kit.partitions.shardOf(gid)]?.push(gid);
    }
    const chosen = [...(byShard[0] ?? []).slice(0, 2), ...(byShard[1] ?? []).slice(0, 2)];
    const others = [...byShard.flat()].filter((gid) => !chosen.includes(gid)).slice(0, 2);
    const gids = [...chosen, ...others];
    for (const [i, gid] of gids.entries()) {
      const name = `${token.toUpperCase()} Club ${i}`;
      assert.equal(await codeOf(owner, SubSignal.GMI, { groupId: gid, type: 0, value: name }), 0);
    }
    assert.deepEqual(await search(seeker, token), [], 'nothing is searchable yet');
    for (const gid of gids.slice(0, 4)) assert.equal(await searchableSet(owner, gid, 1), 0);
    const byName = await search(seeker, token);
    assert.deepEqual(
      byName.map((g) => g.name),
      [0, 1, 2, 3].map((i) => `${token.toUpperCase()} Club ${i}`),
    );
    assert.ok(byName.every((g) => g.searchable === 1));
    assert.equal((await search(owner, `  ${token.slice(0, 6).toUpperCase()}`)).length, 4);
    // A word start matches too ("club 2" inside the name); a middle does not.
    const word = await search(owner, `club 2`);
    assert.ok(word.some((g) => g.target === gids[2]));
    assert.deepEqual(await search(owner, token.slice(2)), []);
    // Renaming moves the group in the index; unsetting searchable and dismissing remove it.
    const renamed = tokenNew();
    const gid0 = gids[0] as string;
    await codeOf(owner, SubSignal.GMI, { groupId: gid0, type: 0, value: `${renamed} now` });
    assert.deepEqual((await search(owner, renamed)).map((g) => g.target), [gid0]);
    assert.equal((await search(owner, token)).length, 3);
    await searchableSet(owner, gids[1] as string, 0);
    await codeOf(owner, SubSignal.GD, { groupId: gids[2] });
    assert.deepEqual((await search(owner, token)).map((g) => g.target), [gids[3]]);
    assert.deepEqual(await search(owner, '   '), []);
  });

  const pages = `${GROUP_SEARCH_RESULTS_MAX}; page ${GROUP_SEARCH_PAGES_MAX}`;
  it(`GSR pages of ${pages} and bad input are 251`, async () => {
    const owner = await kit.userOn(1, 'tcp');
    const token = tokenNew();
    const total = GROUP_SEARCH_RESULTS_MAX + 5;
    const names = Array.from({ length: total }, (_, i) => `${token} ${String(i).padStart(2, '0')}`);
    for (const name of names) {
      const gid = await groupCreate(owner, [], name);
      await searchableSet(owner, gid, 1);
    }
    const first = await search(owner, token, 0);
    const second = await search(owner, token, 1);
    assert.deepEqual(first.map((g) => g.name), names.slice(0, GROUP_SEARCH_RESULTS_MAX));
    assert.deepEqual(second.map((g) => g.name), names.slice(GROUP_SEARCH_RESULTS_MAX));
    assert.deepEqual(await search(owner, token, GROUP_SEARCH_PAGES_MAX - 1), []);
    const bad = [
      { keyword: token, page: GROUP_SEARCH_PAGES_MAX },
      { keyword: token, page: -1 },
      { keyword: 'k'.repeat(SEARCH_KEYWORD_CHARS_MAX + 1) },
      { page: 0 },
      [],
    ];
    for (const content of bad) assert.equal(await codeOf(owner, SubSignal.GSR, content), 251);
    const longest = 'k'.repeat(SEARCH_KEYWORD_CHARS_MAX);
    assert.equal(await codeOf(owner, SubSignal.GSR, { keyword: longest }), 0);
  });
});

describe('groups: my groups', () => {
  it('GMY lists the groups a user is in, from its own shard, over compat and native', async () => {
    const owner = await kit.userOn(0, 'ws-compat');
    const member = await kit.userOn(1, 'tcp');
    assert.deepEqual(await myGroups(member), []);
    const one = await groupCreate(owner, [member], 'one');
    const two = await groupCreate(owner, [member], 'two');
    await eventually(async () => (await myGroups(member)).length === 2, 'both groups');
    assert.deepEqual(await myGroups(member), [one, two]);
    assert.deepEqual(await myGroups(owner), [one, two]);
    await codeOf(member, SubSignal.GQ, { groupId: one });
    await eventually(async () => (await myGroups(member)).length === 1, 'one left');
    assert.deepEqual(await myGroups(member), [two]);
  });
});

describe('groups: a restart keeps the new state', () => {
  it('aliases, join requests, settings, the name index and user groups survive', async () => {
    const { server } = kit;
    const owner = await kit.userOn(0, 'tcp');
    const member = await kit.userOn(1, 'tcp');
    const asker = await kit.userOn(1, 'ws');
    const token = tokenNew();
    const gid = await groupCreate(owner, [member], `${token} kept`);
    await searchableSet(owner, gid, 1);
    await codeOf(owner, SubSignal.GMI, { groupId: gid, type: 4, value: 1 });
    await codeOf(member, SubSignal.GMAL, { groupId: gid, alias: 'kept alias' });
    await codeOf(asker, SubSignal.GJR, { groupId: gid, reason: 'after restart?' });
    await eventually(async () => (await myGroups(member)).includes(gid), 'member lists it');
    kit.closeAll();
    assert.equal(await server.stop(), 0);
    await server.restart();
    const owner2 = await kit.connect({ transport: 'tcp', mobile: owner.mobile });
    const member2 = await kit.connect({ transport: 'ws-compat', mobile: member.mobile });
    assert.equal((await aliasesOf(owner2, gid)).get(member.uid), 'kept alias');
    const page = (await owner2.client.request(SubSignal.GJRP, { groupId: gid, version: 0 }))
      .result as { requests: { memberId: string; reason: string; status: number }[] };
    assert.deepEqual(
      page.requests.map((r) => [r.memberId, r.reason, r.status]),
      [[asker.uid, 'after restart?', 0]],
    );
    assert.deepEqual((await search(member2, token)).map((g) => g.target), [gid]);
    assert.deepEqual(await myGroups(member2), [gid]);
    const info = (await owner2.client.request(SubSignal.GPGI, [gid])).result as {
      joinType: number;
    }[];
    assert.equal(info[0]?.joinType, 1);
  });
});
