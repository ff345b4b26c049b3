// Shows that an ack leaves only after its commit is on disk: runs the server under strace,
// sends one message over TCP, and prints the fsync-family calls and the PUB_ACK socket write
// in time order. Needs strace (apt-get install -y strace). Usage: node scripts/strace_ack_order.mjs
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { login, MagpieClient } from '../dist/src/client/index.js';

if (spawnSync('strace', ['-V']).status !== 0) {
  console.error('strace is not installed: apt-get install -y strace');
  process.exit(2);
}
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'magpie-strace-'));
const trace = path.join(dir, 'trace.txt');
const server = spawn('strace', [
  '-f', '-tt', '-xx', '-s', '12', '-o', trace,
  '-e', 'trace=fdatasync,fsync,msync,sync_file_range,write,writev,sendto,sendmsg',
  process.execPath, 'dist/src/main.js', '--data-dir', path.join(dir, 'data'), '--host', '127.0.0.1',
  '--http-port', '0', '--ws-port', '0', '--tcp-port', '0', '--shards', '1',
], { stdio: ['ignore', 'pipe', 'inherit'] });
const ports = await new Promise((resolve) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const match = /MAGPIE_READY (\{.*\})/.exec(out);
    if (match) resolve(JSON.parse(match[1]));
  });
});
const http = `http://127.0.0.1:${ports.http}`;
console.error('ready', ports);
const a = await login(http, '13700000001', 'a');
const b = await login(http, '13700000002', 'b');
const client = new MagpieClient({ transport: 'tcp', host: '127.0.0.1', port: a.endpoints.tcpPort, uid: a.userId, token: a.token, deviceId: 'a' });
await client.connect();
console.error('connected');
await new Promise((resolve) => setTimeout(resolve, 500));
fs.appendFileSync(trace, '');
const marker = Date.now();
const ack = await client.send({ conversation: { type: 0, target: b.userId, line: 0 }, content: { type: 1, searchableContent: 'traced' } });
console.error('acked', ack.messageUid);
client.close();
// Stop the traced server itself (strace would only detach on a signal of its own).
process.kill(ports.pid, 'SIGTERM');
await new Promise((resolve) => server.once('exit', resolve));
// PUB_ACK frames start f8 03 0a (magic, version 3, signal 10) and carry subSignal 18 (MS).
const lines = fs.readFileSync(trace, 'utf8').split('\n');
const ackLine = lines.findIndex((line) => /\\x0f8\\x03\\x0a|\\xf8\\x03\\x0a/.test(line) && /(write|writev|sendto)\(/.test(line));
const syncs = lines.map((line, index) => ({ line, index })).filter(({ line }) => /(fdatasync|fsync|msync|sync_file_range)\(/.test(line));
const before = syncs.filter(({ index }) => index < ackLine);
console.log(`message ${ack.messageUid} acked; trace in ${trace}`);
console.log('last durable-flush calls before the ack write:');
for (const { line } of before.slice(-3)) console.log('  ' + line);
console.log('the ack write:');
console.log('  ' + (lines[ackLine] ?? '(not found)'));
void marker;
process.exit(ackLine >= 0 && before.length > 0 ? 0 : 1);
