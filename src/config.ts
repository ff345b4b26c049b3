// One typed, validated, frozen config: defaults < file (--config or MAGPIE_CONFIG, JSON) < env
// (MAGPIE_HTTP_PORT, …) < flags (--http-port 8081, …). The embedded default needs none of them.
// A bad value stops the start with a message that names the key and what it accepts.

import fs from 'node:fs';
import os from 'node:os';
import {
  GROUP_MEMBERS_CEILING,
  GROUP_MEMBERS_MAX,
  CONVERSATION_ROWS_WRITEBACK_MS,
  TIMELINE_WRITEBACK_MS,
  GROUP_READ_FANOUT_MEMBERS_MIN,
  STORE_MAP_BYTES_DEFAULT,
  USER_SENDS_PER_SECOND,
  USER_SENDS_PER_SECOND_CEILING,
} from './limits.js';

export interface Config {
  readonly dataDir: string;
  readonly host: string;
  /** Host name clients are told to use in login/route answers. */
  readonly publicHost: string;
  readonly httpPort: number;
  readonly wsPort: number;
  readonly tcpPort: number;
  /** Direct per-shard ports are base + 1 + shard; 0 turns fixed numbering off (any free port). */
  readonly shardPorts: boolean;
  readonly shards: number;
  readonly nodeId: number;
  /** Dev mode: code 556677 logs in anyone, codes are logged, chaos hooks are on. */
  readonly devMode: boolean;
  /** `id:base64secret,…`, first one signs; required outside dev mode. */
  readonly tokenKeys: string;
  /** PEM certificate and key files: when both are set, HTTP and WebSocket listen with TLS
   * (https/wss) and TCP with TLS. The original web client only speaks https/wss. */
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  /** Bearer token for /v1/admin/*; empty = admin API open in dev mode only, closed otherwise. */
  readonly adminToken: string;
  readonly storeMapBytes: number;
  /** Members a group may hold, owner included (2 … GROUP_MEMBERS_CEILING). */
  readonly groupMembersMax: number;
  /** Receivers from which a group switches to read fan-out for good (≥ 2). */
  readonly groupReadFanoutMembersMin: number;
  /** How often conversation-list rows changed by appends are written back, in ms (≥ 1). */
  readonly conversationRowsWritebackMs: number;
  /** How long timeline entries are held in memory before their per-user tables get them, in
   * ms (≥ 1; the shard's log keeps them durable meanwhile). */
  readonly timelineWritebackMs: number;
  /** Messages per second one user may send, all devices together (1 … the ceiling in
   * limits.ts); a burst of USER_SENDS_BURST_SECONDS of it is allowed above. */
  readonly userSendsPerSecond: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

const DEFAULTS: Config = {
  dataDir: './data',
  host: '0.0.0.0',
  publicHost: '127.0.0.1',
  httpPort: 8081,
  wsPort: 9326,
  tcpPort: 6789,
  shardPorts: true,
  shards: Math.min(os.availableParallelism(), 15),
  nodeId: 0,
  devMode: true,
  tokenKeys: '',
  adminToken: '',
  tlsCertFile: '',
  tlsKeyFile: '',
  storeMapBytes: STORE_MAP_BYTES_DEFAULT,
  groupMembersMax: GROUP_MEMBERS_MAX,
  groupReadFanoutMembersMin: GROUP_READ_FANOUT_MEMBERS_MIN,
  conversationRowsWritebackMs: CONVERSATION_ROWS_WRITEBACK_MS,
  timelineWritebackMs: TIMELINE_WRITEBACK_MS,
  userSendsPerSecond: USER_SENDS_PER_SECOND,
  logLevel: 'info',
};

type Kind = 'string' | 'port' | 'count' | 'boolean' | 'level';
const KINDS: { readonly [K in keyof Config]: Kind } = {
  dataDir: 'string',
  host: 'string',
  publicHost: 'string',
  httpPort: 'port',
  wsPort: 'port',
  tcpPort: 'port',
  shardPorts: 'boolean',
  shards: 'count',
  nodeId: 'count',
  devMode: 'boolean',
  tokenKeys: 'string',
  adminToken: 'string',
  tlsCertFile: 'string',
  tlsKeyFile: 'string',
  storeMapBytes: 'count',
  groupMembersMax: 'count',
  groupReadFanoutMembersMin: 'count',
  conversationRowsWritebackMs: 'count',
  timelineWritebackMs: 'count',
  userSendsPerSecond: 'count',
  logLevel: 'level',
};

export class ConfigError extends Error {}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
function envName(key: string): string {
  return `MAGPIE_${kebab(key).replace(/-/g, '_').toUpperCase()}`;
}

function coerce(key: keyof Config, raw: unknown, source: string): Config[keyof Config] {
  const kind = KINDS[key];
  const bad = (what: string): never => {
    throw new ConfigError(`config ${key} (${source}): ${JSON.stringify(raw)} is not ${what}`);
  };
  switch (kind) {
    case 'string':
      return typeof raw === 'string' ? raw : bad('a string');
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return bad('true or false');
    case 'port':
    case 'count': {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(value) || value < 0) return bad('a non-negative integer');
      if (kind === 'port' && value > 65535) return bad('a port (0–65535)');
      return value;
    }
    case 'level':
      return raw === 'debug' || raw === 'info' || raw === 'warn' || raw === 'error' ? raw : bad('debug|info|warn|error');
  }
}

export function configLoad(argv: readonly string[], env: NodeJS.ProcessEnv): Readonly<Config> {
  const merged: Record<string, unknown> = { ...DEFAULTS };
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument ${arg}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`flag --${name} needs a value`);
    flags.set(name, value);
  }
  const file = flags.get('config') ?? env['MAGPIE_CONFIG'];
  flags.delete('config');
  if (file !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(`config file ${file}: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null) throw new ConfigError(`config file ${file}: not an object`);
    for (const [key, value] of Object.entries(parsed)) {
      if (!(key in KINDS)) throw new ConfigError(`config file ${file}: unknown key ${key}`);
      merged[key] = coerce(key as keyof Config, value, file);
    }
  }
  for (const key of Object.keys(KINDS) as (keyof Config)[]) {
    const fromEnv = env[envName(key)];
    if (fromEnv !== undefined) merged[key] = coerce(key, fromEnv, envName(key));
    const fromFlag = flags.get(kebab(key));
    if (fromFlag !== undefined) {
      merged[key] = coerce(key, fromFlag, `--${kebab(key)}`);
      flags.delete(kebab(key));
    }
  }
  for (const name of flags.keys()) throw new ConfigError(`unknown flag --${name}`);
  const config = merged as unknown as Config;
  // Snowflake shard bits 0–14 are shards; 15 is the main thread's (user ids).
  if (config.shards < 1 || config.shards > 15) throw new ConfigError('config shards: 1–15');
  if (config.nodeId > 63) throw new ConfigError('config nodeId: 0–63');
  if (config.groupMembersMax < 2 || config.groupMembersMax > GROUP_MEMBERS_CEILING) {
    throw new ConfigError(`config groupMembersMax: 2–${GROUP_MEMBERS_CEILING}`);
  }
  if (config.groupReadFanoutMembersMin < 2) {
    throw new ConfigError('config groupReadFanoutMembersMin: at least 2');
  }
  if (config.conversationRowsWritebackMs < 1 || config.conversationRowsWritebackMs > 3_600_000) {
    throw new ConfigError('config conversationRowsWritebackMs: 1–3600000 (ms)');
  }
  if (config.timelineWritebackMs < 1 || config.timelineWritebackMs > 60_000) {
    throw new ConfigError('config timelineWritebackMs: 1–60000 (ms)');
  }
  if (config.userSendsPerSecond < 1 || config.userSendsPerSecond > USER_SENDS_PER_SECOND_CEILING) {
    throw new ConfigError(`config userSendsPerSecond: 1–${USER_SENDS_PER_SECOND_CEILING}`);
  }
  if (!config.devMode && config.tokenKeys === '') {
    throw new ConfigError('config tokenKeys (MAGPIE_TOKEN_KEYS) is required outside dev mode');
  }
  if ((config.tlsCertFile === '') !== (config.tlsKeyFile === '')) {
    throw new ConfigError('config tlsCertFile and tlsKeyFile go together');
  }
  for (const file of [config.tlsCertFile, config.tlsKeyFile]) {
    if (file !== '' && !fs.existsSync(file)) throw new ConfigError(`config TLS file ${file} does not exist`);
  }
  return Object.freeze(config);
}
