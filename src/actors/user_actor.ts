// One actor per local user: it holds the user's online sessions and runs the user's sends one
// at a time, in order. A private send is acked only after the commit that holds the message,
// the sender's timeline entry and every delivery obligation (local appends or outbox rows).
// Most online users are idle: the mailbox and the retry waiters are made on the first send, the
// send rate is one number, and a single device's session is held without a Map.

import { ErrorCode } from '../errors.js';
import { MAILBOX_COMMANDS_MAX, USER_SENDS_BURST_SECONDS } from '../limits.js';
import { RATE_REFUSED, rateTake } from '../runtime/rate_slot.js';
import { ackFor } from '../protocol/answers.js';
import type { SendRequest } from '../protocol/requests.js';
import { ConversationType, isTransparentContentType, SubSignal } from '../protocol/signals.js';
import { Mailbox } from '../runtime/mailbox.js';
import type { Actor } from '../runtime/actor_runtime.js';
import type { StoredMessage } from '../store/records.js';
import type { AppendEffect } from '../router/effects.js';
import type { Write } from '../store/commit_queue.js';
import { effectsCommit } from '../shard/effects_commit.js';
import { groupSendRoute } from '../features/groups.js';
import { chatroomSendRoute } from '../features/chatrooms.js';
import { privateSendCheck } from '../features/friends.js';
import type { Session } from '../transport/session.js';
import type { ShardServices } from '../shard/services.js';
import { pushTransparent } from '../shard/notify.js';

export type UserCommand = {
  readonly type: 'Send';
  readonly session: Session;
  readonly messageId: number;
  readonly request: SendRequest;
};

interface SendAck {
  readonly messageUid: bigint;
  readonly timestamp: number;
}
type DedupeWaiter = (code: ErrorCode, ack: SendAck | undefined) => void;

export class UserActor implements Actor<UserCommand> {
  /** The live sessions, one per device: the session itself while there is one device. */
  private devices: Session | Map<string, Session> | undefined;
  private box: Mailbox<UserCommand> | undefined;
  /** The user's send rate, all devices together (config userSendsPerSecond), as a rate slot. */
  private sendsSlot = 0;
  /** Sends handled but not yet committed; counted against the mailbox bound. */
  inFlight = 0;
  lastActiveMs = Date.now();
  /** Client message ids whose first send is still committing: retries wait for its ack. */
  private committing: Map<string, DedupeWaiter[]> | undefined;

  constructor(
    readonly uid: string,
    private readonly services: ShardServices,
  ) {}

  get mailbox(): Mailbox<UserCommand> {
    this.box ??= new Mailbox<UserCommand>(MAILBOX_COMMANDS_MAX);
    return this.box;
  }

  /** Mailbox plus in-flight sends: the bound a client sees as MAILBOX_FULL. */
  get load(): number {
    return (this.box?.size ?? 0) + this.inFlight;
  }

  /** Takes one send from the user's rate; false: over config userSendsPerSecond. */
  sendAllowed(nowMs: number): boolean {
    const perSecond = this.services.userSendsPerSecond;
    const slot = rateTake(this.sendsSlot, nowMs, perSecond, perSecond * USER_SENDS_BURST_SECONDS);
    if (slot === RATE_REFUSED) return false;
    this.sendsSlot = slot;
    return true;
  }

  get sessionCount(): number {
    const devices = this.devices;
    return devices === undefined ? 0 : devices instanceof Map ? devices.size : 1;
  }

  sessionOf(deviceId: string): Session | undefined {
    const devices = this.devices;
    if (devices instanceof Map) return devices.get(deviceId);
    return devices?.deviceId === deviceId ? devices : undefined;
  }

  sessions(): Iterable<Session> {
    const devices = this.devices;
    if (devices === undefined) return [];
    return devices instanceof Map ? devices.values() : [devices];
  }

  /** Files `session` under its deviceId (set at CONNECT), replacing that device's old one. */
  sessionSet(session: Session): void {
    const deviceId = session.deviceId ?? '';
    const devices = this.devices;
    if (devices instanceof Map) devices.set(deviceId, session);
    else if (devices === undefined || devices.deviceId === deviceId) this.devices = session;
    else this.devices = new Map([[devices.deviceId ?? '', devices], [deviceId, session]]);
  }

  /** Forgets `session` if it is still its device's live one. */
  sessionDelete(session: Session): void {
    const devices = this.devices;
    if (devices === session) {
      this.devices = undefined;
      return;
    }
    if (!(devices instanceof Map) || devices.get(session.deviceId ?? '') !== session) return;
    devices.delete(session.deviceId ?? '');
    if (devices.size === 1) this.devices = devices.values().next().value;
  }

  handle(command: UserCommand): void {
    this.lastActiveMs = Date.now();
    switch (command.type) {
      case 'Send':
        return this.send(command.session, command.messageId, command.request);
    }
  }

  private send(session: Session, messageId: number, request: SendRequest): void {
    const deviceId = session.deviceId ?? '';
    const answer = (code: ErrorCode, ack: SendAck | undefined): void => {
      if (session.closed) return;
      const native = session.profile === 'native';
      const result =
        ack === undefined
          ? undefined
          : { messageId: native ? ack.messageUid : ack.messageUid.toString(), timestamp: ack.timestamp };
      session.send(ackFor(session.profile, SubSignal.MS, messageId, code, result));
    };
    if (request.conversationType === ConversationType.GROUP) {
      return groupSendRoute(this.services, session, messageId, request);
    }
    if (request.conversationType === ConversationType.CHATROOM) {
      return chatroomSendRoute(this.services, session, messageId, request);
    }
    if (request.conversationType !== ConversationType.PRIVATE) {
      return answer(ErrorCode.NOT_IMPLEMENTED, undefined);
    }
    const allowed = privateSendCheck(this.services, this.uid, request.target);
    if (allowed !== ErrorCode.OK) return answer(allowed, undefined);
    const dedupeKey = request.clientMessageId === '' ? '' : `${deviceId}\u0000${request.clientMessageId}`;
    if (dedupeKey !== '' && this.answerRetry(deviceId, request.clientMessageId, dedupeKey, answer)) {
      return;
    }
    const message: StoredMessage = {
      uid: this.services.ids.next(),
      from: this.uid,
      fromDevice: deviceId,
      conversationType: request.conversationType,
      target: request.target,
      line: request.line,
      timestamp: Date.now(),
      content: request.content,
    };
    const ack: SendAck = { messageUid: message.uid, timestamp: message.timestamp };
    if (isTransparentContentType(message.content.type)) {
      pushTransparent(this.services, message, this.receiversOf(message), session.id);
      return answer(ErrorCode.OK, ack);
    }
    this.persist(session, message, request.clientMessageId, dedupeKey, (code) =>
      answer(code, code === ErrorCode.OK ? ack : undefined),
    );
  }

  /** A retry of a known client message id gets the first ack and stores nothing. */
  private answerRetry(
    deviceId: string,
    clientMessageId: string,
    dedupeKey: string,
    answer: DedupeWaiter,
  ): boolean {
    const waiting = this.committing?.get(dedupeKey);
    if (waiting !== undefined) {
      waiting.push(answer);
      return true;
    }
    const stored = this.services.store.dedupe.get([this.uid, deviceId, clientMessageId]);
    if (stored === undefined) return false;
    answer(ErrorCode.OK, { messageUid: stored.messageUid, timestamp: stored.timestamp });
    return true;
  }

  private receiversOf(message: StoredMessage): string[] {
    return message.target === this.uid ? [this.uid] : [this.uid, message.target];
  }

  private persist(
    session: Session,
    message: StoredMessage,
    clientMessageId: string,
    dedupeKey: string,
    done: (code: ErrorCode) => void,
  ): void {
    const { services } = this;
    const writes: Write[] = [];
    if (dedupeKey !== '') {
      const key: [string, string, string] = [this.uid, message.fromDevice, clientMessageId];
      const record = { messageUid: message.uid, timestamp: message.timestamp, atMs: Date.now() };
      writes.push(() => services.store.dedupe.put(key, record));
      this.committing ??= new Map();
      this.committing.set(dedupeKey, []);
    }
    const effect: AppendEffect = {
      kind: 'append',
      message,
      receivers: this.receiversOf(message),
      exceptSessionId: session.id,
      exceptShard: services.shardId,
    };
    this.inFlight++;
    effectsCommit(services, [effect], writes, (code) => {
      this.inFlight--;
      done(code);
      const ack = { messageUid: message.uid, timestamp: message.timestamp };
      const committing = this.committing;
      if (committing === undefined) return;
      for (const waiter of committing.get(dedupeKey) ?? []) {
        waiter(code, code === ErrorCode.OK ? ack : undefined);
      }
      committing.delete(dedupeKey);
      if (committing.size === 0) this.committing = undefined;
    });
  }
}
