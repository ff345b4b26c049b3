import { serverStart } from '../dist/test/helpers/server.js';
import { login, MagpieClient } from '../dist/src/client/index.js';
const server = await serverStart({ shards: 2 });
const result = await login(server.httpBase, '13912345678', 'leaving');
const options = { transport: 'tcp', host: '127.0.0.1', port: result.endpoints.tcpPort, uid: result.userId, token: result.token, deviceId: 'leaving', autoReconnect: false };
const client = new MagpieClient(options);
await client.connect();
await client.disconnect(true);
await new Promise((r) => setTimeout(r, 500));
const again = new MagpieClient(options);
try { await again.connect(); console.log('connected again!'); } catch (e) { console.log('refused', e.code); }
again.close();
await server.stop(); server.cleanup();
