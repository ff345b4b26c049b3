// Friends and user profiles on a real server (2 shards, users on both): search, requests,
// acceptance (greeting and tips in both timelines), aliases, deletion, blacklist, profile
// changes, offline catch-up, and the compat profile's answer shapes.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { compatPasswordDerive } from '../src/auth/compat_token.js';
import {
  compatLogin,
  login,
  MagpieClient,
  MagpieError,
  type ConnectAckInfo,
  type Notification,
  type Transport,
} from '../src/client/index.js';
import { ErrorCode } from '../src/errors.js';
import { FRIEND_REQUEST_REASON_CHARS_MAX, PROFILE_NAME_CHARS_MAX } from '../src/limits.js';
import { PartitionMap } from '../src/router/partition_map.js';
import { SubSignal } from '../src/protocol/signals.js';
import { serverStart, type TestServer } from './helpers/server.js';
import { mobileNext, text, userConnect, type TestUser } from './helpers/users.js';

let server: TestServer;
const opened: TestUser[] = [];

before(async () => {
  server = await serverStart({ shards: 2 });
});
after(async () => {
  for (const user of opened) user.client.close();
  await server.stop();
  server.cleanup();
});

/** A connected user whose pushes (FRN, FN, …) are collected for `pushOf`. */
interface Friend extends TestUser {
  readonly pushes: Notification[];
  pushOf(subSignal: number, afterCount?: number): Promise<Notification>;
}

function withPushes(user: TestUser): Friend {
  const pushes: Notification[] = [];
  const waiters: (() => void)[] = [];
  user.client.on('notify', (push) => {
    pushes.push(push);
    for (const waiter of waiters.splice(0)) waiter();
  });
  opened.push(user);
  return Object.assign(user, {
    pushes,
    async pushOf(subSignal: number, afterCount = 0): Promise<Notification> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = pushes.slice(afterCount).find((push) => push.subSignal === subSignal);
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`${user.uid}: no push ${subSignal}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
  });
}

async function connect(transport: Transport, mobile?: string): Promise<Friend> {
  const options = mobile === undefined ? { transport } : { transport, mobile };
  return withPushes(await userConnect(server, options));
}

/** Two users owned by different shards. */
async function pairOnTwoShards(a: Transport, b: Transport): Promise<[Friend, Friend]> {
  const partitions = new PartitionMap(server.ports.shards);
  const first = await connect(a);
  for (let attempt = 0; attempt < 50; attempt++) {
    const second = await connect(b);
    if (partitions.shardOf(second.uid) !== partitions.shardOf(first.uid)) return [first, second];
    second.client.close();
  }
  throw new Error('no user on the other shard in 50 tries');
}

function list(result: unknown): Record<string, unknown>[] {
  assert.ok(Array.isArray(result), `an array: ${JSON.stringify(result)}`);
  return result as Record<string, unknown>[];
}

async function ask(user: TestUser, subSignal: number, content: unknown): Promise<unknown> {
  const answer = await user.client.request(subSignal, content);
  assert.equal(answer.code, 0, `${subSignal} answered ${answer.code}`);
  return answer.result;
}

async function expectCode(
  user: TestUser,
  subSignal: number,
  content: unknown,
  code: number,
): Promise<void> {
  const answer = await user.client.request(subSignal, content);
  assert.equal(answer.code, code, `${subSignal} ${JSON.stringify(content)}`);
}

/** a asks, b accepts: both are friends afterwards. */
async function befriend(a: Friend, b: Friend, reason: string): Promise<void> {
  const frnBefore = b.pushes.length;
  await ask(a, SubSignal.FAR, { targetUserId: b.uid, reason });
  await b.pushOf(SubSignal.FRN, frnBefore);
  await ask(b, SubSignal.FHR, { targetUid: a.uid, status: 1 });
}

describe('users: profiles and search', () => {
  it('US by exact mobile and uid finds a user on the other shard', async () => {
    const [a, b] = await pairOnTwoShards('tcp', 'ws');
    const byMobile = list(await ask(a, SubSignal.US, { keyword: b.mobile, fuzzy: 0, page: 0 }));
    assert.deepEqual(byMobile.map((user) => user['uid']), [b.uid]);
    assert.equal(byMobile[0]?.['mobile'], b.mobile);
    for (const key of ['name', 'displayName', 'portrait', 'email', 'gender', 'type', 'updateDt']) {
      assert.ok(key in (byMobile[0] ?? {}), `User has ${key}`);
    }
    const byUid = list(await ask(b, SubSignal.US, { keyword: a.uid, fuzzy: 0, page: 0 }));
    assert.deepEqual(byUid.map((user) => user['uid']), [a.uid]);
    const none = await ask(a, SubSignal.US, { keyword: 'no-such-user-x', fuzzy: 1, page: 0 });
    assert.deepEqual(none, []);
  });

  it('MMI changes show in UPUI and in fuzzy US; mobile and unknown types are refused', async () => {
    const [a, b] = await pairOnTwoShards('ws', 'tcp');
    const name = `Zed${Math.random().toString(36).slice(2, 8)}`;
    await ask(a, SubSignal.MMI, [
      { type: 0, value: name },
      { type: 4, value: 'zed@example.com' },
      { type: 2, value: '1' },
    ]);
    const users = list(await ask(b, SubSignal.UPUI, [a.uid, b.uid, 'no-such-uid']));
    assert.deepEqual(users.map((user) => user['uid']), [a.uid, b.uid]);
    assert.equal(users[0]?.['displayName'], name);
    assert.equal(users[0]?.['email'], 'zed@example.com');
    assert.equal(users[0]?.['gender'], 1);
    const prefix = name.toLowerCase().slice(0, 5);
    const found = list(await ask(b, SubSignal.US, { keyword: prefix, fuzzy: 1, page: 0 }));
    assert.ok(found.some((user) => user['uid'] === a.uid), 'a fuzzy prefix finds the display name');
    await expectCode(a, SubSignal.MMI, [{ type: 3, value: '1' }], ErrorCode.NO_RIGHT);
    await expectCode(a, SubSignal.MMI, [{ type: 99, value: 'x' }], ErrorCode.INVALID_PARAMETER);
    const tooLong = 'x'.repeat(PROFILE_NAME_CHARS_MAX + 1);
    await expectCode(a, SubSignal.MMI, [{ type: 0, value: tooLong }], ErrorCode.INVALID_PARAMETER);
    await ask(a, SubSignal.MMI, [{ type: 0, value: 'x'.repeat(PROFILE_NAME_CHARS_MAX) }]);
    assert.deepEqual(await ask(a, SubSignal.UPUI, ['no-such-uid']), []);
  });
});

describe('friends across shards', () => {
  it('FAR → FRN; FRP lists it; FHR accept → FN, greeting and two tips for both; FP', async () => {
    const [a, b] = await pairOnTwoShards('tcp', 'ws');
    const reason = 'hello, it is a';
    const frnBefore = b.pushes.length;
    await ask(a, SubSignal.FAR, { targetUserId: b.uid, reason });
    const frn = await b.pushOf(SubSignal.FRN, frnBefore);
    const version = (frn.content as { version: number | bigint }).version;
    const requests = list(await ask(b, SubSignal.FRP, { version: Number(version) }));
    assert.equal(requests.length, 1);
    assert.deepEqual(
      ['from', 'target', 'reason', 'status'].map((key) => requests[0]?.[key]),
      [a.uid, b.uid, reason, 0],
    );
    const again = { targetUserId: b.uid, reason };
    await expectCode(a, SubSignal.FAR, again, ErrorCode.FRIEND_REQUEST_ALREADY_SENT);

    const aMessages = a.received.length;
    const bMessages = b.received.length;
    const aFn = a.pushes.length;
    const bFn = b.pushes.length;
    await ask(b, SubSignal.FHR, { targetUid: a.uid, status: 1 });
    await a.pushOf(SubSignal.FN, aFn);
    await b.pushOf(SubSignal.FN, bFn);
    for (const [user, before] of [[a, aMessages], [b, bMessages]] as const) {
      const received = (await user.waitFor(before + 3)).slice(before);
      assert.equal(received[0]?.from, a.uid);
      assert.equal(received[0]?.content.type, 1);
      assert.equal(received[0]?.content.searchableContent, reason);
      assert.deepEqual(received.slice(1).map((m) => m.content.type), [90, 90]);
      const peer = user === a ? b.uid : a.uid;
      for (const message of received) {
        assert.equal(message.from === user.uid ? message.target : message.from, peer);
      }
    }
    const aFriends = list(await ask(a, SubSignal.FP, { version: 0 }));
    assert.deepEqual(aFriends.map((f) => [f['friendUid'], f['state']]), [[b.uid, 0]]);
    const bFriends = list(await ask(b, SubSignal.FP, { version: '0' }));
    assert.deepEqual(bFriends.map((f) => [f['friendUid'], f['state']]), [[a.uid, 0]]);
    const sent = list(await ask(a, SubSignal.FRP, { version: null }));
    assert.deepEqual(sent.map((r) => [r['from'], r['target'], r['status']]), [[a.uid, b.uid, 1]]);
    await expectCode(a, SubSignal.FAR, again, ErrorCode.NOT_MODIFIED);
    // Friends chat as before.
    assert.equal(await sendCode(a, b), ErrorCode.OK);
  });

  it('FAR refusals: self 251, unknown user 253, reason over the limit 251', async () => {
    const a = await connect('tcp');
    const far = (targetUserId: string, reason: string) => ({ targetUserId, reason });
    await expectCode(a, SubSignal.FAR, far(a.uid, ''), ErrorCode.INVALID_PARAMETER);
    await expectCode(a, SubSignal.FAR, far('nobody-here', ''), ErrorCode.NOT_EXIST);
    const long = 'x'.repeat(FRIEND_REQUEST_REASON_CHARS_MAX + 1);
    await expectCode(a, SubSignal.FAR, far('nobody', long), ErrorCode.INVALID_PARAMETER);
    const ok = 'x'.repeat(FRIEND_REQUEST_REASON_CHARS_MAX);
    await expectCode(a, SubSignal.FAR, far('nobody', ok), ErrorCode.NOT_EXIST);
  });

  it('FHR reject: no friendship, the requester sees status 2; unknown request 253', async () => {
    const [a, b] = await pairOnTwoShards('ws', 'tcp');
    const frnBefore = b.pushes.length;
    await ask(a, SubSignal.FAR, { targetUserId: b.uid, reason: 'hi' });
    await b.pushOf(SubSignal.FRN, frnBefore);
    await ask(b, SubSignal.FHR, { targetUid: a.uid, status: 2 });
    await expectCode(b, SubSignal.FHR, { targetUid: a.uid, status: 1 }, ErrorCode.NOT_MODIFIED);
    await expectCode(a, SubSignal.FHR, { targetUid: b.uid, status: 1 }, ErrorCode.NOT_EXIST);
    assert.deepEqual(await ask(b, SubSignal.FP, { version: 0 }), []);
    await waitUntil(async () => {
      const sent = list(await ask(a, SubSignal.FRP, { version: 0 }));
      return sent[0]?.['status'] === 2;
    });
  });

  it('FALS alias shows in FP; FD deletes on both sides (FN to both, FP state 1)', async () => {
    const [a, b] = await pairOnTwoShards('tcp', 'tcp');
    await befriend(a, b, '');
    await waitUntil(async () => list(await ask(a, SubSignal.FP, { version: 0 })).length === 1);
    const fnBefore = a.pushes.length;
    await ask(a, SubSignal.FALS, { targetUserId: b.uid, reason: 'Bee' });
    await a.pushOf(SubSignal.FN, fnBefore);
    const friends = list(await ask(a, SubSignal.FP, { version: 0 }));
    assert.deepEqual(friends.map((f) => [f['friendUid'], f['alias']]), [[b.uid, 'Bee']]);
    const stranger = { targetUserId: 'stranger', reason: 'x' };
    await expectCode(a, SubSignal.FALS, stranger, ErrorCode.NOT_EXIST);

    const version = Math.max(...friends.map((f) => Number(f['timestamp'])));
    const aFn = a.pushes.length;
    const bFn = b.pushes.length;
    await ask(b, SubSignal.FD, { targetUid: a.uid });
    await a.pushOf(SubSignal.FN, aFn);
    await b.pushOf(SubSignal.FN, bFn);
    const delta = list(await ask(a, SubSignal.FP, { version }));
    assert.deepEqual(delta.map((f) => [f['friendUid'], f['state']]), [[b.uid, 1]]);
    await expectCode(b, SubSignal.FD, { targetUid: a.uid }, ErrorCode.NOT_EXIST);
  });

  it('blacklist: the blocked user gets 246 on MS, 18 on FAR; BLP lists it; unblock', async () => {
    const [a, b] = await pairOnTwoShards('ws', 'tcp');
    await ask(b, SubSignal.BL, { targetUid: a.uid, status: 1 });
    const blocked = list(await ask(b, SubSignal.BLP, { version: 0 }));
    assert.deepEqual(blocked.map((e) => [e['uid'], e['state']]), [[a.uid, 0]]);
    await waitUntil(async () => (await sendCode(a, b)) === ErrorCode.IN_BLACKLIST);
    const far = { targetUserId: b.uid, reason: '' };
    await expectCode(a, SubSignal.FAR, far, ErrorCode.FRIEND_REQUEST_BLOCKED);
    // The blocker may still write.
    assert.equal(await sendCode(b, a), ErrorCode.OK);
    await expectCode(b, SubSignal.BL, { targetUid: b.uid, status: 1 }, ErrorCode.INVALID_PARAMETER);

    const version = Number(blocked[0]?.['timestamp']);
    await ask(b, SubSignal.BL, { targetUid: a.uid, status: 0 });
    const delta = list(await ask(b, SubSignal.BLP, { version }));
    assert.deepEqual(delta.map((e) => [e['uid'], e['state']]), [[a.uid, 1]]);
    await waitUntil(async () => (await sendCode(a, b)) === ErrorCode.OK);
  });

  it('an offline user catches up after reconnecting: greeting, tips, FP, FRP', async () => {
    const [c, d] = await pairOnTwoShards('tcp', 'ws');
    const frnBefore = c.pushes.length;
    await ask(d, SubSignal.FAR, { targetUserId: c.uid, reason: 'from d' });
    await c.pushOf(SubSignal.FRN, frnBefore);
    const lastSeq = d.client.lastSeq;
    const deviceId = `dev-offline-${Math.random().toString(36).slice(2, 8)}`;
    d.client.close();
    // Counted first: native MN carries the entries inline, so they may beat FHR's answer.
    const cBefore = c.received.length;
    await ask(c, SubSignal.FHR, { targetUid: d.uid, status: 1 });
    await c.waitFor(cBefore + 3);

    const options = { transport: 'tcp', mobile: d.mobile, deviceId, lastSeq } as const;
    const back = withPushes(await userConnect(server, options));
    const caught = back.received.filter((m) => m.from === c.uid || m.target === c.uid);
    assert.deepEqual(caught.map((m) => m.content.type), [1, 90, 90]);
    assert.equal(caught[0]?.content.searchableContent, 'from d');
    const friends = list(await ask(back, SubSignal.FP, { version: 0 }));
    assert.deepEqual(friends.map((f) => [f['friendUid'], f['state']]), [[c.uid, 0]]);
    const requests = list(await ask(back, SubSignal.FRP, { version: 0 }));
    assert.deepEqual(requests.map((r) => [r['from'], r['status']]), [[d.uid, 1]]);
    // CONNECT_ACK announces the friend-list head (FP's newest timestamp) and the request head.
    const info = await connectInfo(c.mobile);
    const cFriends = list(await ask(c, SubSignal.FP, { version: 0 }));
    assert.equal(info.friendHead, Number(cFriends[0]?.['timestamp']));
    assert.ok((info.friendRequestHead ?? 0) > 0, 'a received request moves the request head');
  });
});

describe('compat answer shapes', () => {
  it('FAR {code:200}, US [] when nothing, UPUI "" when no users, FRUS unread', async () => {
    const [a, b] = await pairOnTwoShards('ws-compat', 'ws-compat');
    const far = await a.client.request(SubSignal.FAR, { targetUserId: b.uid, reason: 'compat hi' });
    assert.deepEqual(far, { code: 0, result: { code: 200 } });
    const self = await a.client.request(SubSignal.FAR, { targetUserId: a.uid, reason: '' });
    assert.equal(self.code, ErrorCode.INVALID_PARAMETER);
    assert.equal((self.result as { message?: unknown }).message !== undefined, true);
    const nothing = await a.client.request(SubSignal.US, { keyword: 'nothing-like', fuzzy: 1 });
    assert.deepEqual(nothing, { code: 0, result: [] });
    // Refused searches still answer [] over compat (the client parses them unchecked).
    const refused = await a.client.request(SubSignal.US, { keyword: 'x', page: 99 });
    assert.deepEqual(refused, { code: 0, result: [] });
    const frn = await b.pushOf(SubSignal.FRN);
    assert.equal(typeof (frn.content as { version: unknown }).version, 'string');
    const unread = await b.client.request(SubSignal.FRUS, { version: null });
    assert.deepEqual(unread, { code: 0, result: { code: 200, unread: 0 } });
    const users = list((await b.client.request(SubSignal.UPUI, [a.uid])).result);
    assert.equal(users[0]?.['uid'], a.uid);
    assert.equal(await rawCompatUpuiContent(['no-such-uid']), '""');
  });
});

/** The raw text content of a compat UPUI answer (the SDK maps "" to []). */
async function rawCompatUpuiContent(uids: string[]): Promise<string> {
  const deviceId = 'raw-compat';
  const login = await compatLogin(server.httpBase, mobileNext(), deviceId);
  const password = compatPasswordDerive(login.token);
  assert.ok(password.ok);
  const socket = new WebSocket(`ws://127.0.0.1:${server.ports.ws}/`);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const frames: string[] = [];
  const next = (): Promise<string> =>
    new Promise((resolve) => socket.once('message', (data: Buffer) => resolve(data.toString())));
  const send = (signal: string, subSignal: string, messageId: number, content: unknown): void =>
    socket.send(JSON.stringify({ signal, subSignal, messageId, content: JSON.stringify(content) }));
  try {
    const connected = next();
    const { userId: userName } = login;
    send('CONNECT', 'NONE', 1, { userName, password: password.value, clientIdentifier: deviceId });
    frames.push(await connected);
    assert.match(frames[0] ?? '', /CONNECTION_ACCEPTED/);
    const answered = next();
    send('PUBLISH', 'UPUI', 2, uids);
    const raw = await answered;
    return JSON.stringify((JSON.parse(raw) as { content: unknown }).content);
  } finally {
    socket.close();
  }
}

/** A fresh native connection's CONNECT_ACK. */
async function connectInfo(mobile: string): Promise<ConnectAckInfo> {
  const deviceId = `dev-info-${Math.random().toString(36).slice(2, 8)}`;
  const result = await login(server.httpBase, mobile, deviceId);
  const client = new MagpieClient({
    transport: 'tcp',
    host: '127.0.0.1',
    port: result.endpoints.tcpPort,
    uid: result.userId,
    token: result.token,
    deviceId,
  });
  try {
    return await client.connect();
  } finally {
    client.close();
  }
}

async function sendCode(from: TestUser, to: TestUser): Promise<number> {
  try {
    const conversation = { type: 0, target: to.uid, line: 0 };
    await from.client.send({ conversation, content: text('ping') });
    return ErrorCode.OK;
  } catch (err: unknown) {
    if (err instanceof MagpieError) return err.code;
    throw err;
  }
}

/** Polls `check` until it holds: cross-shard effects land a moment after the ack. */
async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
