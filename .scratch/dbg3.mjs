import { serverStart } from '../dist/test/helpers/server.js';
import { userConnect, text } from '../dist/test/helpers/users.js';
import { PartitionMap } from '../dist/src/router/partition_map.js';
const server = await serverStart({ shards: 2 });
const pm = new PartitionMap(2);
const a = await userConnect(server, { transport: 'tcp' });
let b;
for (;;) { b = await userConnect(server, { transport: 'tcp' }); if (pm.shardOf(b.uid) !== pm.shardOf(a.uid)) break; b.client.close(); }
b.client.on('disconnected', (d) => console.log('b disconnected', d));
b.client.on('reconnecting', (d) => console.log('b reconnecting', d));
b.client.on('connected', (d) => console.log('b connected', d));
const r = await fetch(`${server.httpBase}/v1/admin/crash-shard?shard=${pm.shardOf(b.uid)}`, { method: 'POST' });
console.log('crash', r.status);
for (let i = 0; i < 5; i++) { const ack = await a.client.send({ conversation: { type: 0, target: b.uid, line: 0 }, content: text('x' + i) }); console.log('ack', ack.messageUid); }
await new Promise((r) => setTimeout(r, 4000));
console.log('b got', b.received.length);
console.log(server.output.split('\n').filter(l => !l.includes('uWebSockets')).join('\n').slice(-3000));
await server.stop(); server.cleanup();
