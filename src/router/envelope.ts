// Everything shards say to each other, as one tagged union. Envelopes are plain data (structured
// clone keeps bigint), batched per destination per event-loop turn.

import type { StoredMessage } from '../store/records.js';
import type { Command } from '../features/commands.js';
import type { Effect } from './effects.js';

/** Effects owed to the destination shard (appends for its users, state ops it owns). */
export interface DeliverEnvelope {
  readonly type: 'Deliver';
  readonly source: number;
  /** Position on the source→destination link; confirmed one by one with Applied. */
  readonly linkSeq: number;
  readonly effects: readonly Effect[];
  /** Sent again (a retry, or loaded after a restart): the destination may have applied it
   * already and must skip what it filed. A first send never was, so it skips the lookups. */
  readonly resent?: true;
}

/** A request for the owner of a user or group; not durable: lost with a crash, the client's
 * request times out and it retries. */
export interface CommandEnvelope {
  readonly type: 'Command';
  readonly command: Command;
}

/** Bytes for a session living on the destination shard (answers to remote commands). */
export interface SessionSendEnvelope {
  readonly type: 'SessionSend';
  readonly sessionId: number;
  readonly data: string | Uint8Array;
}

/** A transient push (FRN, FN, RMN, MRN, …) to the online devices of local users. */
export interface PushEnvelope {
  readonly type: 'Push';
  readonly receivers: readonly string[];
  readonly subSignal: number;
  readonly body: unknown;
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
  | CommandEnvelope
  | SessionSendEnvelope
  | PushEnvelope
  | AppliedEnvelope
  | TransparentEnvelope
  | ProxyOpenEnvelope
  | ProxyInEnvelope
  | ProxyOutEnvelope
  | ProxyCloseEnvelope
  | ProxyEndEnvelope;
