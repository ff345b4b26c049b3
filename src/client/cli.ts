// A tiny chat CLI for manual checks: logs in, connects, prints what arrives and sends each stdin
// line as a text message. `node dist/src/client/cli.js --help` lists the flags.

import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { MagpieClient } from './client.js';
import { login } from './http_login.js';
import { textMessage } from './outgoing.js';
import type { ReceivedMessage, Transport } from './types.js';

const HELP = `usage: node dist/src/client/cli.js --mobile <mobile> [--to <uid>] [flags]
  --http <url>          control plane (default http://127.0.0.1:8081)
  --mobile <mobile>     who to log in as (dev code 556677 unless --code)
  --code <code>         login code
  --device <id>         device id (default cli-<mobile>)
  --to <id>             conversation target for stdin lines
  --type <n>            conversation type: 0 private (default), 1 group
  --transport <t>       tcp | ws (default) | ws-compat
  --host <h> --port <p> connect here instead of the owner shard's endpoint from login`;

const TRANSPORTS: readonly Transport[] = ['tcp', 'ws', 'ws-compat'];

function transportParse(text: string): Transport {
  const found = TRANSPORTS.find((t) => t === text);
  if (found === undefined) throw new Error(`--transport must be one of ${TRANSPORTS.join(', ')}`);
  return found;
}

function messageLine(kind: string, m: ReceivedMessage): string {
  const text = m.content.searchableContent || m.content.content || `(type ${m.content.type})`;
  const seq = m.seq === undefined ? '' : ` #${m.seq}`;
  return `${kind}${seq} ${m.from} → ${m.target}: ${text}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      http: { type: 'string', default: 'http://127.0.0.1:8081' },
      mobile: { type: 'string' },
      code: { type: 'string' },
      device: { type: 'string' },
      to: { type: 'string' },
      type: { type: 'string', default: '0' },
      transport: { type: 'string', default: 'ws' },
      host: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || values.mobile === undefined) {
    console.log(HELP);
    return;
  }
  const transport = transportParse(values.transport);
  const deviceId = values.device ?? `cli-${values.mobile}`;
  const session = await login(values.http, values.mobile, deviceId, values.code);
  const endpoint = session.endpoints;
  const port = values.port === undefined
    ? (transport === 'tcp' ? endpoint.tcpPort : endpoint.wsPort)
    : Number(values.port);
  const client = new MagpieClient({
    transport,
    host: values.host ?? endpoint.host,
    port,
    uid: session.userId,
    token: transport === 'ws-compat' ? session.compatToken : session.token,
    deviceId,
  });
  client.on('message', (m) => console.log(messageLine('msg', m)));
  client.on('transparent', (m) => console.log(messageLine('transparent', m)));
  client.on('notify', (n) => console.log(`notify ${n.subSignal} ${jsonText(n.content)}`));
  client.on('disconnected', (d) => console.log(`disconnected ${d.code ?? ''} ${d.reason}`));
  client.on('connected', (info) => console.log(`connected, head ${info.messageHead}`));
  client.on('error', (err) => console.error(`error: ${err.message}`));
  console.log(`logged in as ${session.userId}${session.register ? ' (new user)' : ''}`);
  await client.connect();

  const to = values.to;
  const conversationType = Number(values.type);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    if (to === undefined) {
      console.error('no --to: not sending');
      continue;
    }
    try {
      const ack = await client.send(textMessage(to, line, conversationType));
      console.log(`sent ${ack.messageUid} at ${ack.timestamp}`);
    } catch (err: unknown) {
      console.error(`send failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  await client.disconnect();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});

/** JSON for display: native pushes carry 64-bit ids as bigint, which JSON.stringify refuses. */
function jsonText(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    typeof item === 'bigint' ? item.toString() : item);
}
