// Phone-code login, compat (`POST /login`) and native (`POST /v1/login`): check the code, find
// or register the account, create the device session on the owner shard, sign the token.

import { compatTokenWrap } from '../auth/compat_token.js';
import { LoginCode, type LoginCodes } from '../auth/login_codes.js';
import { tokenIssue, type TokenKeys } from '../auth/signed_token.js';
import { DEVICE_ID_CHARS_MAX, TOKEN_TTL_MS } from '../limits.js';
import { asFields, fieldString } from '../protocol/fields.js';
import type { PartitionMap } from '../router/partition_map.js';
import { accountEnsure, type Directory } from '../store/directory.js';
import type { Supervisor } from '../supervisor.js';

export interface LoginDeps {
  readonly codes: LoginCodes;
  readonly directory: Directory;
  readonly supervisor: Supervisor;
  readonly partitions: PartitionMap;
  readonly tokenKeys: TokenKeys;
  readonly uidNew: () => string;
  readonly endpointOf: (shard: number) => { host: string; wsPort: number; tcpPort: number };
}

export type LoginOutcome =
  | {
      readonly ok: true;
      readonly uid: string;
      readonly token: string;
      readonly compatToken: string;
      readonly register: boolean;
      readonly shard: number;
    }
  | { readonly ok: false; readonly code: number; readonly message: string };

export function sendCode(deps: LoginDeps, body: unknown): { code: number; message: string } {
  const fields = asFields(body);
  const mobile = fields === undefined ? undefined : fieldString(fields, 'mobile', 32);
  if (mobile === undefined) return { code: LoginCode.INVALID_MOBILE, message: 'invalid mobile' };
  const result = deps.codes.request(mobile);
  return result.ok
    ? { code: 0, message: 'success' }
    : { code: result.code, message: loginMessage(result.code) };
}

export async function login(
  deps: LoginDeps,
  body: unknown,
  deviceKey: 'clientId' | 'deviceId',
): Promise<LoginOutcome> {
  const fields = asFields(body);
  const mobile = fields === undefined ? undefined : fieldString(fields, 'mobile', 32);
  const code = fields === undefined ? undefined : fieldString(fields, 'code', 16);
  const deviceId =
    fields === undefined ? undefined : fieldString(fields, deviceKey, DEVICE_ID_CHARS_MAX);
  if (mobile === undefined || code === undefined) {
    return { ok: false, code: LoginCode.INVALID_MOBILE, message: 'invalid mobile' };
  }
  if (!deviceId)
    return { ok: false, code: LoginCode.SERVER_ERROR, message: `missing ${deviceKey}` };
  const checked = deps.codes.check(mobile, code);
  if (!checked.ok) return { ok: false, code: checked.code, message: loginMessage(checked.code) };
  const { account, created } = await accountEnsure(deps.directory, mobile, deps.uidNew);
  const shard = deps.partitions.shardOf(account.uid);
  const issued = await deps.supervisor.sessionIssue(shard, account.uid, deviceId, account.mobile);
  if (issued.code !== 0)
    return { ok: false, code: LoginCode.SERVER_ERROR, message: 'shard unavailable' };
  const now = Date.now();
  const token = tokenIssue(deps.tokenKeys, account.uid, deviceId, now, TOKEN_TTL_MS);
  const compatToken = compatTokenWrap(token, issued.secret, 'magpie', now);
  return { ok: true, uid: account.uid, token, compatToken, register: created, shard };
}

function loginMessage(code: number): string {
  switch (code) {
    case LoginCode.INVALID_MOBILE:
      return 'invalid mobile';
    case LoginCode.TOO_FREQUENT:
      return 'too frequent';
    case LoginCode.CODE_EXPIRED:
      return 'code expired';
    case LoginCode.CODE_INCORRECT:
      return 'code incorrect';
    default:
      return 'server error';
  }
}
