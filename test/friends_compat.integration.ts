// Friends and profiles over the compat profile (WebSocket JSON, as the original web client), on a
// real server with the two users on different shards: FAR → FRN → FRP → FHR accept (greeting,
// tips, FN with a string head), FP, FALS, MMI of every info type seen in UPUI and US, blacklist
// (the blocked sender's MS fails), BLP, and FD seen in an incremental FP. friends.integration.ts
// covers the same flows natively.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MagpieError } from '../src/client/index.js';
import { SubSignal } from '../src/protocol/signals.js';
import { eventually, groupSuite } from './helpers/groups.js';
import { text, type TestUser } from './helpers/users.js';

const kit = groupSuite();

async function ask(user: TestUser, subSignal: number, content: unknown): Promise<unknown> {
  const answer = await user.client.request(subSignal, content);
  assert.equal(answer.code, 0, `${subSignal} ${JSON.stringify(content)}`);
  return answer.result;
}

function rows(result: unknown): Record<string, unknown>[] {
  assert.ok(Array.isArray(result), JSON.stringify(result));
  return result as Record<string, unknown>[];
}

/** The pushes of `subSignal` `user` got after the first `skip`. */
async function pushAfter(user: TestUser, subSignal: number, skip: number): Promise<unknown> {
  await eventually(() => kit.pushesOf(user, subSignal).length > skip, `push ${subSignal}`);
  return kit.pushesOf(user, subSignal)[skip]?.content;
}

async function sendCode(from: TestUser, to: TestUser): Promise<number> {
  try {
    const conversation = { type: 0, target: to.uid, line: 0 };
    await from.client.send({ conversation, content: text('x') });
    return 0;
  } catch (error) {
    if (error instanceof MagpieError) return error.code;
    throw error;
  }
}

describe('friends over compat JSON', () => {
  it('request, accept with greeting and tips, list, alias, blacklist, delete', async () => {
    const a = await kit.userOn(0, 'ws-compat');
    const b = await kit.userOn(1, 'ws-compat');
    assert.deepEqual(await ask(a, SubSignal.FAR, { targetUserId: b.uid, reason: 'hi b' }),
      { code: 200 });
    const frn = (await pushAfter(b, SubSignal.FRN, 0)) as { version: string };
    assert.match(frn.version, /^\d+$/);
    const requests = rows(await ask(b, SubSignal.FRP, { version: frn.version }));
    assert.deepEqual(requests.map((r) => [r['from'], r['reason'], r['status']]),
      [[a.uid, 'hi b', 0]]);
    assert.deepEqual(await ask(b, SubSignal.FHR, { targetUid: a.uid, status: 1 }), { code: 200 });
    for (const user of [a, b]) {
      const fn = (await pushAfter(user, SubSignal.FN, 0)) as { head: string };
      assert.match(fn.head, /^\d+$/);
      await eventually(() => user.received.length >= 3, 'greeting and tips');
      assert.deepEqual(user.received.map((m) => m.content.type), [1, 90, 90]);
      assert.equal(user.received[0]?.content.searchableContent, 'hi b');
    }
    const friends = rows(await ask(a, SubSignal.FP, { version: '0' }));
    assert.deepEqual(friends.map((f) => [f['friendUid'], f['state']]), [[b.uid, 0]]);
    assert.deepEqual(await ask(a, SubSignal.FALS, { targetUserId: b.uid, reason: 'Bee' }),
      { code: 200 });
    const aliased = rows(await ask(a, SubSignal.FP, { version: 0 }));
    assert.deepEqual(aliased.map((f) => f['alias']), ['Bee']);

    assert.deepEqual(await ask(b, SubSignal.BL, { targetUid: a.uid, status: 1 }), { code: 200 });
    await eventually(async () => (await sendCode(a, b)) !== 0, 'a blocked');
    assert.equal(await sendCode(b, a), 0, 'the blocker still writes');
    const blocked = rows(await ask(b, SubSignal.BLP, { version: 0 }));
    assert.deepEqual(blocked.map((e) => [e['uid'], e['state']]), [[a.uid, 0]]);
    await ask(b, SubSignal.BL, { targetUid: a.uid, status: 0 });
    await eventually(async () => (await sendCode(a, b)) === 0, 'a unblocked');

    const version = Math.max(...aliased.map((f) => Number(f['timestamp'])));
    assert.deepEqual(await ask(b, SubSignal.FD, { targetUid: a.uid }), { code: 200 });
    await eventually(async () => rows(await ask(a, SubSignal.FP, { version })).length === 1, 'FD');
    const gone = rows(await ask(a, SubSignal.FP, { version }));
    assert.deepEqual(gone.map((f) => [f['friendUid'], f['state']]), [[b.uid, 1]]);
  });

  it('MMI sets every info type but the mobile; UPUI and US show them', async () => {
    const a = await kit.userOn(0, 'ws-compat');
    const b = await kit.userOn(1, 'ws-compat');
    const name = `Zed${a.uid.slice(-6)}`;
    const entries = [
      { type: 0, value: name },
      { type: 1, value: 'https://example.com/p.png' },
      { type: 2, value: 1 },
      { type: 4, value: 'zed@example.com' },
      { type: 5, value: '1 Main St' },
      { type: 6, value: 'Acme' },
      { type: 7, value: '@zed' },
      { type: 8, value: '{"k":1}' },
    ];
    assert.deepEqual(await ask(a, SubSignal.MMI, entries), { code: 200 });
    const failed = await a.client.request(SubSignal.MMI, [{ type: 3, value: '1' }]);
    assert.notEqual(failed.code, 0, 'the mobile is the login identity');
    const [user] = rows(await ask(b, SubSignal.UPUI, [a.uid]));
    assert.deepEqual(
      ['displayName', 'portrait', 'gender', 'email', 'address', 'company', 'extra', 'mobile']
        .map((key) => user?.[key]),
      [name, 'https://example.com/p.png', 1, 'zed@example.com', '1 Main St', 'Acme', '{"k":1}',
        a.mobile],
    );
    assert.equal(user?.['social'], undefined, 'social is native only');
    const found = rows(await ask(b, SubSignal.US, { keyword: name.toLowerCase(), fuzzy: 1 }));
    assert.deepEqual(found.map((u) => u['uid']), [a.uid]);
    const native = await kit.userOn(1, 'tcp');
    const [seen] = rows(await ask(native, SubSignal.UPUI, [a.uid]));
    assert.equal(seen?.['social'], '@zed');
  });
});
