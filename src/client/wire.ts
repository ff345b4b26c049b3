// The client's view of one protocol unit, the same for both profiles: numeric signal and
// sub-signal, request id, and decoded content. A codec turns these into native frames or compat
// JSON text and back; everything above it never sees the profile's encoding.

import type { Result } from '../errors.js';
import type { Frame } from '../protocol/frame.js';

export interface OutPacket {
  readonly signal: number;
  readonly subSignal: number;
  readonly messageId: number;
  /** Msgpack-able / JSON-able content; undefined sends an empty body. */
  readonly content: unknown;
}

export interface InPacket {
  readonly signal: number;
  readonly subSignal: number;
  readonly messageId: number;
  /** PUB_ACK error code (ErrorCode), 0 for every other signal. */
  readonly code: number;
  /** Decoded content; undefined for an empty body or compat `""`. */
  readonly content: unknown;
}

export type WireProfile = 'native' | 'compat';

export interface WireCodec {
  readonly profile: WireProfile;
  /** Null when this profile cannot express the packet (compat: a sub-signal without a name). */
  encode(packet: OutPacket): Buffer | string | null;
  /** Null: not this profile's unit, ignore it. A failed Result: a unit we could not decode. */
  decodeFrame(frame: Frame): Result<InPacket> | null;
  decodeText(text: string): Result<InPacket> | null;
}
