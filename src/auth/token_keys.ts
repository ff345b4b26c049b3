// Where signing keys come from: MAGPIE_TOKEN_KEYS (`id:base64secret,…`, the first signs, the
// rest only verify) or, in dev mode only, a key generated once and kept in the data directory.

import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.js';
import {
  TOKEN_KEY_BYTES_MIN,
  tokenKeyGenerate,
  type TokenKey,
  type TokenKeys,
} from './signed_token.js';

export function tokenKeysParse(text: string): TokenKeys {
  const keys: TokenKey[] = [];
  for (const part of text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const colon = part.indexOf(':');
    if (colon <= 0) throw new ConfigError('tokenKeys: each key is id:base64secret');
    const id = part.slice(0, colon);
    const secret = Buffer.from(part.slice(colon + 1), 'base64');
    if (secret.length < TOKEN_KEY_BYTES_MIN) {
      throw new ConfigError(
        `tokenKeys: key ${id} has ${secret.length} bytes, needs ${TOKEN_KEY_BYTES_MIN}`,
      );
    }
    if (keys.some((key) => key.id === id)) throw new ConfigError(`tokenKeys: duplicate id ${id}`);
    keys.push({ id, secret });
  }
  const [current, ...verifyOnly] = keys;
  if (current === undefined) throw new ConfigError('tokenKeys: no key');
  return { current, verifyOnly };
}

/** Dev mode's key: generated on first start, kept so tokens survive restarts. */
export function tokenKeysDev(dataDir: string): TokenKeys {
  const file = path.join(dataDir, 'dev-token-key');
  if (!fs.existsSync(file)) {
    const key = tokenKeyGenerate('dev');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${key.id}:${key.secret.toString('base64')}\n`, { mode: 0o600 });
  }
  return tokenKeysParse(fs.readFileSync(file, 'utf8'));
}
