// Routes every inbound frame of the shard's sessions: before CONNECT to authentication (or to a
// proxy when another shard owns the user), after it to the user's actor or to reads. Owns the
// registry of user actors and of proxied sessions in both directions.

import { ErrorCode } from '../errors.js';
import {
  AUTH_DEADLINE_MS,
  CONNECTION_REQUESTS_BURST,
  CONNECTION_REQUESTS_PER_SECOND,
  CONNECTIONS_PER_IP_MAX,
  MAILBOX_COMMANDS_MAX,
  MALFORMED_FRAMES_MAX,
  OVER_RATE_REFUSALS_MAX,
} from '../limits.js';
import { RATE_REFUSED, rateTake } from '../runtime/rate_slot.js';
import { ackFor, connectAckFor, disconnectFor, pingFor } from '../protocol/answers.js';
import { connectDecode, disconnectDecode, pingIntervalDecode, sendDecode } from '../protocol/requests.js';
import { Signal, SubSignal } from '../protocol/signals.js';
import { ActorRuntime } from '../runtime/actor_runtime.js';
import { UserActor, type UserCommand } from '../actors/user_actor.js';
import type { Envelope } from '../router/envelope.js';
import { CloseCode, type Inbound, type Session, type SessionEvents } from '../transport/session.js';
import { connectVerify } from './connect.js';
import { RefusalThrottle } from './refusal_throttle.js';
import { publishHandlers } from '../features/registry.js';
import { friendHeads } from '../features/friends.js';
import { readHistory, readPull } from './reads.js';
import { RemoteSession } from './remote_session.js';
import { groupCatchUp } from './group_timeline.js';
import type { ShardServices } from './services.js';

/** What the router keeps per local connection: one object, no timer once authenticated. */
class SessionState {
  /** Until CONNECT is accepted or proxied; dropped then (a cleared Timeout still costs ~150 B). */
  authTimer: NodeJS.Timeout | undefined = undefined;
  malformed = 0;
  /** Requests refused for rate since connect; persistent flooders are closed. */
  overRate = 0;
  /** The connection's request rate (CONNECTION_REQUESTS_PER_SECOND) as a rate slot. */
  requests = 0;
  /** Set when this session is served by another shard (proxied). */
  proxiedTo: number | undefined = undefined;

  constructor(readonly session: Session) {}

  /** Takes one request from the connection's rate; false: over it. */
  requestAllowed(nowMs: number): boolean {
    const slot = rateTake(this.requests, nowMs, CONNECTION_REQUESTS_PER_SECOND,
      CONNECTION_REQUESTS_BURST);
    if (slot === RATE_REFUSED) return false;
    this.requests = slot;
    return true;
  }

  authDone(): void {
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
  }
}

export class SessionRouter implements SessionEvents {
  readonly users = new Map<string, UserActor>();
  private readonly runtime: ActorRuntime<UserCommand>;
  private readonly local = new Map<number, SessionState>();
  private readonly remote = new Map<string, RemoteSession>();
  private readonly remoteById = new Map<number, RemoteSession>();
  private readonly connectionsPerAddress = new Map<string, number>();
  readonly refusals = new RefusalThrottle();
  private draining = false;

  constructor(
    private readonly services: ShardServices,
    onBug: (error: unknown) => void,
  ) {
    this.runtime = new ActorRuntime(onBug);
  }

  get sessionCount(): number {
    return this.local.size + this.remote.size;
  }

  sessionById(sessionId: number): Session | undefined {
    return this.local.get(sessionId)?.session ?? this.remoteById.get(sessionId);
  }

  *sessionsOf(uid: string): Iterable<Session> {
    const actor = this.users.get(uid);
    if (actor !== undefined) yield* actor.sessions();
  }

  // --- SessionEvents (local transports) ---

  opened(session: Session): void {
    const address = session.remoteAddress;
    const perAddress = (this.connectionsPerAddress.get(address) ?? 0) + 1;
    this.connectionsPerAddress.set(address, perAddress);
    const state = new SessionState(session);
    state.authTimer = setTimeout(authExpired, AUTH_DEADLINE_MS, session);
    this.local.set(session.id, state);
    if (this.draining) session.close(CloseCode.GOING_AWAY);
    else if (perAddress > CONNECTIONS_PER_IP_MAX) session.close(CloseCode.TOO_MANY_CONNECTIONS);
  }

  inbound(session: Session, frame: Inbound): void {
    const state = this.local.get(session.id);
    if (state === undefined) return;
    if (frame.signal !== Signal.PING && !state.requestAllowed(Date.now())) {
      return this.overRate(session, frame, state);
    }
    const owner = state.proxiedTo;
    if (owner === undefined) return this.handle(session, frame, state);
    // Heartbeats of proxied sessions are answered here and never cross the mesh.
    if (frame.signal === Signal.PING) return this.ping(session, frame);
    this.services.mesh.send(owner, { type: 'ProxyIn', source: this.services.shardId, proxyId: session.id, ...frame });
  }

  malformed(session: Session, _signal: number, subSignal: number, messageId: number): void {
    const state = this.local.get(session.id);
    if (state === undefined) return;
    state.malformed++;
    if (state.malformed > MALFORMED_FRAMES_MAX) return session.close(CloseCode.PROTOCOL_ERROR);
    session.send(ackFor(session.profile, subSignal, messageId, ErrorCode.INVALID_DATA));
  }

  /** Over the connection's rate: 250 for requests; persistent flooding closes the connection. */
  private overRate(session: Session, frame: Inbound, state: SessionState): void {
    state.overRate++;
    if (state.overRate > OVER_RATE_REFUSALS_MAX) return session.close(CloseCode.FLOODING);
    if (frame.signal === Signal.PUBLISH) {
      session.send(ackFor(session.profile, frame.subSignal, frame.messageId, ErrorCode.OVER_FREQUENCY));
    }
  }

  closed(session: Session): void {
    const state = this.local.get(session.id);
    if (state === undefined) return;
    this.local.delete(session.id);
    const address = session.remoteAddress;
    const perAddress = (this.connectionsPerAddress.get(address) ?? 1) - 1;
    if (perAddress <= 0) this.connectionsPerAddress.delete(address);
    else this.connectionsPerAddress.set(address, perAddress);
    state.authDone();
    const owner = state.proxiedTo;
    if (owner !== undefined) {
      this.services.mesh.send(owner, { type: 'ProxyClose', source: this.services.shardId, proxyId: session.id });
    }
    this.detach(session);
  }

  // --- Proxy envelopes ---

  envelope(envelope: Envelope): void {
    switch (envelope.type) {
      case 'ProxyOpen': {
        const key = `${envelope.source}:${envelope.proxyId}`;
        const remote = new RemoteSession(
          envelope.profile,
          envelope.remoteAddress,
          envelope.source,
          envelope.proxyId,
          this.services.mesh,
          (closed) => {
            this.remote.delete(key);
            this.remoteById.delete(closed.id);
            this.detach(closed);
          },
        );
        this.remote.set(key, remote);
        this.remoteById.set(remote.id, remote);
        return;
      }
      case 'ProxyIn': {
        const remote = this.remote.get(`${envelope.source}:${envelope.proxyId}`);
        if (remote !== undefined) this.handle(remote, envelope, undefined);
        return;
      }
      case 'ProxyClose':
        this.remote.get(`${envelope.source}:${envelope.proxyId}`)?.dropped();
        return;
      case 'ProxyOut':
        this.local.get(envelope.proxyId)?.session.send(envelope.data);
        return;
      case 'ProxyEnd':
        this.local.get(envelope.proxyId)?.session.close(envelope.code as CloseCode);
        return;
      default:
        return;
    }
  }

  /** A peer restarted: its proxied clients reconnect; sessions it proxied to us are gone. */
  peerRestarted(peer: number): void {
    for (const state of [...this.local.values()]) {
      if (state.proxiedTo === peer) state.session.close(CloseCode.SHARD_RESTART);
    }
    for (const remote of [...this.remote.values()]) {
      if (remote.landing === peer) remote.dropped();
    }
  }

  /** Stop accepting; ask every client to reconnect (elsewhere or later). */
  drain(): void {
    this.draining = true;
    for (const { session } of [...this.local.values()]) session.close(CloseCode.GOING_AWAY);
  }

  /** Passivate actors with no sessions and no work, idle for `idleMs`. */
  passivate(idleMs: number): void {
    const now = Date.now();
    for (const [uid, actor] of this.users) {
      if (actor.sessionCount === 0 && actor.load === 0 && now - actor.lastActiveMs >= idleMs) {
        this.users.delete(uid);
      }
    }
  }

  // --- Frames ---

  private handle(session: Session, frame: Inbound, state: SessionState | undefined): void {
    if (session.uid === undefined) return this.beforeConnect(session, frame, state);
    switch (frame.signal) {
      case Signal.PING:
        return this.ping(session, frame);
      case Signal.PUBLISH:
        return this.publish(session, frame);
      case Signal.DISCONNECT:
        return this.disconnect(session, frame);
      case Signal.CONNECT:
        // A second CONNECT on a live session changes nothing; say so without closing.
        return session.send(ackFor(session.profile, SubSignal.NONE, frame.messageId, ErrorCode.INVALID_DATA));
      default:
        // A signal a client never sends (§2): the stream is not ours to trust any more.
        return session.close(CloseCode.PROTOCOL_ERROR);
    }
  }

  private ping(session: Session, frame: Inbound): void {
    const interval = pingIntervalDecode(frame.content);
    if (interval !== undefined) session.setPingInterval(interval);
    session.send(pingFor(session.profile, frame.messageId));
  }

  private beforeConnect(session: Session, frame: Inbound, state: SessionState | undefined): void {
    if (frame.signal === Signal.PING) return this.ping(session, frame);
    if (frame.signal !== Signal.CONNECT) {
      if (frame.signal === Signal.PUBLISH) {
        return session.send(ackFor(session.profile, frame.subSignal, frame.messageId, ErrorCode.NOT_CONNECTED));
      }
      if (frame.signal === Signal.DISCONNECT) return session.close(CloseCode.NORMAL);
      return session.close(CloseCode.PROTOCOL_ERROR);
    }
    const request = connectDecode(frame.content);
    if (!request.ok) return this.refuse(session, frame.messageId, SubSignal.CONNECTION_REFUSED_IDENTIFIER_REJECTED);
    const owner = this.services.partitions.shardOf(request.value.uid);
    if (owner !== this.services.shardId) {
      if (state === undefined) {
        return this.refuse(session, frame.messageId, SubSignal.CONNECTION_REFUSED_UNEXPECT_NODE);
      }
      return this.proxy(session, frame, state, owner);
    }
    const now = Date.now();
    const { uid: askedUid, deviceId: askedDevice, password } = request.value;
    const remembered = this.refusals.remembered(askedUid, askedDevice, password, now);
    if (remembered !== undefined) return this.refuse(session, frame.messageId, remembered);
    const verdict = connectVerify(this.services, request.value);
    if (verdict !== SubSignal.CONNECTION_ACCEPTED) {
      this.refusals.refused(askedUid, askedDevice, password, verdict, now);
      return this.refuse(session, frame.messageId, verdict);
    }
    state?.authDone();
    const { uid, deviceId } = request.value;
    session.uid = uid;
    session.deviceId = deviceId;
    const actor = this.actorOf(uid);
    const previous = actor.sessionOf(deviceId);
    actor.sessionSet(session);
    if (previous !== undefined && previous !== session) sessionEnd(previous, CloseCode.REPLACED);
    const head = this.services.timelines.visibleHead(uid);
    const { friendHead, requestHead } = friendHeads(this.services, uid);
    const body =
      session.profile === 'native'
        ? {
            msg_head: head,
            friend_head: friendHead,
            friend_rq_head: requestHead,
            server_time: Date.now(),
          }
        : { messageHead: String(head), friendHead };
    session.send(connectAckFor(session.profile, frame.messageId, SubSignal.CONNECTION_ACCEPTED, body));
    // Read-fan-out groups filed nothing for an offline member: file it now, MN after the commit.
    groupCatchUp(this.services, uid);
  }

  private refuse(session: Session, messageId: number, verdict: number): void {
    session.send(connectAckFor(session.profile, messageId, verdict));
    session.close(CloseCode.REFUSED);
  }

  private proxy(session: Session, frame: Inbound, state: SessionState, owner: number): void {
    state.authDone();
    state.proxiedTo = owner;
    const { mesh, shardId } = this.services;
    mesh.send(owner, {
      type: 'ProxyOpen',
      source: shardId,
      proxyId: session.id,
      profile: session.profile,
      remoteAddress: session.remoteAddress,
    });
    mesh.send(owner, { type: 'ProxyIn', source: shardId, proxyId: session.id, ...frame });
  }

  private actorOf(uid: string): UserActor {
    let actor = this.users.get(uid);
    if (actor === undefined) {
      actor = new UserActor(uid, this.services);
      this.users.set(uid, actor);
    }
    return actor;
  }

  private publish(session: Session, frame: Inbound): void {
    const uid = session.uid as string;
    switch (frame.subSignal) {
      case SubSignal.MS: {
        const request = sendDecode(frame.content);
        if (!request.ok) {
          return session.send(ackFor(session.profile, SubSignal.MS, frame.messageId, request.code));
        }
        const actor = this.actorOf(uid);
        if (!actor.sendAllowed(Date.now())) {
          return session.send(ackFor(session.profile, SubSignal.MS, frame.messageId, ErrorCode.OVER_FREQUENCY));
        }
        if (actor.load >= MAILBOX_COMMANDS_MAX) {
          return session.send(ackFor(session.profile, SubSignal.MS, frame.messageId, ErrorCode.MAILBOX_FULL));
        }
        this.runtime.tell(actor, { type: 'Send', session, messageId: frame.messageId, request: request.value });
        return;
      }
      case SubSignal.MP:
        return readPull(this.services, session, frame);
      case SubSignal.LRM:
        return readHistory(this.services, session, frame);
      default: {
        const handler = publishHandlers.get(frame.subSignal);
        if (handler !== undefined) return handler(this.services, session, frame);
        return session.send(ackFor(session.profile, frame.subSignal, frame.messageId, ErrorCode.NOT_IMPLEMENTED));
      }
    }
  }

  private disconnect(session: Session, frame: Inbound): void {
    const { clearSession } = disconnectDecode(frame.content);
    const uid = session.uid as string;
    const deviceId = session.deviceId as string;
    if (!clearSession) return session.close(CloseCode.NORMAL);
    const { store, commits } = this.services;
    commits.add(
      () => store.devices.remove([uid, deviceId]),
      // Only a durable logout is announced as one; otherwise a plain close, and the client's
      // session (and its token) stays valid.
      (code) => (code === ErrorCode.OK ? sessionEnd(session, CloseCode.LOGGED_OUT) : session.close(CloseCode.NORMAL)),
    );
  }

  private detach(session: Session): void {
    if (session.uid === undefined || session.deviceId === undefined) return;
    this.users.get(session.uid)?.sessionDelete(session);
  }
}

/** One function for every auth deadline: a closure per connection would outlive nothing but
 * cost a context each. */
function authExpired(session: Session): void {
  session.close(CloseCode.AUTH_TIMEOUT);
}

/** Close for good (replaced, logged out): native clients get a DISCONNECT first. */
export function sessionEnd(session: Session, code: CloseCode): void {
  if (session.profile === 'native') session.send(disconnectFor(code));
  session.close(code);
}
