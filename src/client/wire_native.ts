// The native profile codec: msgpack bodies in binary frames; a PUB_ACK body is one code byte and,
// on success, the msgpack result. Frame bodies are borrowed, so they are decoded here, at once.

import { ok } from '../errors.js';
import type { Result } from '../errors.js';
import { ackDecode, bodyDecode, bodyEncode } from '../protocol/body_codec.js';
import type { Frame } from '../protocol/frame.js';
import { frameEncode } from '../protocol/native_frame.js';
import { Signal } from '../protocol/signals.js';
import type { InPacket, OutPacket, WireCodec } from './wire.js';

const BODY_EMPTY = Buffer.alloc(0);

export const wireNative = {
  profile: 'native',

  encode(packet: OutPacket): Buffer {
    const body = packet.content === undefined ? BODY_EMPTY : bodyEncode(packet.content);
    return frameEncode(packet.signal, packet.subSignal, packet.messageId, body);
  },

  decodeFrame(frame: Frame): Result<InPacket> {
    const { signal, subSignal, messageId } = frame;
    if (signal === Signal.PUB_ACK) {
      const ack = ackDecode(frame.body);
      if (!ack.ok) return ack;
      return ok({ signal, subSignal, messageId, code: ack.value.code, content: ack.value.result });
    }
    const body = bodyDecode(frame.body);
    if (!body.ok) return body;
    return ok({ signal, subSignal, messageId, code: 0, content: body.value });
  },

  decodeText(): null {
    return null;
  },
} satisfies WireCodec;
