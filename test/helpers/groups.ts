// Group test helpers: a server and users on a chosen shard per test file, waiting for notices,
// pushes and messages of a group, creating groups and sending to them through the SDK.

import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import {
  MagpieError,
  type Notification,
  type ReceivedMessage,
  type Transport,
} from '../../src/client/index.js';
import { SubSignal } from '../../src/protocol/signals.js';
import { PartitionMap } from '../../src/router/partition_map.js';
import { serverStart, type TestServer, type TestServerOptions } from './server.js';
import { text, userConnect, type TestUser, type UserOptions } from './users.js';

/** Users connected by a test file, closed together at its end; their pushes are recorded. */
export class GroupKit {
  readonly opened: TestUser[] = [];
  private readonly pushes = new Map<TestUser, Notification[]>();
  private started: { server: TestServer; partitions: PartitionMap } | undefined;

  /** Without a server, the kit is bound to one later (groupSuite). */
  constructor(server?: TestServer) {
    if (server !== undefined) this.bind(server);
  }

  bind(server: TestServer): void {
    this.started = { server, partitions: new PartitionMap(server.ports.shards) };
  }

  get server(): TestServer {
    return this.boundOrThrow().server;
  }

  get partitions(): PartitionMap {
    return this.boundOrThrow().partitions;
  }

  /** A connected user owned by `shard`. */
  async userOn(shard: number, transport: Transport): Promise<TestUser> {
    for (let attempt = 0; attempt < 60; attempt++) {
      const user = await userConnect(this.server, { transport });
      if (this.partitions.shardOf(user.uid) === shard) return this.track(user);
      user.client.close();
    }
    throw new Error(`no user on shard ${shard} in 60 tries`);
  }

  /** Connect (again) with `options`, e.g. an existing user's mobile on another device. */
  async connect(options: UserOptions): Promise<TestUser> {
    return this.track(await userConnect(this.server, options));
  }

  /** Pushes of `subSignal` that `user` received so far. */
  pushesOf(user: TestUser, subSignal: number): Notification[] {
    return (this.pushes.get(user) ?? []).filter((push) => push.subSignal === subSignal);
  }

  closeAll(): void {
    for (const user of this.opened) user.client.close();
  }

  private track(user: TestUser): TestUser {
    const pushes: Notification[] = [];
    this.pushes.set(user, pushes);
    user.client.on('notify', (push) => pushes.push(push));
    this.opened.push(user);
    return user;
  }

  private boundOrThrow(): { server: TestServer; partitions: PartitionMap } {
    if (this.started === undefined) throw new Error('GroupKit used before its server started');
    return this.started;
  }
}

/** The kit of a test file: its server is started before the file's tests (2 shards by default)
 * and stopped and removed after them, with every user the kit opened closed first. */
export function groupSuite(options: TestServerOptions = { shards: 2 }): GroupKit {
  const kit = new GroupKit();
  let server: TestServer | undefined;
  before(async () => {
    server = await serverStart(options);
    kit.bind(server);
  });
  after(async () => {
    if (server === undefined) return;
    kit.closeAll();
    await server.stop();
    server.cleanup();
  });
  return kit;
}

/** The code of a request's answer (0 = ok). */
export async function codeOf(user: TestUser, subSignal: number, content: unknown): Promise<number> {
  return (await user.client.request(subSignal, content)).code;
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The sender's own copy reaches its timeline through the group's owner shard, maybe after the
 * ack, and its device is not notified (it has the ack): pull until it is there. */
export async function syncUntil(user: TestUser, check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    await user.client.sync();
    if (check()) return;
    if (Date.now() > end) throw new Error(`timed out syncing for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

export interface Notice {
  readonly g: string;
  readonly o: string;
  readonly n?: string;
  readonly ms?: string[];
  readonly m?: string;
}

export function noticeOf(message: ReceivedMessage): Notice {
  return JSON.parse(Buffer.from(message.content.binaryContent, 'base64').toString()) as Notice;
}

export function ofType(user: TestUser, gid: string, type: number): ReceivedMessage[] {
  return user.received.filter((m) => m.target === gid && m.content.type === type);
}

export async function noticeWait(
  user: TestUser,
  gid: string,
  type: number,
  count = 1,
): Promise<Notice> {
  await eventually(
    () => ofType(user, gid, type).length >= count,
    `${user.uid}: notice ${type} ×${count}`,
  );
  const message = ofType(user, gid, type)[count - 1] as ReceivedMessage;
  assert.equal(message.conversationType, 1);
  return noticeOf(message);
}

export function bodies(user: TestUser, gid: string): string[] {
  return user.received
    .filter((m) => m.target === gid && m.content.type === 1)
    .map((m) => m.content.searchableContent);
}

/** Create a group (native creators learn the gid from the answer, compat ones from the notice). */
export async function groupCreate(
  owner: TestUser,
  members: readonly (TestUser | string)[],
  name = 'g',
): Promise<string> {
  const ids = members.map((m) => (typeof m === 'string' ? m : m.uid));
  const before = owner.received.length;
  const answer = await owner.client.request(SubSignal.GC, {
    groupInfo: { name, portrait: '', type: 0, extra: '' },
    groupMembers: ids.map((memberId) => ({ memberId, type: 0 })),
  });
  assert.equal(answer.code, 0);
  await eventually(
    () => owner.received.slice(before).some((m) => m.content.type === 104),
    'create notice',
  );
  const notice = owner.received
    .slice(before)
    .find((m) => m.content.type === 104) as ReceivedMessage;
  const result = answer.result as { code: number; gid?: string };
  assert.equal(result.code, 200);
  if (result.gid !== undefined) assert.equal(result.gid, notice.target);
  return notice.target;
}

export const say = (gid: string, body: string, clientMessageId?: string) => ({
  conversation: { type: 1, target: gid, line: 0 },
  content: text(body),
  ...(clientMessageId === undefined ? {} : { clientMessageId }),
});

export async function sendRefused(user: TestUser, gid: string): Promise<number> {
  try {
    await user.client.send(say(gid, 'refused?'));
  } catch (error) {
    if (error instanceof MagpieError) return error.code;
    throw error;
  }
  return 0;
}
