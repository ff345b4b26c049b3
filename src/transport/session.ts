// One client connection as the shard sees it, whatever carries it: a uWS WebSocket, a net
// socket, or a proxy link to the shard where the socket landed. Only transport/ creates them.

export type Profile = 'compat' | 'native';

/** Close codes (WebSocket close codes; TCP just closes). 4000+ are Magpie's. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  TOO_BIG: 1009,
  /** A newer connection of the same device replaced this one: do not reconnect. */
  REPLACED: 4001,
  PROTOCOL_ERROR: 4002,
  /** Logged out, session cleared or banned: do not reconnect with the same token. */
  LOGGED_OUT: 4003,
  /** The client read too slowly and its send buffer passed SEND_BUFFER_BYTES_MAX. */
  SLOW_CONSUMER: 4004,
  AUTH_TIMEOUT: 4005,
  REFUSED: 4006,
  /** The owner shard restarted; reconnect and resync. */
  SHARD_RESTART: 4007,
  /** Too many connections from this address (CONNECTIONS_PER_IP_MAX). */
  TOO_MANY_CONNECTIONS: 4008,
  /** Over the request rate again and again: slow down before reconnecting. */
  FLOODING: 4009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export interface Session {
  /** Unique within the shard for its lifetime. */
  readonly id: number;
  readonly profile: Profile;
  readonly remoteAddress: string;
  /** Set once CONNECT is accepted. */
  uid: string | undefined;
  deviceId: string | undefined;
  /** Queue bytes (native) or text (compat); a reader over its budget is cut, never buffered. */
  send(data: string | Uint8Array): void;
  close(code: CloseCode): void;
  /** Native clients declare their PING interval; the transport widens the idle timeout. */
  setPingInterval(intervalMs: number): void;
  readonly closed: boolean;
}

/** What a transport hands the shard for each decoded inbound frame. */
export interface Inbound {
  readonly signal: number;
  readonly subSignal: number;
  readonly messageId: number;
  readonly content: unknown;
}

export interface SessionEvents {
  opened(session: Session): void;
  inbound(session: Session, frame: Inbound): void;
  /** A body that failed to decode: answered with code 2, repeated abuse closes. */
  malformed(session: Session, signal: number, subSignal: number, messageId: number): void;
  closed(session: Session): void;
}

let nextSessionId = 1;
export function sessionIdNext(): number {
  return nextSessionId++;
}
