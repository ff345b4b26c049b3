// A reference native-frame reader written straight from PROTOCOL.md §2 (judge each header field
// as soon as its bytes are there), and the FrameReader driven chunk by chunk, for the properties
// that compare the two.

import assert from 'node:assert/strict';
import { FRAME_HEADER_BYTES } from '../../src/limits.js';
import type { Frame } from '../../src/protocol/frame.js';
import { FrameReader, type FrameReadError } from '../../src/protocol/native_frame.js';

export interface Decoded {
  readonly frames: { signal: number; subSignal: number; messageId: number; body: Buffer }[];
  readonly error: FrameReadError | null;
}

/** The reference reader, straight from PROTOCOL.md §2: judge each header field once present. */
export function referenceRead(stream: Uint8Array, bodyBytesMax: number): Decoded {
  const frames: Decoded['frames'] = [];
  let at = 0;
  while (at < stream.length) {
    const have = stream.length - at;
    if (stream[at] !== 0xf8) return { frames, error: 'bad_magic' };
    if (have >= 2 && stream[at + 1] !== 3) {
      return { frames, error: stream[at + 1] === 2 ? 'unsupported_version' : 'bad_version' };
    }
    if (have < 7) break;
    const length = Buffer.from(stream.subarray(at + 3, at + 7)).readInt32BE(0);
    if (length < 0) return { frames, error: 'bad_length' };
    if (length > bodyBytesMax) return { frames, error: 'too_large' };
    if (have < FRAME_HEADER_BYTES + length) break;
    frames.push({
      signal: stream[at + 2]! & 0x7f,
      subSignal: stream[at + 7]! & 0x7f,
      messageId: (stream[at + 8]! << 8) | stream[at + 9]!,
      body: Buffer.from(stream.subarray(at + FRAME_HEADER_BYTES, at + FRAME_HEADER_BYTES + length)),
    });
    at += FRAME_HEADER_BYTES + length;
  }
  return { frames, error: null };
}

/** FrameReader over `chunks`, frames copied out; checks an error is sticky. */
export function readerRead(chunks: readonly Uint8Array[], bodyBytesMax: number): Decoded {
  const reader = new FrameReader(bodyBytesMax);
  const frames: Decoded['frames'] = [];
  const copy = (frame: Frame): void => {
    frames.push({ ...frame, body: Buffer.from(frame.body) });
  };
  let error: FrameReadError | null = null;
  for (const chunk of chunks) {
    const result = reader.feed(chunk, copy);
    if (error !== null) assert.equal(result, error, 'after an error the reader refuses everything');
    error = result;
  }
  return { frames, error };
}


/** The bytes a frame came from, with the reserved bit 7 of signal and subSignal cleared. */
export function masked(bytes: Uint8Array): Buffer {
  const copy = Buffer.from(bytes);
  if (copy.length > 2) copy[2] = copy[2]! & 0x7f;
  if (copy.length > 7) copy[7] = copy[7]! & 0x7f;
  return copy;
}
