// One shard: composes store, commit queue, timelines, ids, mesh, outbox, deliveries, the
// session router and the two network edges, and takes the supervisor's control messages.
// It owns all state of the users whose partitions it holds; nothing here is shared memory.

import path from 'node:path';
import type net from 'node:net';
import type { TokenKeys } from '../auth/signed_token.js';
import { assertNever } from '../errors.js';
import { Snowflake } from '../ids/snowflake.js';
import { ACTOR_IDLE_MS, DEDUPE_SWEEP_INTERVAL_MS } from '../limits.js';
import { DedupeSweep } from '../store/dedupe_sweep.js';
import type { Envelope } from '../router/envelope.js';
import type { FromShard, ShardBoot, ToShard } from '../router/control.js';
import { Mesh } from '../router/mesh.js';
import { Outbox } from '../router/outbox.js';
import { PartitionMap } from '../router/partition_map.js';
import { secretGenerate } from '../auth/compat_token.js';
import { CommitQueue } from '../store/commit_queue.js';
import { shardStoreClose, shardStoreOpen, type ShardStore } from '../store/shard_store.js';
import { GroupReplicas } from '../store/group_replicas.js';
import { Timelines } from '../store/timelines.js';
import { tcpEdgeCreate, tcpEdgeListen } from '../transport/tcp_transport.js';
import { wsEdgeClose, wsEdgeCreate, wsEdgeListen, wsEdgeStopListening, type WsEdge } from '../transport/ws_transport.js';
import { ErrorCode } from '../errors.js';
import { Deliveries } from './deliveries.js';
import type { ShardServices } from './services.js';
import { SessionRouter, sessionEnd } from './session_router.js';
import { CloseCode } from '../transport/session.js';
import { transparentToLocal } from './notify.js';
import { commandHandle } from '../features/commands.js';
import { groupTableOf } from '../features/group_store.js';
import { profileEnsureWrite } from '../features/user_profiles.js';
import { pushToLocalUsers } from './replies.js';
import { LoopStats } from './loop_stats.js';
import { gcRun } from '../runtime/gc_hook.js';

/** The id lease runs this far ahead of issued ids, so a crash never reissues (ms). */
const ID_LEASE_AHEAD_MS = 5_000;
const ID_LEASE_CHECK_MS = 1_000;

export class Shard {
  private readonly store: ShardStore;
  private readonly services: ShardServices;
  private readonly router: SessionRouter;
  private readonly deliveries: Deliveries;
  private readonly ws: WsEdge;
  private readonly tcpServers: net.Server[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly loopStats = new LoopStats();
  private idLeaseMs: number;

  constructor(
    private readonly boot: ShardBoot,
    private readonly report: (message: FromShard) => void,
    onBug: (error: unknown) => void,
  ) {
    this.store = shardStoreOpen({
      path: path.join(boot.dataDir, `shard-${boot.shardId}`),
      mapBytes: boot.storeMapBytes,
    });
    const stored = this.store.meta.get('idLeaseMs');
    this.idLeaseMs = Math.max(typeof stored === 'number' ? stored : 0, boot.idFloorMs);
    const commits = new CommitQueue(this.store.env, onBug);
    const mesh = new Mesh(boot.shardId, (envelope) => this.envelope(envelope));
    const outbox = new Outbox(boot.shardId, this.store, mesh, (write) => commits.addLazy(write));
    const tokenKeys: TokenKeys = {
      current: { id: boot.tokenKeys.current.id, secret: Buffer.from(boot.tokenKeys.current.secret) },
      verifyOnly: boot.tokenKeys.verifyOnly.map((key) => ({ id: key.id, secret: Buffer.from(key.secret) })),
    };
    const groupReplicas = new GroupReplicas(this.store);
    const timelines = new Timelines(this.store, groupReplicas, (write) => commits.addLazy(write),
      boot.timelineWritebackMs);
    commits.observe(timelines.rows.observer);
    commits.observe(timelines.log.observer);
    this.services = {
      shardId: boot.shardId,
      store: this.store,
      commits,
      timelines,
      groupReplicas,
      groupLimits: boot.groupLimits,
      userSendsPerSecond: boot.userSendsPerSecond,
      ids: new Snowflake(boot.nodeId, boot.shardId, this.idLeaseMs),
      mesh,
      outbox,
      partitions: new PartitionMap(boot.shardCount),
      tokenKeys,
      sessionsOf: (uid) => this.router.sessionsOf(uid),
      sessionById: (sessionId) => this.router.sessionById(sessionId),
    };
    this.router = new SessionRouter(this.services, onBug);
    this.deliveries = new Deliveries(this.services);
    this.ws = wsEdgeCreate(this.router, boot.tls);
  }

  async start(): Promise<void> {
    this.idLeaseRenew();
    this.services.outbox.load();
    this.timers.push(setInterval(() => this.idLeaseRenew(), ID_LEASE_CHECK_MS));
    this.timers.push(setInterval(() => this.router.passivate(ACTOR_IDLE_MS), ACTOR_IDLE_MS));
    const sweeps = [
      new DedupeSweep(this.store.dedupe, this.services.commits),
      new DedupeSweep(groupTableOf(this.services).dbs.dedupe, this.services.commits),
    ];
    const sweepTick = (): void => {
      for (const sweep of sweeps) sweep.tick(Date.now());
    };
    this.timers.push(setInterval(sweepTick, DEDUPE_SWEEP_INTERVAL_MS));
    const { rows } = this.services.timelines;
    this.timers.push(setInterval(() => rows.writeBackSoon(), this.boot.conversationRowsWritebackMs));
    // Held timeline entries are written back by whichever transaction comes; an idle store
    // needs one of its own.
    const { log } = this.services.timelines;
    this.timers.push(setInterval(() => {
      if (log.needsTransaction) this.services.commits.addLazy(() => undefined);
    }, this.boot.timelineWritebackMs));
    const { host } = this.boot;
    const publicWsPort = await wsEdgeListen(this.ws, host, this.boot.publicWsPort);
    const wsPort = await wsEdgeListen(this.ws, host, this.boot.wsPort);
    // net cannot share a port between threads on Node 20: shard 0 serves the public TCP port
    // and proxies users it does not own.
    let publicTcpPort = this.boot.publicTcpPort;
    if (this.boot.shardId === 0) {
      publicTcpPort = await tcpEdgeListen(this.tcp(), host, this.boot.publicTcpPort);
    }
    const tcpPort = await tcpEdgeListen(this.tcp(), host, this.boot.tcpPort);
    this.report({ type: 'Listening', wsPort, tcpPort, publicWsPort, publicTcpPort });
    this.timers.push(setInterval(() => this.stats(), 1_000));
  }

  private tcp(): net.Server {
    const server = tcpEdgeCreate(this.router, this.boot.tls);
    this.tcpServers.push(server);
    return server;
  }

  private idLeaseRenew(): void {
    const issued = Math.max(this.services.ids.lastMs(), Date.now());
    if (issued + ID_LEASE_AHEAD_MS / 2 < this.idLeaseMs) return;
    const lease = issued + ID_LEASE_AHEAD_MS;
    this.idLeaseMs = lease;
    const meta = this.store.meta;
    this.services.commits.add(() => meta.put('idLeaseMs', lease), () => {});
  }

  private stats(): void {
    this.report({
      type: 'Stats',
      sessions: this.router.sessionCount,
      actors: this.router.users.size,
      outboxPending: this.services.outbox.pendingCount,
      ...this.loopStats.sample(),
      ...this.services.commits.times.sample(),
      conversationRowsWaiting: this.services.timelines.rows.waiting,
      timelineEntriesHeld: this.services.timelines.log.held,
      timelineHeadsCached: this.services.timelines.headsCached,
    });
  }

  private envelope(envelope: Envelope): void {
    switch (envelope.type) {
      case 'Deliver':
        return this.deliveries.deliver(envelope);
      case 'Applied':
        return this.services.outbox.applied(envelope.from, envelope.linkSeqs);
      case 'Transparent':
        return transparentToLocal(this.services, envelope.message, envelope.receivers, -1);
      case 'Command':
        return commandHandle(this.services, envelope.command);
      case 'SessionSend':
        this.router.sessionById(envelope.sessionId)?.send(envelope.data);
        return;
      case 'Push':
        return pushToLocalUsers(this.services, envelope.receivers, envelope.subSignal, envelope.body);
      case 'ProxyOpen':
      case 'ProxyIn':
      case 'ProxyOut':
      case 'ProxyClose':
      case 'ProxyEnd':
        return this.router.envelope(envelope);
      default:
        return assertNever(envelope);
    }
  }

  control(message: ToShard): void {
    switch (message.type) {
      case 'MeshAttach':
        this.services.mesh.attach(message.peer, message.port);
        this.services.outbox.resend(message.peer);
        return;
      case 'PeerRestarted':
        this.router.peerRestarted(message.peer);
        return;
      case 'SessionIssue':
        return this.sessionIssue(message.requestId, message.uid, message.deviceId, message.mobile);
      case 'SessionRevoke':
        return this.sessionRevoke(message.requestId, message.uid, message.deviceId);
      case 'UserBan':
        return this.userBan(message.requestId, message.uid, message.banned);
      case 'Drain':
        void this.drain();
        return;
      case 'Crash':
        setImmediate(() => {
          throw new Error('crash requested by the supervisor (dev-mode chaos hook)');
        });
        return;
      case 'Collect':
        this.report({ type: 'Collected', requestId: message.requestId, code: gcRun() });
        return;
      default:
        return assertNever(message);
    }
  }

  private sessionIssue(requestId: number, uid: string, deviceId: string, mobile: string): void {
    const secret = secretGenerate();
    const now = Date.now();
    const devices = this.store.devices;
    const profileEnsure = profileEnsureWrite(this.services, uid, mobile);
    this.router.refusals.forgetUser(uid);
    this.services.commits.add(
      () => {
        devices.put([uid, deviceId], { secret, validFromMs: now, createdMs: now });
        profileEnsure();
      },
      (code) => this.report({ type: 'SessionIssued', requestId, code, secret: code === ErrorCode.OK ? secret : '' }),
    );
  }

  private sessionRevoke(requestId: number, uid: string, deviceId: string): void {
    const devices = this.store.devices;
    this.services.commits.add(
      () => devices.remove([uid, deviceId]),
      (code) => {
        for (const session of code === ErrorCode.OK ? [...this.router.sessionsOf(uid)] : []) {
          if (session.deviceId === deviceId) sessionEnd(session, CloseCode.LOGGED_OUT);
        }
        this.report({ type: 'SessionRevoked', requestId, code });
      },
    );
  }

  private userBan(requestId: number, uid: string, banned: boolean): void {
    const bans = this.store.bans;
    if (!banned) this.router.refusals.forgetUser(uid);
    this.services.commits.add(
      () => (banned ? bans.put(uid, { atMs: Date.now() }) : bans.remove(uid)),
      (code) => {
        if (code === ErrorCode.OK && banned) {
          for (const session of [...this.router.sessionsOf(uid)]) sessionEnd(session, CloseCode.LOGGED_OUT);
        }
        this.report({ type: 'UserBanned', requestId, code });
      },
    );
  }

  /** Stop accepting, close clients with GOING_AWAY, make every commit durable, report. */
  async drain(): Promise<void> {
    wsEdgeStopListening(this.ws);
    for (const server of this.tcpServers) server.close();
    this.router.drain();
    this.services.timelines.rows.writeBackSoon();
    const { commits } = this.services;
    await this.services.timelines.log.writeBackAll((done) => {
      commits.add(() => undefined, (code) => done(code === ErrorCode.OK));
    });
    await commits.settle();
  }

  /** Release native handles; must run before the worker thread ends (DESIGN.md §3). */
  closeNow(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.loopStats.stop();
    this.services.outbox.close();
    wsEdgeClose(this.ws);
    for (const server of this.tcpServers) server.close();
    this.services.mesh.close();
  }

  async closeStore(): Promise<void> {
    await shardStoreClose(this.store);
  }
}
