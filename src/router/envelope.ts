// Everything shards say to each other, as one tagged union. Envelopes are plain data (structured
// clone keeps bigint), batched per destination per event-loop turn.

import type { StoredMessage } from '../store/records.js';

/** A message to append to the timelines of receivers owned by the destination shard. */
export interface DeliverEnvelope {
  readonly type: 'Deliver';
  readonly source: number;
  /** Position on the source→destination link; confirmed one by one with Applied. */
  readonly linkSeq: number;
  readonly message: StoredMessage;
  readonly receivers: readonly string[];
}

/** The destination committed these deliveries from the receiving shard's link (`from` is the
 * destination that applied them); the source may drop them from its outbox. */
export interface AppliedEnvelope {
  readonly type: 'Applied';
  readonly from: number;
  readonly linkSeqs: readonly number[];
}

/** Push a transparent (never stored) message to the receivers' online devices. */
export interface TransparentEnvelope {
  readonly type: 'Transparent';
  readonly message: StoredMessage;
  readonly receivers: readonly string[];
}

/** A connection that landed on another shard's port is served by the owner through a proxy. */
export interface ProxyOpenEnvelope {
  readonly type: 'ProxyOpen';
  readonly source: number;
  readonly proxyId: number;
  readonly profile: 'compat' | 'native';
  readonly remoteAddress: string;
}
export interface ProxyInEnvelope {
  readonly type: 'ProxyIn';
  readonly source: number;
  readonly proxyId: number;
  readonly signal: number;
  readonly subSignal: number;
  readonly messageId: number;
  readonly content: unknown;
}
export interface ProxyOutEnvelope {
  readonly type: 'ProxyOut';
  readonly proxyId: number;
  readonly data: string | Uint8Array;
}
/** Landing → owner: the client's connection is gone. */
export interface ProxyCloseEnvelope {
  readonly type: 'ProxyClose';
  readonly source: number;
  readonly proxyId: number;
}
/** Owner → landing: close the client's connection with `code`. */
export interface ProxyEndEnvelope {
  readonly type: 'ProxyEnd';
  readonly proxyId: number;
  readonly code: number;
}

export type Envelope =
  | DeliverEnvelope
  | AppliedEnvelope
  | TransparentEnvelope
  | ProxyOpenEnvelope
  | ProxyInEnvelope
  | ProxyOutEnvelope
  | ProxyCloseEnvelope
  | ProxyEndEnvelope;
