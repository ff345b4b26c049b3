// Encoding what the server says, per profile: native frames with msgpack bodies, or compat
// JSON text with double-encoded content and the original client's failure shapes (§4).

import { ackEncode, bodyEncode } from './body_codec.js';
import { compatEncode } from './compat_json.js';
import { frameEncode } from './native_frame.js';
import { Signal, SubSignal } from './signals.js';
import type { Profile } from '../transport/session.js';

const EMPTY = new Uint8Array(0);

/** PUB_ACK for a request: `result` on success (code 0), the profile's failure shape otherwise. */
export function ackFor(
  profile: Profile,
  subSignal: number,
  messageId: number,
  code: number,
  result?: unknown,
): string | Uint8Array {
  if (profile === 'native') {
    return frameEncode(Signal.PUB_ACK, subSignal, messageId, ackEncode(code, result));
  }
  const content = code === 0 ? (result ?? { code: 200 }) : compatFailure(subSignal, code);
  return compatEncode(Signal.PUB_ACK, subSignal, messageId, content);
}

/** The original web client treats any non-empty content as success, so failure is '' except
 * where it reads a code (MR, FAR). */
function compatFailure(subSignal: number, code: number): unknown {
  if (subSignal === SubSignal.MR) return { code };
  // The original client parses these unchecked: an empty list, never "".
  if (subSignal === SubSignal.US || subSignal === SubSignal.FP || subSignal === SubSignal.GPGI)
    return [];
  if (subSignal === SubSignal.FAR) return { code, message: `error ${code}` };
  return '';
}

/** A server push (MN, RMN, FRN, FN, MRN): PUBLISH with messageId 0. */
export function pushFor(profile: Profile, subSignal: number, body: unknown): string | Uint8Array {
  if (profile === 'native') return frameEncode(Signal.PUBLISH, subSignal, 0, bodyEncode(body));
  return compatEncode(Signal.PUBLISH, subSignal, 0, body);
}

export function connectAckFor(
  profile: Profile,
  messageId: number,
  resultSubSignal: number,
  body?: unknown,
): string | Uint8Array {
  if (profile === 'native') {
    const bytes = body === undefined ? EMPTY : bodyEncode(body);
    return frameEncode(Signal.CONNECT_ACK, resultSubSignal, messageId, bytes);
  }
  return compatEncode(Signal.CONNECT_ACK, resultSubSignal, messageId, body ?? '');
}

export function pingFor(profile: Profile, messageId: number): string | Uint8Array {
  if (profile === 'native') return frameEncode(Signal.PING, SubSignal.NONE, messageId, EMPTY);
  return compatEncode(Signal.PING, SubSignal.NONE, messageId, '');
}

/** Native connections learn why they are closed before the close (TCP has no close codes):
 * DISCONNECT with `{code}` (a CloseCode) means "do not reconnect with these credentials". */
export function disconnectFor(code: number): Uint8Array {
  return frameEncode(Signal.DISCONNECT, SubSignal.NONE, 0, bodyEncode({ code }));
}
