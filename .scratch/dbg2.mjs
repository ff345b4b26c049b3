import { serverStart } from '../dist/test/helpers/server.js';
import { userConnect, text } from '../dist/test/helpers/users.js';
const server = await serverStart({ shards: 2 });
const a = await userConnect(server, { transport: 'tcp' });
a.client.close();
console.log('stop', await server.stop());
await server.restart();
console.log(server.ports);
await new Promise((r) => setTimeout(r, 1000));
console.log(server.output.slice(-3000));
try { const b = await userConnect(server, { transport: 'tcp', mobile: a.mobile }); console.log('ok', b.uid === a.uid); b.client.close(); } catch (e) { console.log('ERR', e.message); }
await server.stop(); server.cleanup();
