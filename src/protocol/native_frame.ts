// The native frame codec (PROTOCOL.md §2): a 10-byte big-endian header, then `length` body bytes.
// The reader judges magic, version and length from the header bytes as they arrive, so a bad or
// oversize frame is refused before one body byte is buffered. Frame bodies it hands out are
// borrowed (see frame.ts); chunks it is fed are borrowed too: it copies whatever it keeps.

import { assert } from '../errors.js';
import { FRAME_HEADER_BYTES } from '../limits.js';
import type { Frame } from './frame.js';

export const FRAME_MAGIC = 0xf8;
/** Magpie native: msgpack bodies. */
export const NATIVE_VERSION = 3;
/** The original protobuf bodies: recognised, refused (PROTOCOL.md §2). */
export const PROTOBUF_VERSION = 2;

/** Why a byte stream stopped being a frame stream; every one closes the connection. */
export type FrameReadError =
  'bad_magic' | 'unsupported_version' | 'bad_version' | 'too_large' | 'bad_length';

/**
 * Bodies up to this size that span chunks get their whole buffer when the header arrives; larger
 * ones are gathered piece by piece, so a peer that declares a large length and then trickles
 * bytes holds only the memory it has actually sent, not bodyBytesMax per connection.
 */
const BODY_PREALLOC_BYTES_MAX = 64 * 1024;
const INT32_MAX = 0x7fff_ffff;

/** One frame in one new buffer: header and body, a single allocation and a single copy. */
export function frameEncode(
  signal: number,
  subSignal: number,
  messageId: number,
  body: Uint8Array,
): Buffer {
  assert(signal >>> 0 === signal && signal <= 0x7f, 'frame signal is 7 bits');
  assert(subSignal >>> 0 === subSignal && subSignal <= 0x7f, 'frame subSignal is 7 bits');
  assert(messageId >>> 0 === messageId && messageId <= 0xffff, 'frame messageId is 16 bits');
  const length = body.length;
  assert(length <= INT32_MAX, 'frame body length fits an int32');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  frame[0] = FRAME_MAGIC;
  frame[1] = NATIVE_VERSION;
  frame[2] = signal;
  frame[3] = length >>> 24;
  frame[4] = (length >>> 16) & 0xff;
  frame[5] = (length >>> 8) & 0xff;
  frame[6] = length & 0xff;
  frame[7] = subSignal;
  frame[8] = messageId >>> 8;
  frame[9] = messageId & 0xff;
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

/** The declared body length of the header at `at` (signed: a negative length is an error). */
function headerLength(bytes: Uint8Array, at: number): number {
  return (bytes[at + 3]! << 24) | (bytes[at + 4]! << 16) | (bytes[at + 5]! << 8) | bytes[at + 6]!;
}

/** Judges the first `have` header bytes at `at`; each field is checked as soon as it is there. */
function headerError(
  bytes: Uint8Array,
  at: number,
  have: number,
  bodyBytesMax: number,
): FrameReadError | null {
  if (have >= 1 && bytes[at] !== FRAME_MAGIC) return 'bad_magic';
  if (have >= 2) {
    const version = bytes[at + 1];
    if (version !== NATIVE_VERSION) {
      return version === PROTOBUF_VERSION ? 'unsupported_version' : 'bad_version';
    }
  }
  if (have >= 7) {
    const length = headerLength(bytes, at);
    if (length < 0) return 'bad_length';
    if (length > bodyBytesMax) return 'too_large';
  }
  return null;
}

function frameOf(header: Uint8Array, at: number, body: Uint8Array): Frame {
  return {
    signal: header[at + 2]! & 0x7f,
    subSignal: header[at + 7]! & 0x7f,
    messageId: (header[at + 8]! << 8) | header[at + 9]!,
    body,
  };
}

/**
 * Decodes one whole frame, e.g. one WebSocket binary message. Missing or trailing bytes are
 * 'bad_length'. The body is a view into `bytes`.
 */
export function frameDecodeOne(bytes: Uint8Array, bodyBytesMax: number): Frame | FrameReadError {
  const have = bytes.length;
  const error = headerError(bytes, 0, Math.min(have, FRAME_HEADER_BYTES), bodyBytesMax);
  if (error !== null) return error;
  if (have < FRAME_HEADER_BYTES) return 'bad_length';
  if (headerLength(bytes, 0) !== have - FRAME_HEADER_BYTES) return 'bad_length';
  return frameOf(bytes, 0, bytes.subarray(FRAME_HEADER_BYTES));
}

/**
 * A streaming decoder for one TCP connection. Every split of the byte stream into chunks
 * yields the same frames. A frame that lies whole in a chunk is handed out as a view into it (no copy); only
 * frames that span chunks are copied. After an error the reader refuses everything.
 */
export class FrameReader {
  private readonly bodyBytesMax: number;
  private error: FrameReadError | null = null;
  /** Header bytes of a header split across chunks; the header of the body in progress. */
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerHave = 0;
  /** True while the body of a frame whose header is complete is being gathered. */
  private inBody = false;
  private bodyLength = 0;
  private bodyHave = 0;
  /** The whole body buffer (small bodies) or null. */
  private body: Uint8Array | null = null;
  /** Copied pieces (large bodies) or null. */
  private parts: Uint8Array[] | null = null;

  constructor(bodyBytesMax: number) {
    assert(bodyBytesMax >>> 0 === bodyBytesMax && bodyBytesMax <= INT32_MAX, 'bodyBytesMax');
    this.bodyBytesMax = bodyBytesMax;
  }

  /** True mid-frame or after an error: the reader holds state the next chunk depends on. */
  get pending(): boolean {
    return this.error !== null || this.headerHave > 0 || this.inBody;
  }

  /**
   * Consumes one chunk, calling onFrame for each complete frame in order. Frame bodies are
   * borrowed: valid only until onFrame returns. Returns the error that ended the stream, if any
   * (frames before it in the chunk were delivered); the caller closes the connection.
   */
  feed(chunk: Uint8Array, onFrame: (frame: Frame) => void): FrameReadError | null {
    if (this.error !== null) return this.error;
    const end = chunk.length;
    let at = this.inBody ? this.bodyFill(chunk, 0, onFrame) : 0;
    while (at < end) {
      if (this.headerHave === 0 && end - at >= FRAME_HEADER_BYTES) {
        const error = headerError(chunk, at, FRAME_HEADER_BYTES, this.bodyBytesMax);
        if (error !== null) return this.fail(error);
        const length = headerLength(chunk, at);
        const bodyAt = at + FRAME_HEADER_BYTES;
        if (end - bodyAt >= length) {
          onFrame(frameOf(chunk, at, chunk.subarray(bodyAt, bodyAt + length)));
          at = bodyAt + length;
          continue;
        }
        this.header.set(chunk.subarray(at, bodyAt));
        this.bodyStart(length);
        at = this.bodyFill(chunk, bodyAt, onFrame);
        continue;
      }
      at = this.headerFill(chunk, at);
      if (this.error !== null) return this.error;
      if (this.headerHave < FRAME_HEADER_BYTES) continue; // only when the chunk is used up
      this.headerHave = 0;
      this.bodyStart(headerLength(this.header, 0));
      at = this.bodyFill(chunk, at, onFrame);
    }
    return null;
  }

  private fail(error: FrameReadError): FrameReadError {
    this.error = error;
    this.body = null;
    this.parts = null;
    this.inBody = false;
    return error;
  }

  /** Copies header bytes of a header split across chunks; judges them as they arrive. */
  private headerFill(chunk: Uint8Array, at: number): number {
    const take = Math.min(FRAME_HEADER_BYTES - this.headerHave, chunk.length - at);
    for (let i = 0; i < take; i++) this.header[this.headerHave + i] = chunk[at + i]!;
    this.headerHave += take;
    const error = headerError(this.header, 0, this.headerHave, this.bodyBytesMax);
    if (error !== null) this.fail(error);
    return at + take;
  }

  /** Starts gathering a body whose (valid) header is in this.header. */
  private bodyStart(length: number): void {
    this.inBody = true;
    this.bodyLength = length;
    this.bodyHave = 0;
    if (length <= BODY_PREALLOC_BYTES_MAX) {
      this.body = Buffer.allocUnsafe(length);
    } else {
      this.parts = [];
    }
  }

  /** Copies body bytes from the chunk; delivers the frame when complete. Returns the new offset. */
  private bodyFill(chunk: Uint8Array, at: number, onFrame: (frame: Frame) => void): number {
    const take = Math.min(this.bodyLength - this.bodyHave, chunk.length - at);
    if (take > 0) {
      const piece = chunk.subarray(at, at + take);
      if (this.body !== null) this.body.set(piece, this.bodyHave);
      else this.parts!.push(Buffer.from(piece));
      this.bodyHave += take;
    }
    if (this.bodyHave < this.bodyLength) return at + take;
    const body = this.body ?? Buffer.concat(this.parts!, this.bodyLength);
    this.body = null;
    this.parts = null;
    this.inBody = false;
    onFrame(frameOf(this.header, 0, body));
    return at + take;
  }
}
