// The compat profile codec: JSON text with signal names. Inbound parsing is the shared
// compatParse. Compat answers carry no error code: `""` is a failure (reported as
// COMPAT_FAILURE_CODE), and `{"code":n}` answers (FAR, MR, and `{"code":200}` successes) carry it.

import { ErrorCode, ok } from '../errors.js';
import type { Result } from '../errors.js';
import { compatParse } from '../protocol/compat_json.js';
import { asFields } from '../protocol/fields.js';
import { Signal, SubSignal, signalName, subSignalName } from '../protocol/signals.js';
import type { InPacket, OutPacket, WireCodec } from './wire.js';

/** The code a compat `""` answer is reported with: the profile does not say what went wrong. */
export const COMPAT_FAILURE_CODE = ErrorCode.SERVER_ERROR;
/** The compat profile's success code inside `{"code":…}` answers. */
const COMPAT_CODE_OK = 200;

function bigintToString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Code and result of a compat PUB_ACK content. */
function compatAnswer(subSignal: number, content: unknown): { code: number; content: unknown } {
  if (content === undefined) {
    // UPUI answers "" for "no users", not for a failure (PROTOCOL.md §4).
    if (subSignal === SubSignal.UPUI) return { code: 0, content: [] };
    return { code: COMPAT_FAILURE_CODE, content };
  }
  const fields = asFields(content);
  const code = fields?.['code'];
  if (typeof code === 'number' && Number.isInteger(code)) {
    return { code: code === COMPAT_CODE_OK ? 0 : code, content };
  }
  return { code: 0, content };
}

export const wireCompat = {
  profile: 'compat',

  encode(packet: OutPacket): string | null {
    const signal = signalName(packet.signal);
    const subSignal = subSignalName(packet.subSignal);
    if (signal === undefined || subSignal === undefined) return null;
    const frame = {
      signal,
      subSignal,
      messageId: packet.messageId,
      content: packet.content === undefined ? '' : packet.content,
    };
    return JSON.stringify(frame, bigintToString);
  },

  decodeFrame(): null {
    return null;
  },

  decodeText(text: string): Result<InPacket> | null {
    const parsed = compatParse(text);
    if (!parsed.ok) return parsed.code === ErrorCode.NOT_IMPLEMENTED ? null : parsed;
    const { signal, subSignal, messageId, content } = parsed.value;
    if (signal !== Signal.PUB_ACK) return ok({ signal, subSignal, messageId, code: 0, content });
    const answer = compatAnswer(subSignal, content);
    return ok({ signal, subSignal, messageId, code: answer.code, content: answer.content });
  },
} satisfies WireCodec;
