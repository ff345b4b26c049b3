// CONNECT: check the device's session and token, then answer CONNECT_ACK. Every refusal looks
// alike to the client (a sub-signal and a close) and costs no more than a lookup and an HMAC.

import { passwordToPart0 } from '../auth/compat_token.js';
import { tokenVerify } from '../auth/signed_token.js';
import { TOKEN_TTL_MS } from '../limits.js';
import type { ConnectRequest } from '../protocol/requests.js';
import { SubSignal } from '../protocol/signals.js';
import type { ShardServices } from './services.js';

export type ConnectVerdict =
  | typeof SubSignal.CONNECTION_ACCEPTED
  | typeof SubSignal.CONNECTION_REFUSED_IDENTIFIER_REJECTED
  | typeof SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD
  | typeof SubSignal.CONNECTION_REFUSED_SESSION_NOT_EXIST;

export function connectVerify(services: ShardServices, request: ConnectRequest): ConnectVerdict {
  const device = services.store.devices.get([request.uid, request.deviceId]);
  if (device === undefined) return SubSignal.CONNECTION_REFUSED_SESSION_NOT_EXIST;
  const part0 = passwordToPart0(request.password, device.secret);
  if (!part0.ok) return SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
  const claims = tokenVerify(services.tokenKeys, part0.value, Date.now());
  if (!claims.ok) return SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
  const { uid, deviceId, expiresAtMs } = claims.value;
  if (uid !== request.uid || deviceId !== request.deviceId) {
    return SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
  }
  // A token issued before the device's current login was revoked by that login or a logout.
  if (expiresAtMs - TOKEN_TTL_MS < device.validFromMs) {
    return SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD;
  }
  // Checked after the token so that only the account's own holder learns of the ban.
  if (services.store.bans.doesExist(uid)) return SubSignal.CONNECTION_REFUSED_IDENTIFIER_REJECTED;
  return SubSignal.CONNECTION_ACCEPTED;
}
