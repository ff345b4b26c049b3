// The peer ejabberd's life: install the Debian package if missing, write our own config to a
// directory this tool owns, start the node bound to loopback, wait until it answers, register
// users through its REST API with many requests in flight, find its beam.smp for /proc, stop it.
// Every step is idempotent: a running node with the same config is left alone.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  EJABBERD_C2S_PORT, EJABBERD_DOMAIN, EJABBERD_HOST_IP, EJABBERD_HTTP_PORT, EJABBERD_NODE,
  LIMITS_FILE, ejabberdInetrc, ejabberdLimitsConf, ejabberdYml, ejabberdctlCfg,
} from './ejabberd_config.js';

export const EJABBERD_DIR_DEFAULT = '/var/tmp/magpie-peer-ejabberd';
/** The BEAM flags tried against the default busy-wait (PEERS.md); 'default' keeps it. */
export const SCHEDULER_FLAGS_DEFAULT = '+sbwt none +sbwtdcpu none +sbwtdio none';
export const EJABBERD_PASSWORD = 'magpie-peer';
const EJABBERDCTL = '/usr/sbin/ejabberdctl';
const EPMD = '/usr/bin/epmd';
/** The package install (first run only) can take minutes on this box. */
const APT_TIMEOUT_MS = 900_000;
const CTL_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const POLL_MS = 200;
/** How long a stopped node may stay listed in epmd before epmd is left running. */
const EPMD_DEREGISTER_MS = 5_000;
/** Registrations in flight at once (PEERS.md: ~1,300–1,800 users/s with 32). */
export const REGISTER_CONCURRENCY = 32;
export const EJABBERD_USERS_MAX = 20_000;

export interface EjabberdOptions {
  readonly dir: string;
  /** Extra BEAM flags, or null for the default busy-wait schedulers. */
  readonly schedulerFlags: string | null;
  readonly log: (line: string) => void;
}

interface Dirs {
  readonly etc: string;
  readonly spool: string;
  readonly logs: string;
}

function dirsOf(dir: string): Dirs {
  return { etc: path.join(dir, 'etc'), spool: path.join(dir, 'spool'),
    logs: path.join(dir, 'log') };
}

export function ejabberdUserName(index: number): string {
  return `peer${index}`;
}

export function ejabberdJid(index: number): string {
  return `${ejabberdUserName(index)}@${EJABBERD_DOMAIN}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function ejabberdInstalled(): boolean {
  const probe = spawnSync('dpkg-query', ['-W', '-f=${Status}', 'ejabberd'], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.includes('install ok installed') &&
    fs.existsSync(EJABBERDCTL);
}

/** apt-get install, with one apt-get update if the package lists are stale. */
export function ejabberdInstall(log: (line: string) => void): void {
  if (ejabberdInstalled()) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]): number | null => {
    log(`apt-get ${args.join(' ')}`);
    // apt's output goes to stderr: a bench's stdout holds only its result lines.
    return spawnSync('apt-get', args, { env, stdio: ['ignore', 2, 2], timeout: APT_TIMEOUT_MS })
      .status;
  };
  if (apt(['install', '-y', 'ejabberd']) !== 0) {
    apt(['update']);
    if (apt(['install', '-y', 'ejabberd']) !== 0) throw new Error('apt-get install failed');
  }
}

/** Writes `text` to `file` if it differs; returns whether it changed. */
function fileEnsure(file: string, text: string): boolean {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : null;
  if (current === text) return false;
  fs.writeFileSync(file, text, { mode: 0o644 });
  return true;
}

function ejabberdIds(): { uid: number; gid: number } {
  const id = (flag: string): number => {
    const out = spawnSync('id', [flag, 'ejabberd'], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error('no user ejabberd (is the package installed?)');
    return Number(out.stdout.trim());
  };
  return { uid: id('-u'), gid: id('-g') };
}

/** Writes the config; returns whether anything a running node reads changed. */
export function ejabberdConfigure(options: EjabberdOptions): boolean {
  const dirs = dirsOf(options.dir);
  const { uid, gid } = ejabberdIds();
  for (const dir of [options.dir, dirs.etc, dirs.spool, dirs.logs]) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  }
  for (const dir of [dirs.spool, dirs.logs]) fs.chownSync(dir, uid, gid);
  if (fileEnsure(LIMITS_FILE, ejabberdLimitsConf())) options.log(`wrote ${LIMITS_FILE}`);
  let changed = fileEnsure(path.join(dirs.etc, 'ejabberd.yml'), ejabberdYml());
  changed = fileEnsure(path.join(dirs.etc, 'ejabberdctl.cfg'),
    ejabberdctlCfg(options.schedulerFlags)) || changed;
  changed = fileEnsure(path.join(dirs.etc, 'inetrc'), ejabberdInetrc()) || changed;
  return changed;
}

/** The running node's beam.smp (ours: named EJABBERD_NODE), or null. */
export function ejabberdPid(): number | null {
  const mark = `-sname\0${EJABBERD_NODE}\0`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    if (cmdline.includes('beam.smp') && cmdline.includes(mark) &&
      cmdline.includes('-s\0ejabberd')) return Number(entry);
  }
  return null;
}

function ctl(options: EjabberdOptions, args: readonly string[]): Promise<number | null> {
  const dirs = dirsOf(options.dir);
  const child = spawn(EJABBERDCTL, ['--config-dir', dirs.etc, '--spool', dirs.spool,
    '--logs', dirs.logs, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), CTL_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, EJABBERD_HOST_IP);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function apiStatusOk(): Promise<boolean> {
  try {
    const answer = await fetch(`http://${EJABBERD_HOST_IP}:${EJABBERD_HTTP_PORT}/api/status`,
      { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    await answer.text();
    return answer.ok;
  } catch {
    return false;
  }
}

export interface EjabberdStarted {
  /** The node's beam.smp. */
  readonly pid: number;
  /** False when a node with this config was running already: the caller did not start it and
   * should leave it running. */
  readonly started: boolean;
}

/** Starts the node (fresh spool) unless it runs with this config. */
export async function ejabberdStart(options: EjabberdOptions): Promise<EjabberdStarted> {
  const changed = ejabberdConfigure(options);
  const running = ejabberdPid();
  if (running !== null && !changed && await apiStatusOk()) return { pid: running, started: false };
  if (running !== null) ejabberdStop(options);
  const dirs = dirsOf(options.dir);
  // A fresh mnesia each start: no users or offline queues left from an earlier run.
  fs.rmSync(dirs.spool, { recursive: true, force: true });
  ejabberdConfigure(options);
  options.log(`starting ejabberd (${EJABBERD_NODE}, ${options.dir}, BEAM flags ` +
    `${options.schedulerFlags ?? 'default'})`);
  const code = await ctl(options, ['start']);
  if (code !== 0) throw new Error(`ejabberdctl start exited with ${code}`);
  const end = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < end) {
    const pid = ejabberdPid();
    if (pid !== null && await portOpen(EJABBERD_C2S_PORT) && await apiStatusOk()) {
      return { pid, started: true };
    }
    await sleep(POLL_MS);
  }
  throw new Error(`ejabberd did not answer within ${START_TIMEOUT_MS} ms; see ${dirs.logs}`);
}

/** Blocks the thread for `ms`: the stop must also work inside an 'exit' listener, where no
 * timer or promise runs any more. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * ejabberdctl stop, then SIGKILL our beam if it lingers; epmd goes when no node is left.
 * Synchronous so that a bench can call it from process.on('exit') after SIGINT or SIGTERM.
 */
export function ejabberdStop(options: EjabberdOptions): void {
  const pid = ejabberdPid();
  if (pid === null) return;
  options.log(`stopping ejabberd (pid ${pid})`);
  const dirs = dirsOf(options.dir);
  spawnSync(EJABBERDCTL, ['--config-dir', dirs.etc, '--spool', dirs.spool, '--logs', dirs.logs,
    'stop'], { stdio: ['ignore', 2, 2], timeout: CTL_TIMEOUT_MS });
  const end = performance.now() + STOP_TIMEOUT_MS;
  while (ejabberdPid() === pid && performance.now() < end) sleepSync(POLL_MS);
  if (ejabberdPid() === pid) process.kill(pid, 'SIGKILL');
  epmdStopIfIdle();
}

/** Kills epmd once no node is registered with it; it notices a dead node's closed socket a
 * moment after the node exits, so this polls for up to EPMD_DEREGISTER_MS. */
function epmdStopIfIdle(): void {
  const end = performance.now() + EPMD_DEREGISTER_MS;
  for (;;) {
    const names = spawnSync(EPMD, ['-names'], { encoding: 'utf8', timeout: CTL_TIMEOUT_MS });
    if (names.status !== 0) return; // not running
    if (!names.stdout.includes('name ')) {
      spawnSync(EPMD, ['-kill'], { stdio: 'ignore', timeout: CTL_TIMEOUT_MS });
      return;
    }
    if (performance.now() >= end) return; // another node uses it: leave it
    sleepSync(POLL_MS);
  }
}

async function registerOne(index: number): Promise<void> {
  const body = JSON.stringify({ user: ejabberdUserName(index), host: EJABBERD_DOMAIN,
    password: EJABBERD_PASSWORD });
  const answer = await fetch(`http://${EJABBERD_HOST_IP}:${EJABBERD_HTTP_PORT}/api/register`,
    { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const text = await answer.text();
  // 409: already registered (a second run on a kept node) is what we wanted anyway.
  if (!answer.ok && answer.status !== 409) {
    throw new Error(`register ${ejabberdUserName(index)}: HTTP ${answer.status} ${text}`);
  }
}

/** Registers users peer0 … peer<count − 1>, REGISTER_CONCURRENCY at a time. */
export async function ejabberdRegister(count: number): Promise<void> {
  if (!Number.isInteger(count) || count < 0 || count > EJABBERD_USERS_MAX) {
    throw new Error(`user count must be 0..${EJABBERD_USERS_MAX}`);
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await registerOne(next++);
  };
  await Promise.all(Array.from({ length: REGISTER_CONCURRENCY }, worker));
}
