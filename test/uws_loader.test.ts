// The uWS.js loader: the module it returns serves WebSocket and HTTP, in the main thread and in
// a worker; tampered binaries are refused; and the glibc patch yields classic symbol bindings.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync,
  writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import { elfDynamicTablesRead, elfSymbolVersion } from '../src/transport/uws_elf.js';
import { glibcPatchC23, glibcVersionCompare } from '../src/transport/uws_glibc_patch.js';
import {
  loadUws, loadUwsFrom, uwsBinaryPrepare, uwsBinarySourceDefault, uwsLoadInfo, uwsPackageDir,
  type UwsBinarySource, type UwsListenSocket,
} from '../src/transport/uws_loader.js';
import { UWS_BINARY_PINS } from '../src/transport/uws_pins.js';
import type { UwsWorkerReport } from './fixtures/uws_worker.js';

const TEST_TIMEOUT_MS = 20_000;
const isLinux = process.platform === 'linux';

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'magpie-uws-test-'));
}

/** Sends one message and resolves with the echo (data and whether it came back binary). */
async function echo(port: number, payload: string | Buffer): Promise<[Buffer, boolean]> {
  const client = new WebSocket(`ws://127.0.0.1:${port}/echo`);
  await once(client, 'open');
  const reply = once(client, 'message');
  client.send(payload);
  const [data, isBinary] = (await reply) as [Buffer, boolean];
  client.close();
  await once(client, 'close');
  return [data, isBinary];
}

test('uws_loader: loadUws serves a WebSocket echo (binary and text) and an HTTP GET', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const uws = loadUws();
  assert.equal(loadUws(), uws, 'the module is loaded once per thread');
  const app = uws.App()
    .ws('/echo', { message: (ws, message, isBinary) => { ws.send(message, isBinary); } })
    .get('/hello', (res) => { res.end('hello from uws'); });
  const listenSocket = await new Promise<UwsListenSocket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (s) => (s === false ? reject(new Error('listen')) : resolve(s)));
  });
  try {
    const port = uws.us_socket_local_port(listenSocket);
    const binary = Buffer.from([0, 1, 2, 250, 255]);
    assert.deepEqual(await echo(port, binary), [binary, true]);
    const [text, isBinary] = await echo(port, 'héllo');
    assert.equal(isBinary, false);
    assert.equal(text.toString('utf8'), 'héllo');
    const response = await fetch(`http://127.0.0.1:${port}/hello`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'hello from uws');
  } finally {
    uws.us_listen_socket_close(listenSocket);
    app.close();
  }
  const info = uwsLoadInfo();
  assert.ok(info !== undefined);
  const pin = UWS_BINARY_PINS.get(info.binaryName);
  const needsPatch = info.glibcRuntime !== null &&
    glibcVersionCompare(info.glibcRuntime, '2.38') < 0;
  assert.equal(info.patched, needsPatch);
  assert.equal(info.originalSha256, pin?.sha256);
  assert.equal(info.loadedSha256, needsPatch ? pin?.patchedSha256 : pin?.sha256);
});

test('uws_loader: a worker thread loads uWS, echoes, closes its app and exits 0', {
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  const worker = new Worker(new URL('./fixtures/uws_worker.js', import.meta.url));
  const failed = once(worker, 'error').then(([err]) => { throw err; });
  const next = async (): Promise<UwsWorkerReport> =>
    ((await Promise.race([once(worker, 'message'), failed])) as [UwsWorkerReport])[0];
  const listening = await next();
  assert.equal(listening.type, 'listening', JSON.stringify(listening));
  if (listening.type !== 'listening') return;
  assert.deepEqual(await echo(listening.port, Buffer.from('w')), [Buffer.from('w'), true]);
  const exited = once(worker, 'exit');
  worker.postMessage({ type: 'close' });
  assert.deepEqual(await next(), { type: 'closed' });
  assert.deepEqual(await exited, [0]);
});

test('uws_loader: a binary with one flipped byte is refused before dlopen', () => {
  const source = uwsBinarySourceDefault();
  const dir = tempDir();
  try {
    const tampered = join(dir, source.binaryName);
    const bytes = readFileSync(source.binaryPath);
    bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0x01;
    writeFileSync(tampered, bytes);
    const tamperedSource: UwsBinarySource = { ...source, binaryPath: tampered, cacheDirs: [dir] };
    assert.throws(() => loadUwsFrom(tamperedSource), /hash mismatch.*reinstall with `npm ci`/s);
    assert.deepEqual(readdirSync(dir), [source.binaryName], 'nothing was patched or cached');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('uws_loader: a binary name without a pin is refused', () => {
  const source = uwsBinarySourceDefault();
  assert.throws(() => uwsBinaryPrepare({ ...source, binaryName: 'uws_linux_x64_999.node' }),
    /has no binary uws_linux_x64_999\.node/);
});

function linuxSource(glibcRuntime: string, cacheDirs: readonly string[]): UwsBinarySource {
  const source = uwsBinarySourceDefault();
  return { ...source, glibcRuntime, cacheDirs };
}

test('uws_loader: on glibc 2.36 a corrupt cached copy is replaced, a shared dir skipped', {
  skip: !isLinux,
}, () => {
  const dir = tempDir();
  try {
    const shared = join(dir, 'shared');
    const cache = join(dir, 'cache');
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    const first = uwsBinaryPrepare(linuxSource('2.36', [shared, cache]));
    assert.equal(first.patched, true);
    assert.ok(first.loadedPath.startsWith(cache + '/'), first.loadedPath);
    assert.deepEqual(readdirSync(shared), [], 'a group/other-writable dir is not used');
    writeFileSync(first.loadedPath, 'corrupt');
    const second = uwsBinaryPrepare(linuxSource('2.36', [cache]));
    assert.equal(second.loadedPath, first.loadedPath);
    assert.equal(sha256Hex(readFileSync(second.loadedPath)), second.loadedSha256);
    assert.equal(readdirSync(cache).length, 1, 'no temp files are left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('uws_loader: glibc older than the patched binary needs is refused with the reason', {
  skip: !isLinux,
}, () => {
  const dir = tempDir();
  try {
    assert.throws(() => uwsBinaryPrepare(linuxSource('2.31', [dir])),
      /glibc 2\.31 found; .* needs 2\.38, or 2\.36 with Magpie's patch/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Symbols (by index) that need GLIBC_2.38 in the original binary. */
function c23SymbolNames(bytes: Buffer): Map<number, string> {
  const tables = elfDynamicTablesRead(bytes);
  const names = new Map<number, string>();
  for (const symbol of tables.symbols) {
    const version = elfSymbolVersion(tables, symbol);
    if (version?.name === 'GLIBC_2.38') names.set(symbol.index, symbol.name);
  }
  return names;
}

function readelfOutput(args: readonly string[]): string | null {
  const result = spawnSync('readelf', args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout : null;
}

test('uws_glibc_patch: every Linux binary is rebound to classic libc symbols, as pinned', () => {
  const packageDir = uwsPackageDir();
  const names = [...UWS_BINARY_PINS.keys()].filter((n) => n.startsWith('uws_linux_'));
  assert.equal(names.length, 8);
  const dir = tempDir();
  try {
    for (const name of names) {
      const original = readFileSync(join(packageDir, name));
      const before = c23SymbolNames(original);
      const patch = glibcPatchC23(original);
      assert.equal(sha256Hex(patch.bytes), UWS_BINARY_PINS.get(name)?.patchedSha256, name);
      const base = name.includes('_x64_') ? 'GLIBC_2.2.5' : 'GLIBC_2.17';
      const tables = elfDynamicTablesRead(patch.bytes);
      const after = [...before.keys()].map((index) => tables.symbols[index]);
      assert.deepEqual(after.map((s) => s?.name).sort(),
        [...before.values()].map((n) => n.replace('__isoc23_', '')).sort());
      assert.ok(after.every((s) => s !== undefined && elfSymbolVersion(tables, s)?.name === base));
      const expected = name.includes('_x64_')
        ? ['sscanf', 'strtol', 'strtoul']
        : ['strtol', 'strtoul'];
      assert.deepEqual([...new Set(after.map((s) => s?.name))].sort(), expected, name);
      const patchedPath = join(dir, name);
      writeFileSync(patchedPath, patch.bytes);
      const symbols = readelfOutput(['--dyn-syms', '-W', patchedPath]);
      const versions = readelfOutput(['-V', '-W', patchedPath]);
      if (symbols === null || versions === null) continue; // No readelf: own parser only.
      assert.doesNotMatch(symbols, /__isoc23_|@GLIBC_2\.38/, name);
      for (const fn of expected) assert.match(symbols, new RegExp(` ${fn}@${base} `), name);
      assert.match(versions, /Name: GLIBC_2\.38 +Flags: WEAK/, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
