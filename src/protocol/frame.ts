// The decoded form of one native frame (PROTOCOL.md §2), shared by the TCP reader, the WebSocket
// decoder and every handler. `body` is borrowed: it may be a view into a network chunk that dies
// when the callback that received it returns, so decode it synchronously or copy it.

export interface Frame {
  /** Low 7 bits of the signal byte (bit 7 is reserved and masked on read). */
  readonly signal: number;
  /** Low 7 bits of the sub-signal byte. */
  readonly subSignal: number;
  /** uint16 request id, echoed in the answer; 0 on server pushes. */
  readonly messageId: number;
  /** The body bytes (borrowed, see above). */
  readonly body: Uint8Array;
}
