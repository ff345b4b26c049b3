// The public value types of the client SDK: options, messages, acks, events. Ids that may exceed
// 2^53 (message uids) are decimal strings here; seqs are numbers (a per-user counter).

export type Transport = 'tcp' | 'ws' | 'ws-compat';

/** TLS for `wss://` and TLS over TCP; absent = plain. */
export interface ClientTls {
  /** Extra trusted CA (PEM), e.g. a self-signed server certificate. */
  readonly ca?: string | Buffer;
  /** Default true; false only for tests against throwaway certificates. */
  readonly rejectUnauthorized?: boolean;
  readonly servername?: string;
}

export interface ClientOptions {
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
  readonly tls?: ClientTls;
  readonly uid: string;
  /** The native password (login `token`, part0), or the compat token for 'ws-compat'. */
  readonly token: string;
  readonly deviceId: string;
  /** Seq of the last entry already seen; sync emits only entries after it. Default 0. */
  readonly lastSeq?: number;
  /** Reconnect after an unexpected close. Default true. */
  readonly autoReconnect?: boolean;
  /** First reconnect delay; doubled per attempt up to RECONNECT_DELAY_MS_MAX. Default 200. */
  readonly reconnectDelayMs?: number;
  /** Default 30000. */
  readonly pingIntervalMs?: number;
  /** Default 10000. */
  readonly requestTimeoutMs?: number;
  /** Follow CONNECT_ACK UNEXPECT_NODE redirects (at most CONNECT_REDIRECTS_MAX). Default true. */
  readonly followRedirects?: boolean;
}

export interface Endpoints {
  readonly host: string;
  readonly wsPort: number;
  readonly tcpPort: number;
}

export interface ConnectAckInfo {
  readonly messageHead: number;
  readonly friendHead: number;
  /** Native only (null over compat). */
  readonly friendRequestHead: number | null;
  /** Native only (null over compat). */
  readonly serverTime: number | null;
}

export interface Conversation {
  /** 0 private, 1 group, 2 chatroom, 3 channel. */
  readonly type: number;
  readonly target: string;
  readonly line: number;
}

export interface MessageContent {
  readonly type: number;
  readonly searchableContent: string;
  readonly pushContent: string;
  readonly content: string;
  /** Base64. */
  readonly binaryContent: string;
  readonly mediaType: number;
  readonly remoteMediaUrl: string;
  readonly mentionedType: number;
  readonly mentionedTargets: readonly string[];
  readonly extra: string;
}

export interface OutgoingMessage {
  readonly conversation: Conversation;
  /** Fields left out are sent empty (`''`, `0`, `[]`). */
  readonly content: Partial<MessageContent> & { readonly type: number };
  /** Dedupe key: a retry with the same id stores nothing new. Default: a random UUID. */
  readonly clientMessageId?: string;
}

export interface SendAck {
  /** Server message uid, decimal. */
  readonly messageUid: string;
  readonly timestamp: number;
  readonly clientMessageId: string;
}

export interface ReceivedMessage {
  /** Inbox seq (native); undefined over compat and for transparent messages. */
  readonly seq: number | undefined;
  readonly messageUid: string;
  readonly from: string;
  readonly conversationType: number;
  readonly target: string;
  readonly line: number;
  readonly timestamp: number;
  readonly content: MessageContent;
}

export interface RequestAnswer {
  /** ErrorCode; 0 on success. */
  readonly code: number;
  readonly result: unknown;
}

/** A server push (friend request, recall, receipts, …; MN too, after the SDK pulls for it). */
export interface Notification {
  readonly subSignal: number;
  readonly content: unknown;
}

export interface DisconnectInfo {
  /** WebSocket close code, or null for TCP and local closes. */
  readonly code: number | null;
  readonly reason: string;
  readonly willReconnect: boolean;
}

export interface ClientEvents {
  message: [ReceivedMessage];
  transparent: [ReceivedMessage];
  notify: [Notification];
  connected: [ConnectAckInfo];
  disconnected: [DisconnectInfo];
  reconnecting: [{ readonly attempt: number; readonly delayMs: number }];
  error: [Error];
}

export interface LoginResult {
  readonly userId: string;
  /** Native CONNECT password (part0). */
  readonly token: string;
  /** The compat token (for 'ws-compat' and the original clients). */
  readonly compatToken: string;
  readonly register: boolean;
  /** The owner shard's direct endpoints. */
  readonly endpoints: Endpoints;
}

export interface CompatLoginResult {
  readonly userId: string;
  readonly token: string;
  readonly register: boolean;
}
