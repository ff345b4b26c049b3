// The control-plane calls a client makes before it connects: login (native `/v1/login` and the
// original `/login`), `/send_code` and `/v1/route`. Failures reject with a MagpieError whose code
// is the answer's `code` (e.g. 6 code incorrect), or 'disconnected' when HTTP itself failed.

import { ErrorCode } from '../errors.js';
import { asFields, fieldInteger } from '../protocol/fields.js';
import { MagpieError, errorDisconnected, errorProtocol } from './client_error.js';
import { HTTP_RESPONSE_BYTES_MAX, REQUEST_TIMEOUT_MS_DEFAULT } from './client_limits.js';
import { endpointsDecode } from './decode_answers.js';
import type { CompatLoginResult, Endpoints, LoginResult } from './types.js';

/** The code dev mode accepts for every mobile (PROTOCOL.md §5). */
export const DEV_LOGIN_CODE = '556677';

/** POSTs (or GETs, without a body) JSON; resolves with `result` of a `{"code":0}` answer. */
async function httpCall(url: string, body: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS_DEFAULT),
    });
  } catch (err: unknown) {
    throw errorDisconnected(`${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > HTTP_RESPONSE_BYTES_MAX) {
    throw new MagpieError('limit', ErrorCode.TOO_LARGE, `${url}: ${declared} bytes`);
  }
  const text = await response.text();
  if (text.length > HTTP_RESPONSE_BYTES_MAX) {
    throw new MagpieError('limit', ErrorCode.TOO_LARGE, `${url}: ${text.length} chars`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw errorProtocol(`${url}: HTTP ${response.status}, not JSON`);
  }
  const fields = asFields(parsed);
  const code = fields === undefined ? undefined : fieldInteger(fields, 'code');
  if (fields === undefined || code === undefined) throw errorProtocol(`${url}: no code`);
  if (code !== ErrorCode.OK) {
    const message = typeof fields['message'] === 'string' ? fields['message'] : 'refused';
    throw new MagpieError('server', code, `${url}: ${message}`);
  }
  return fields['result'];
}

function urlJoin(httpBase: string, path: string): string {
  return httpBase.replace(/\/+$/, '') + path;
}

function stringField(value: unknown, key: string): string | null {
  const fields = asFields(value);
  const field = fields?.[key];
  if (typeof field === 'string') return field;
  if (typeof field === 'number' && Number.isSafeInteger(field)) return String(field);
  return null;
}

export async function sendCode(httpBase: string, mobile: string): Promise<void> {
  await httpCall(urlJoin(httpBase, '/send_code'), { mobile });
}

/** Native login: the token is the CONNECT password; endpoints are the owner shard's ports. */
export async function login(
  httpBase: string,
  mobile: string,
  deviceId: string,
  code: string = DEV_LOGIN_CODE,
): Promise<LoginResult> {
  const url = urlJoin(httpBase, '/v1/login');
  const result = await httpCall(url, { mobile, code, deviceId });
  const userId = stringField(result, 'userId');
  const token = stringField(result, 'token');
  const compatToken = stringField(result, 'compatToken');
  const endpoints = endpointsDecode(asFields(result)?.['endpoints']);
  if (userId === null || token === null || compatToken === null || endpoints === null) {
    throw errorProtocol(`${url}: incomplete result`);
  }
  const register = asFields(result)?.['register'] === true;
  return { userId, token, compatToken, register, endpoints };
}

/** The original client's login: the token is the compat token (see compatPasswordDerive). */
export async function compatLogin(
  httpBase: string,
  mobile: string,
  clientId: string,
  code: string = DEV_LOGIN_CODE,
): Promise<CompatLoginResult> {
  const url = urlJoin(httpBase, '/login');
  const result = await httpCall(url, { mobile, code, clientId });
  const userId = stringField(result, 'userId');
  const token = stringField(result, 'token');
  if (userId === null || token === null) throw errorProtocol(`${url}: incomplete result`);
  return { userId, token, register: asFields(result)?.['register'] === true };
}

/** The direct endpoints of the shard that owns `uid`. */
export async function route(httpBase: string, uid: string): Promise<Endpoints> {
  const url = urlJoin(httpBase, `/v1/route?uid=${encodeURIComponent(uid)}`);
  const endpoints = endpointsDecode(await httpCall(url, undefined));
  if (endpoints === null) throw errorProtocol(`${url}: incomplete result`);
  return endpoints;
}
