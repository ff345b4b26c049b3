// Disk full: the data directory on a small tmpfs. Sends are refused with STORE_FULL (103, a
// retryable code) and never acked; the shard keeps serving; when space returns, sends are
// acked again; after a restart the store opens cleanly with every acked message. Needs root
// (mount); skipped where mounting is not allowed.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import { MagpieError } from '../src/client/index.js';
import { serverStart } from './helpers/server.js';
import { text, userConnect } from './helpers/users.js';

it('disk full: 103 and no ack; recovery when space returns; clean reopen', async (t) => {
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-diskfull-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', mountPoint]);
  if (mounted.status !== 0) {
    fs.rmSync(mountPoint, { recursive: true, force: true });
    t.skip('cannot mount a tmpfs here (needs root)');
    return;
  }
  const dataDir = path.join(mountPoint, 'data');
  fs.mkdirSync(dataDir);
  const server = await serverStart({ dataDir });
  try {
    const a = await userConnect(server, { transport: 'tcp' });
    const b = await userConnect(server, { transport: 'tcp' });
    const big = 'x'.repeat(60_000);
    const acked: string[] = [];
    let storeFull = 0;
    for (let i = 0; i < 500 && storeFull < 20; i++) {
      try {
        acked.push(
          (
            await a.client.send({
              conversation: { type: 0, target: b.uid, line: 0 },
              content: { type: 1, searchableContent: big },
            })
          ).messageUid,
        );
      } catch (error) {
        assert.ok(error instanceof MagpieError, String(error));
        assert.equal(error.code, ErrorCode.STORE_FULL);
        storeFull++;
      }
    }
    assert.ok(storeFull > 0, 'the disk filled up and sends were refused');
    assert.equal(spawnSync('mount', ['-o', 'remount,size=96m', mountPoint]).status, 0);
    for (let i = 0; i < 5; i++) {
      acked.push(
        (
          await a.client.send({
            conversation: { type: 0, target: b.uid, line: 0 },
            content: text(`after ${i}`),
          })
        ).messageUid,
      );
    }
    a.client.close();
    b.client.close();
    assert.equal(await server.stop(), 0);
    await server.restart();
    const again = await userConnect(server, { transport: 'tcp', mobile: b.mobile });
    const deadline = Date.now() + 15_000;
    const has = (): number => again.received.filter((m) => acked.includes(m.messageUid)).length;
    while (has() < acked.length && Date.now() < deadline) {
      await again.client.sync();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.equal(has(), acked.length, 'every acked message is there after the restart');
    again.client.close();
  } finally {
    await server.stop();
    spawnSync('umount', [mountPoint]);
    fs.rmSync(mountPoint, { recursive: true, force: true });
  }
});
