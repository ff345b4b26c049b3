// Operator check: loads uWS.js through the verified loader, does one WebSocket echo on an
// ephemeral loopback port with the `ws` client, prints what was loaded and "ok". Exit 0 means
// this machine can run Magpie's uWS transport. `--pins` prints pin rows for the installed uWS.js.

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { glibcPatchC23 } from '../src/transport/uws_glibc_patch.js';
import {
  loadUws, uwsLoadInfo, uwsPackageDir, type UwsListenSocket,
} from '../src/transport/uws_loader.js';

const ECHO_TIMEOUT_MS = 5_000;
const ECHO_TEXT = 'magpie uws check';
const HELP = `usage: node dist/scripts/uws_check.js [--pins | --help]
  (no flag)  load uWS.js, echo one WebSocket message on 127.0.0.1:<ephemeral>, print "ok"
  --pins     print name, SHA-256 and patched SHA-256 of every binary in the installed
             uWebSockets.js, for src/transport/uws_pins.ts (check the tarball first)`;

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function pinsPrint(): void {
  const dir = uwsPackageDir();
  const manifest: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  console.log(`# ${dir} ${JSON.stringify(manifest)}`);
  for (const name of readdirSync(dir).filter((n) => /^uws_.*\.node$/.test(n)).sort()) {
    const bytes = readFileSync(join(dir, name));
    const patched = name.startsWith('uws_linux_') ? sha256Hex(glibcPatchC23(bytes).bytes) : null;
    console.log(`${name} ${sha256Hex(bytes)} ${patched ?? 'null'}`);
  }
}

function echoOnce(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = new WebSocket(`ws://127.0.0.1:${port}/echo`);
    const timer = setTimeout(() => {
      client.terminate();
      reject(new Error(`no echo within ${ECHO_TIMEOUT_MS} ms`));
    }, ECHO_TIMEOUT_MS);
    client.on('open', () => client.send(ECHO_TEXT));
    client.on('message', (data, isBinary) => {
      clearTimeout(timer);
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : '';
      client.close();
      if (isBinary || text !== ECHO_TEXT) reject(new Error(`bad echo: ${text}`));
      else resolve();
    });
    client.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function check(): Promise<void> {
  const uws = loadUws();
  const app = uws.App().ws('/echo', {
    message: (ws, message, isBinary) => {
      ws.send(message, isBinary);
    },
  });
  const listenSocket = await new Promise<UwsListenSocket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (socket) => {
      if (socket === false) reject(new Error('uWS could not listen on 127.0.0.1:0'));
      else resolve(socket);
    });
  });
  try {
    const port = uws.us_socket_local_port(listenSocket);
    await echoOnce(port);
    console.log(JSON.stringify({ uws: uwsLoadInfo(), echoPort: port }, null, 2));
  } finally {
    // Close uWS before returning, so nothing holds sockets when the process ends.
    uws.us_listen_socket_close(listenSocket);
    app.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(HELP);
    return 0;
  }
  if (argv.includes('--pins')) {
    pinsPrint();
    return 0;
  }
  if (argv.length > 0) {
    console.error(`unknown arguments: ${argv.join(' ')}\n${HELP}`);
    return 2;
  }
  await check();
  console.log('ok');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`uws_check failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
