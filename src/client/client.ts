// MagpieClient: one user device's session across connections. It owns the live link (at most
// one), the inbox sync (lastSeq survives reconnects, so each stored entry is emitted once per
// client, in seq order) and the reconnect schedule. Requests are not queued while disconnected:
// they reject at once with a retryable error, and a send may be retried with the same id.

import { randomUUID } from 'node:crypto';
import { compatPasswordDerive } from '../auth/compat_token.js';
import { ErrorCode } from '../errors.js';
import { Signal, SubSignal } from '../protocol/signals.js';
import { asFields, fieldInteger } from '../protocol/fields.js';
import { reconnectDelayMs } from './backoff.js';
import { MagpieError, errorDisconnected, errorProtocol } from './client_error.js';
import {
  CONNECTION_STABLE_MS,
  CONNECT_TIMEOUT_MS,
  DISCONNECT_LINGER_MS,
  PING_INTERVAL_MS_DEFAULT,
  RECONNECT_DELAY_MS_DEFAULT,
  REQUEST_TIMEOUT_MS_DEFAULT,
} from './client_limits.js';
import type { ClientLink, LinkHandlers, LinkTarget, LinkTiming } from './client_link.js';
import { historyDecode, mnInlineDecode, pullPageDecode, sendAckDecode } from './decode_answers.js';
import type { PullPage } from './decode_answers.js';
import { InboxSync } from './inbox_sync.js';
import { errorTokenUnusable, linkEstablish, refusalIsPermanent } from './link_establish.js';
import { conversationWire, sendContentBuild, uidWire } from './outgoing.js';
import { TypedEmitter } from './typed_emitter.js';
import type {
  ClientEvents,
  ClientOptions,
  ConnectAckInfo,
  Conversation,
  OutgoingMessage,
  ReceivedMessage,
  RequestAnswer,
  SendAck,
} from './types.js';
import type { InPacket } from './wire.js';

/** WebSocket close code: a newer connection of the same device replaced this one. */
export const WS_CLOSE_REPLACED = 4001;
/** WebSocket close code: the device was logged out or the user banned. */
export const WS_CLOSE_LOGGED_OUT = 4003;

type State = 'idle' | 'connecting' | 'connected' | 'reconnecting';

export class MagpieClient extends TypedEmitter<ClientEvents> {
  private readonly opts: ClientOptions;
  private readonly timing: LinkTiming;
  private readonly inbox: InboxSync;
  private link: ClientLink | null = null;
  private state: State = 'idle';
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Bumped by close() and disconnect(): an establish that finishes after it is discarded. */
  private epoch = 0;
  /** When the current link was accepted (ms), to tell a stable connection from flapping. */
  private connectedAtMs = 0;
  /** Links closed by close()/disconnect(), with what disconnect() waits for (null: nothing). */
  private readonly linksClosing = new Map<ClientLink, (() => void) | null>();
  /** The server said DISCONNECT on this link before closing it: do not reconnect. */
  private linkDismissed: ClientLink | null = null;

  constructor(opts: ClientOptions) {
    super();
    this.opts = opts;
    this.timing = {
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      requestTimeoutMs: opts.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT,
    };
    this.inbox = new InboxSync({
      pull: (fromSeq, type) => this.pull(fromSeq, type),
      deliver: (message) => this.emit('message', message),
      onError: (err) => this.errorReport(err),
    }, opts.lastSeq ?? 0);
  }

  /** Seq of the last inbox entry emitted as 'message' (or given as `lastSeq`). */
  get lastSeq(): number {
    return this.inbox.lastSeq;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Connects, then pulls to the head; rejects with the refusal (kind 'refused') or I/O error. */
  async connect(): Promise<ConnectAckInfo> {
    if (this.state !== 'idle') {
      throw new MagpieError('limit', ErrorCode.INVALID_PARAMETER, `connect() while ${this.state}`);
    }
    this.state = 'connecting';
    let info: ConnectAckInfo;
    try {
      info = await this.establish();
    } catch (err: unknown) {
      this.state = 'idle';
      throw err;
    }
    try {
      await this.inbox.sync();
    } catch (err: unknown) {
      this.close();
      throw err;
    }
    return info;
  }

  async send(message: OutgoingMessage): Promise<SendAck> {
    const clientMessageId = message.clientMessageId ?? randomUUID();
    const content = sendContentBuild(message, clientMessageId);
    let answer: InPacket;
    try {
      answer = await this.publish(SubSignal.MS, content);
    } catch (err: unknown) {
      throw err instanceof MagpieError ? err.withClientMessageId(clientMessageId) : err;
    }
    if (answer.code !== ErrorCode.OK) {
      throw new MagpieError('server', answer.code, 'send refused', clientMessageId);
    }
    const ack = sendAckDecode(answer.content);
    if (ack === null) throw errorProtocol('MS ack').withClientMessageId(clientMessageId);
    return { messageUid: ack.messageUid, timestamp: ack.timestamp, clientMessageId };
  }

  /** Any PUBLISH request; a non-zero code resolves (it is the answer), I/O failures reject. */
  async request(subSignal: number, content: unknown): Promise<RequestAnswer> {
    const answer = await this.publish(subSignal, content);
    return { code: answer.code, result: answer.content };
  }

  /** Messages of a conversation with uid < beforeUid ('0': the newest), newest first. */
  async history(
    conversation: Conversation,
    beforeUid: string,
    count: number,
  ): Promise<ReceivedMessage[]> {
    const before = uidWire(beforeUid, this.link?.profile ?? 'native');
    if (before === null) {
      throw new MagpieError('limit', ErrorCode.INVALID_PARAMETER, `bad uid ${beforeUid}`);
    }
    const content = { conversation: conversationWire(conversation), beforeUid: before, count };
    const answer = await this.publish(SubSignal.LRM, content);
    if (answer.code !== ErrorCode.OK) throw new MagpieError('server', answer.code, 'LRM');
    const messages = historyDecode(answer.content);
    if (messages === null) throw errorProtocol('LRM answer');
    return messages;
  }

  /** Pulls until the inbox head; joins a pull already running. */
  sync(): Promise<void> {
    return this.inbox.sync();
  }

  /** Graceful: DISCONNECT (clearSession logs the device out), then close; no reconnect. */
  async disconnect(clearSession = false): Promise<void> {
    this.epoch += 1;
    this.reconnectCancel();
    this.state = 'idle';
    const link = this.link;
    if (link === null) return;
    this.link = null;
    const closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, DISCONNECT_LINGER_MS);
      this.linksClosing.set(link, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    link.post(Signal.DISCONNECT, SubSignal.NONE, { clearSession: clearSession ? 1 : 0 });
    // A logout is done when the server closes (after its commit); a plain close is ours to do.
    if (!clearSession) link.close(errorClosed(), 1000);
    await closed;
    link.destroy();
  }

  /** Hard close: the socket is destroyed, requests in flight reject (kind 'closed'). */
  close(): void {
    this.epoch += 1;
    this.reconnectCancel();
    this.state = 'idle';
    const link = this.link;
    this.link = null;
    if (link === null) return;
    this.linksClosing.set(link, null);
    link.destroy(errorClosed());
  }

  private publish(subSignal: number, content: unknown): Promise<InPacket> {
    if (this.link === null || this.state !== 'connected') {
      return Promise.reject(errorDisconnected(`not connected (${this.state})`));
    }
    return this.link.request(Signal.PUBLISH, subSignal, content, Signal.PUB_ACK);
  }

  private async pull(fromSeq: number, type: number): Promise<PullPage> {
    const content = { messageId: fromSeq, type, pullType: 1, sendMessageCount: 0 };
    const answer = await this.publish(SubSignal.MP, content);
    if (answer.code !== ErrorCode.OK) throw new MagpieError('server', answer.code, 'MP');
    const page = pullPageDecode(answer.content);
    if (page === null) throw errorProtocol('MP answer');
    return page;
  }

  /** Opens a link (following redirects), makes it current, starts PINGs. */
  private async establish(): Promise<ConnectAckInfo> {
    const target: LinkTarget = {
      transport: this.opts.transport,
      host: this.opts.host,
      port: this.opts.port,
      tls: this.opts.tls,
    };
    const password = this.passwordMake();
    const epoch = this.epoch;
    const established = await linkEstablish({
      target,
      connectContent: () => ({
        userName: this.opts.uid,
        password,
        clientIdentifier: this.opts.deviceId,
      }),
      followRedirects: this.opts.followRedirects ?? true,
      timing: this.timing,
      handlers: this.linkHandlers,
    });
    if (epoch !== this.epoch) {
      established.link.destroy(errorClosed());
      throw errorClosed();
    }
    this.link = established.link;
    this.state = 'connected';
    this.connectedAtMs = Date.now();
    established.link.pingStart(this.opts.pingIntervalMs ?? PING_INTERVAL_MS_DEFAULT);
    this.emit('connected', established.info);
    return established.info;
  }

  private passwordMake(): string {
    if (this.opts.transport !== 'ws-compat') return this.opts.token;
    const derived = compatPasswordDerive(this.opts.token);
    if (!derived.ok) throw errorTokenUnusable();
    return derived.value;
  }

  private readonly linkHandlers: LinkHandlers = {
    onPush: (link, packet) => {
      // Pushes may follow CONNECT_ACK in the same read, before the link becomes current.
      const establishing = this.link === null && !this.linksClosing.has(link) &&
        (this.state === 'connecting' || this.state === 'reconnecting');
      if (link === this.link || establishing) this.pushReceived(link, packet);
    },
    onClose: (link, code, reason) => this.linkClosed(link, code, reason),
    onError: (link, err) => {
      if (link === this.link) this.errorReport(err);
    },
  };

  private pushReceived(link: ClientLink, packet: InPacket): void {
    if (packet.signal === Signal.DISCONNECT) {
      // TCP has no close codes: a DISCONNECT before the close (replaced, logged out) is the say.
      this.linkDismissed = link;
      return;
    }
    if (packet.signal === Signal.PUB_ACK) {
      // A transparent message (typing, call signalling): no seq, lastSeq untouched.
      const page = pullPageDecode(packet.content);
      if (page === null) return this.errorReport(errorProtocol('transparent push'));
      for (const message of page.messages) this.emit('transparent', message);
      return;
    }
    if (packet.subSignal === SubSignal.MN) {
      const fields = asFields(packet.content);
      const head = fields === undefined ? undefined : fieldInteger(fields, 'messageHead');
      if (fields === undefined || head === undefined) {
        return this.errorReport(errorProtocol('MN push'));
      }
      const type = fieldInteger(fields, 'type', 0) ?? 0;
      // While establishing, the sync that follows CONNECT_ACK will pull it.
      if (this.state === 'connected') this.inbox.notify(head, type, mnInlineDecode(fields));
      else this.inbox.headNote(head, type);
    }
    this.emit('notify', { subSignal: packet.subSignal, content: packet.content });
  }

  private linkClosed(link: ClientLink, code: number | null, reason: string): void {
    if (this.linksClosing.has(link)) {
      this.linksClosing.get(link)?.();
      this.linksClosing.delete(link);
      this.emit('disconnected', { code, reason, willReconnect: false });
      return;
    }
    if (link !== this.link) return;
    this.link = null;
    if (Date.now() - this.connectedAtMs >= CONNECTION_STABLE_MS) this.reconnectAttempt = 0;
    const dismissed = this.linkDismissed === link;
    this.linkDismissed = null;
    const willReconnect = this.state === 'connected' && (this.opts.autoReconnect ?? true) &&
      !dismissed && code !== WS_CLOSE_REPLACED && code !== WS_CLOSE_LOGGED_OUT;
    this.state = willReconnect ? 'reconnecting' : 'idle';
    this.emit('disconnected', { code, reason, willReconnect });
    if (willReconnect) this.reconnectSchedule();
  }

  private reconnectSchedule(): void {
    const base = this.opts.reconnectDelayMs ?? RECONNECT_DELAY_MS_DEFAULT;
    const delayMs = reconnectDelayMs(this.reconnectAttempt, base, Math.random());
    this.reconnectAttempt += 1;
    this.emit('reconnecting', { attempt: this.reconnectAttempt, delayMs });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.reconnectRun().catch((err: unknown) => this.errorReport(err));
    }, delayMs);
  }

  private async reconnectRun(): Promise<void> {
    try {
      await this.establish();
    } catch (err: unknown) {
      if (this.state !== 'reconnecting') return; // closed meanwhile
      const permanent = err instanceof MagpieError &&
        ((err.kind === 'refused' && refusalIsPermanent(err.code)) ||
          (err.kind === 'server' && err.code === ErrorCode.TOKEN_ERROR));
      if (!permanent) return this.reconnectSchedule();
      this.state = 'idle';
      this.errorReport(err);
      return;
    }
    if (this.state !== 'connected') return;
    // Failures here surface via the link's close (reconnect again) or as 'error'.
    this.inbox.sync().catch((err: unknown) => this.errorReport(err));
  }

  private reconnectCancel(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  /** Errors nobody awaits; a dropped connection is reported as 'disconnected' instead. */
  private errorReport(err: unknown): void {
    const dropped = err instanceof MagpieError &&
      (err.kind === 'disconnected' || err.kind === 'closed');
    if (dropped) return;
    const error = err instanceof Error ? err : new Error(String(err));
    // Unheard errors are not swallowed: without a listener they become process warnings.
    if (this.listenerCount('error') === 0) process.emitWarning(error);
    else this.emit('error', error);
  }
}

function errorClosed(): MagpieError {
  return new MagpieError('closed', ErrorCode.NOT_CONNECTED, 'closed by the client');
}
