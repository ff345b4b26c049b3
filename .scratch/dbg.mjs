import { serverStart } from '../dist/test/helpers/server.js';
import { userConnect, text } from '../dist/test/helpers/users.js';
const server = await serverStart({ shards: 2 });
let fails = 0;
for (let round = 0; round < 15; round++) {
  const a = await userConnect(server, { transport: 'tcp' });
  const b = await userConnect(server, { transport: 'tcp' });
  await a.client.send({ conversation: { type: 0, target: b.uid, line: 0 }, content: text('hello b') });
  await b.client.send({ conversation: { type: 0, target: a.uid, line: 0 }, content: text('hello a') });
  await new Promise((r) => setTimeout(r, 300));
  const ra = a.received.length, rb = b.received.length;
  if (ra !== 2 || rb !== 2) {
    fails++;
    await a.client.sync(); await b.client.sync();
    console.log('round', round, 'before sync a', ra, 'b', rb, 'after sync a', a.received.length, 'b', b.received.length, 'lastSeq', a.client.lastSeq, b.client.lastSeq);
  }
  a.client.close(); b.client.close();
}
console.log('fails', fails);
await server.stop(); server.cleanup();
