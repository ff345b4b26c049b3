// The ejabberd peer of the bench (issue 3 scenario 8): installs Debian's ejabberd if missing,
// runs it bound to loopback with its own config in --dir (the package's /etc/ejabberd is not
// edited), registers users over the REST API, stops it. Idempotent; needs root (apt-get, the
// limits.d entry, ejabberdctl's su to user ejabberd).
//
// Settings changed from Debian 23.01's defaults (printed by `settings`; PERF.md lists them):
//   c2s_shaper normal (3 KB/s) → none; max_user_offline_messages 100 → 1,000,000;
//   max_fsm_queue → 1,000,000; listener backlog → 4,096; loglevel info → warning;
//   c2s on 127.0.0.1:5222 without STARTTLS; SASL PLAIN with plain password storage;
//   listeners only c2s and ejabberd_http 127.0.0.1:5281 (/api, register for loopback);
//   modules only mod_offline and mod_http_api; distribution and epmd on 127.0.0.1;
//   nofile 20,000 for user ejabberd; BEAM `+sbwt none +sbwtdcpu none +sbwtdio none`
//   unless --scheduler-flags default.

import { cliParse } from '../bench/lib/cli.js';
import {
  EJABBERD_DIR_DEFAULT, EJABBERD_USERS_MAX, SCHEDULER_FLAGS_DEFAULT, ejabberdInstall,
  ejabberdPid, ejabberdRegister, ejabberdStart, ejabberdStop,
} from './lib/ejabberd.js';
import type { EjabberdOptions } from './lib/ejabberd.js';
import { ejabberdSettingsText } from './lib/ejabberd_config.js';

const COMMANDS = ['setup', 'start', 'register', 'stop', 'status', 'settings'] as const;
type Command = (typeof COMMANDS)[number];

const ABOUT = `peer_ejabberd: the bench's ejabberd peer on 127.0.0.1:5222 (c2s), :5281 (API).
Usage: scripts/peer_ejabberd.sh <command> [options]
Commands:
  setup      install if missing, configure, start (fresh spool) and register --users
  start      configure and start (no-op if running with the same config)
  register   register --users users peer0 … on the running node
  stop       stop the node (and epmd when no other node uses it)
  status     print the beam.smp pid, or "stopped"
  settings   print every setting changed from Debian's defaults`;

function commandOf(word: string | undefined): Command {
  const found = COMMANDS.find((command) => command === word);
  if (found === undefined) {
    process.stderr.write(`${ABOUT}\n\nunknown command: ${word ?? '(none)'}\n`);
    process.exit(2);
  }
  return found;
}

const [first, ...rest] = process.argv.slice(2);
const help = first === '--help' || first === '-h';
const options = cliParse(ABOUT, {
  users: { help: `users to register (max ${EJABBERD_USERS_MAX})`, default: 200 },
  dir: { help: 'config, spool and log directory of the node', default: EJABBERD_DIR_DEFAULT,
    arg: 'path' },
  'scheduler-flags': { help: "BEAM scheduler flags, or 'default'",
    default: SCHEDULER_FLAGS_DEFAULT, arg: 'flags' },
}, help ? ['--help'] : rest);
const command = commandOf(first);
const flags = options['scheduler-flags'];
const ejabberd: EjabberdOptions = {
  dir: options.dir,
  schedulerFlags: flags === 'default' ? null : flags,
  log: (line) => process.stderr.write(`[peer_ejabberd] ${line}\n`),
};

async function registered(): Promise<void> {
  const started = performance.now();
  await ejabberdRegister(options.users);
  const seconds = (performance.now() - started) / 1000;
  ejabberd.log(`registered ${options.users} users in ${seconds.toFixed(1)} s`);
}

switch (command) {
  case 'setup':
    ejabberdInstall(ejabberd.log);
    ejabberd.log(`ejabberd pid ${(await ejabberdStart(ejabberd)).pid}`);
    await registered();
    break;
  case 'start':
    ejabberdInstall(ejabberd.log);
    ejabberd.log(`ejabberd pid ${(await ejabberdStart(ejabberd)).pid}`);
    break;
  case 'register':
    await registered();
    break;
  case 'stop':
    ejabberdStop(ejabberd);
    break;
  case 'status':
    process.stdout.write(`${ejabberdPid() ?? 'stopped'}\n`);
    break;
  case 'settings':
    process.stdout.write(`${ejabberdSettingsText(ejabberd.schedulerFlags)}\n`);
    break;
}
