// Admin actions on a real server: a ban closes the user's sessions and refuses CONNECT with 3
// until lifted; a kick logs one device out; the admin API wants its bearer token.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MagpieClient, login } from '../src/client/index.js';
import { serverStart, type TestServer } from './helpers/server.js';
import { mobileNext } from './helpers/users.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789';
let server: TestServer;
before(async () => {
  server = await serverStart({ env: { MAGPIE_ADMIN_TOKEN: ADMIN_TOKEN } });
});
after(async () => {
  await server.stop();
  server.cleanup();
});

async function admin(
  path: string,
  body: unknown,
  token = ADMIN_TOKEN,
): Promise<{ status: number; code: number }> {
  const response = await fetch(`${server.httpBase}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { code: number };
  return { status: response.status, code: json.code };
}

async function connected(
  mobile: string,
  deviceId: string,
): Promise<{
  client: MagpieClient;
  uid: string;
  options: ConstructorParameters<typeof MagpieClient>[0];
}> {
  const result = await login(server.httpBase, mobile, deviceId);
  const options = {
    transport: 'tcp' as const,
    host: '127.0.0.1',
    port: result.endpoints.tcpPort,
    uid: result.userId,
    token: result.token,
    deviceId,
    autoReconnect: false,
  };
  const client = new MagpieClient(options);
  await client.connect();
  return { client, uid: result.userId, options };
}

describe('admin', () => {
  it('refuses admin calls without the right bearer token', async () => {
    const answer = await admin('/v1/admin/ban', { uid: 'someone' }, 'wrong-token-wrong-token-12');
    assert.equal(answer.status, 403);
    assert.equal(answer.code, 248);
  });

  it('a ban closes sessions, refuses CONNECT with 3; lifting it lets the user in', async () => {
    const mobile = mobileNext();
    const { client, uid, options } = await connected(mobile, 'phone');
    const closed = new Promise<boolean>((resolve) =>
      client.on('disconnected', (info) => resolve(info.willReconnect)),
    );
    assert.equal((await admin('/v1/admin/ban', { uid })).code, 0);
    assert.equal(await closed, false);
    await assert.rejects(
      new MagpieClient(options).connect(),
      (error: { code?: number }) => error.code === 3,
    );
    assert.equal((await admin('/v1/admin/ban', { uid, banned: false })).code, 0);
    const back = new MagpieClient(options);
    await back.connect();
    back.close();
  });

  it("a kick logs one device out; the user's other device stays online", async () => {
    const mobile = mobileNext();
    const phone = await connected(mobile, 'phone');
    const laptop = await connected(mobile, 'laptop');
    const closed = new Promise<boolean>((resolve) =>
      phone.client.on('disconnected', (info) => resolve(info.willReconnect)),
    );
    assert.equal((await admin('/v1/admin/kick', { uid: phone.uid, deviceId: 'phone' })).code, 0);
    assert.equal(await closed, false);
    await assert.rejects(
      new MagpieClient(phone.options).connect(),
      (error: { code?: number }) => error.code === 8,
    );
    assert.equal(laptop.client.connected, true);
    laptop.client.close();
  });
});
