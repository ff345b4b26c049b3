// TLS when configured: HTTP (https), WebSocket (wss) and TCP all require it, with a
// self-signed certificate made for the test by openssl.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { MagpieClient } from '../src/client/index.js';
import { serverStart, type TestServer } from './helpers/server.js';

let server: TestServer;
let certDir: string;
let cert: Buffer;

before(async () => {
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-tls-'));
  const made = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    path.join(certDir, 'key.pem'),
    '-out',
    path.join(certDir, 'cert.pem'),
  ]);
  assert.equal(made.status, 0, String(made.stderr));
  cert = fs.readFileSync(path.join(certDir, 'cert.pem'));
  server = await serverStart({
    env: {
      MAGPIE_TLS_CERT_FILE: path.join(certDir, 'cert.pem'),
      MAGPIE_TLS_KEY_FILE: path.join(certDir, 'key.pem'),
    },
  });
});
after(async () => {
  await server.stop();
  server.cleanup();
  fs.rmSync(certDir, { recursive: true, force: true });
});

function httpsPost(port: number, pathname: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method: 'POST',
        ca: cert,
        headers: { 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(JSON.parse(text)));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

it('https login, then wss and TLS-over-TCP connections carry messages', async () => {
  const loginOf = async (mobile: string, deviceId: string) => {
    const answer = (await httpsPost(server.ports.http, '/v1/login', {
      mobile,
      code: '556677',
      deviceId,
    })) as {
      result: { userId: string; token: string; endpoints: { wsPort: number; tcpPort: number } };
    };
    return answer.result;
  };
  const a = await loginOf('13600000001', 'a');
  const b = await loginOf('13600000002', 'b');
  const tls = { ca: cert, servername: 'localhost' };
  const clientA = new MagpieClient({
    transport: 'ws',
    host: '127.0.0.1',
    port: a.endpoints.wsPort,
    uid: a.userId,
    token: a.token,
    deviceId: 'a',
    tls,
  });
  const clientB = new MagpieClient({
    transport: 'tcp',
    host: '127.0.0.1',
    port: b.endpoints.tcpPort,
    uid: b.userId,
    token: b.token,
    deviceId: 'b',
    tls,
  });
  await clientA.connect();
  await clientB.connect();
  const got = new Promise<string>((resolve) =>
    clientB.on('message', (m) => resolve(m.content.searchableContent)),
  );
  await clientA.send({
    conversation: { type: 0, target: b.userId, line: 0 },
    content: { type: 1, searchableContent: 'over tls' },
  });
  assert.equal(await got, 'over tls');
  // A plain client is not served on a TLS port.
  const plain = new MagpieClient({
    transport: 'tcp',
    host: '127.0.0.1',
    port: b.endpoints.tcpPort,
    uid: b.userId,
    token: b.token,
    deviceId: 'b2',
    autoReconnect: false,
    requestTimeoutMs: 2_000,
  });
  await assert.rejects(plain.connect());
  plain.close();
  clientA.close();
  clientB.close();
});
