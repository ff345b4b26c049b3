// The main thread's shard supervisor: spawns the shards, wires the full mesh of
// MessageChannels, restarts a shard that dies (rewiring its channels and telling its peers),
// forwards control requests, and drains everything on shutdown.

import net from 'node:net';
import { MessageChannel, Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import type { TokenKeys } from './auth/signed_token.js';
import type { Config } from './config.js';
import { ErrorCode } from './errors.js';
import { gcRun } from './runtime/gc_hook.js';
import { SHARD_RESTARTS_PER_MINUTE_MAX, SHUTDOWN_DRAIN_MS } from './limits.js';
import type { FromShard, ShardBoot, ShardPorts, ShardStats, ToShard } from './router/control.js';

/** A port that was free a moment ago (for port-0 configs: tests and side-by-side runs). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

const WORKER_URL = new URL('../workers/shard_worker.js', import.meta.url);
/** How long a control request (session issue) may wait for its shard. */
const CONTROL_REQUEST_TIMEOUT_MS = 5_000;

interface ShardSlot {
  worker: Worker | undefined;
  ports: ShardPorts | undefined;
  /** Ports of the last run: a restarted shard binds the same ones, so clients find it again. */
  lastPorts: ShardPorts | undefined;
  stats: ShardStats;
  restarts: number[];
  stopping: boolean;
}

/** Until a shard's first Stats report. */
const STATS_NONE: ShardStats = {
  sessions: 0, actors: 0, outboxPending: 0, loopLagP99Ms: 0, loopLagMaxMs: 0, heapUsedBytes: 0,
  commitsPerSecond: 0, commitWritesMean: 0, commitWaitP50Ms: 0, commitCallbackP50Ms: 0,
  commitDurableP50Ms: 0, commitDurableMaxMs: 0, conversationRowsWaiting: 0,
  timelineEntriesHeld: 0, timelineHeadsCached: 0, gcPauseMs: 0, gcPauseMaxMs: 0,
};

type Pending = { resolve: (message: FromShard) => void; timer: NodeJS.Timeout };

export interface SupervisorEvents {
  log(line: string): void;
  /** A shard kept dying; the process should exit for its own supervisor (systemd) to act. */
  fatal(reason: string): void;
}

export class Supervisor {
  private readonly slots: ShardSlot[];
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 1;
  private publicWsPort = 0;
  private publicTcpPort = 0;
  private stopping = false;

  constructor(
    private readonly config: Config,
    private readonly tokenKeys: TokenKeys,
    private readonly events: SupervisorEvents,
  ) {
    this.slots = Array.from({ length: config.shards }, () => ({
      worker: undefined,
      ports: undefined,
      lastPorts: undefined,
      stats: STATS_NONE,
      restarts: [],
      stopping: false,
    }));
  }

  get shardCount(): number {
    return this.slots.length;
  }

  portsOf(shard: number): ShardPorts | undefined {
    return this.slots[shard]?.ports;
  }

  get publicPorts(): { ws: number; tcp: number } {
    return { ws: this.publicWsPort, tcp: this.publicTcpPort };
  }

  get ready(): boolean {
    return !this.stopping && this.slots.every((slot) => slot.ports !== undefined);
  }

  get stats(): readonly ShardSlot['stats'][] {
    return this.slots.map((slot) => slot.stats);
  }

  /** Shard 0 binds the public ports first (it may pick them); the others share them. */
  async start(): Promise<void> {
    // uWS shares a port between threads (SO_REUSEPORT) only when it is named: resolve 0 first.
    this.publicWsPort = this.config.wsPort === 0 ? await freePort(this.config.host) : this.config.wsPort;
    this.publicTcpPort = this.config.tcpPort;
    const first = await this.spawn(0);
    this.publicWsPort = first.publicWsPort;
    this.publicTcpPort = first.publicTcpPort;
    await Promise.all(this.slots.slice(1).map((_, index) => this.spawn(index + 1)));
    for (let a = 0; a < this.slots.length; a++) {
      for (let b = a + 1; b < this.slots.length; b++) this.link(a, b);
    }
  }

  private boot(shard: number): ShardBoot {
    const { config } = this;
    const direct = (base: number): number => (config.shardPorts && base !== 0 ? base + 1 + shard : 0);
    const known = this.slots[shard]?.lastPorts;
    return {
      shardId: shard,
      shardCount: this.slots.length,
      nodeId: config.nodeId,
      dataDir: config.dataDir,
      host: config.host,
      publicWsPort: this.publicWsPort,
      publicTcpPort: this.publicTcpPort,
      wsPort: known?.wsPort ?? direct(config.wsPort),
      tcpPort: known?.tcpPort ?? direct(config.tcpPort),
      storeMapBytes: config.storeMapBytes,
      groupLimits: {
        membersMax: config.groupMembersMax,
        readFanoutMembersMin: config.groupReadFanoutMembersMin,
      },
      tokenKeys: {
        current: { id: this.tokenKeys.current.id, secret: new Uint8Array(this.tokenKeys.current.secret) },
        verifyOnly: this.tokenKeys.verifyOnly.map((key) => ({ id: key.id, secret: new Uint8Array(key.secret) })),
      },
      conversationRowsWritebackMs: config.conversationRowsWritebackMs,
      timelineWritebackMs: config.timelineWritebackMs,
      userSendsPerSecond: config.userSendsPerSecond,
      devMode: config.devMode,
      tls: config.tlsCertFile === '' ? null : { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile },
      idFloorMs: 0,
    };
  }

  private spawn(shard: number): Promise<ShardPorts> {
    const slot = this.slots[shard] as ShardSlot;
    const worker = new Worker(fileURLToPath(WORKER_URL), { workerData: this.boot(shard) });
    slot.worker = worker;
    slot.ports = undefined;
    return new Promise((resolve, reject) => {
      worker.on('message', (message: FromShard) => {
        if (message.type === 'Listening') {
          slot.ports = message;
          slot.lastPorts = message;
          resolve(message);
        }
        this.fromShard(shard, message);
      });
      worker.on('error', (error) => this.events.log(`shard ${shard}: error ${error.stack ?? error.message}`));
      worker.on('exit', (code) => {
        if (slot.worker !== worker) return;
        slot.worker = undefined;
        const wasListening = slot.ports !== undefined;
        slot.ports = undefined;
        if (!wasListening) reject(new Error(`shard ${shard} exited with ${code} before listening`));
        if (slot.stopping || this.stopping) return;
        this.events.log(`shard ${shard}: exited with code ${code}; restarting`);
        this.restart(shard);
      });
    });
  }

  private restart(shard: number): void {
    const slot = this.slots[shard] as ShardSlot;
    const now = Date.now();
    slot.restarts = slot.restarts.filter((at) => now - at < 60_000);
    slot.restarts.push(now);
    if (slot.restarts.length > SHARD_RESTARTS_PER_MINUTE_MAX) {
      return this.events.fatal(`shard ${shard} restarted ${slot.restarts.length} times in a minute`);
    }
    this.spawn(shard).then(
      () => {
        for (let peer = 0; peer < this.slots.length; peer++) {
          if (peer === shard || this.slots[peer]?.worker === undefined) continue;
          this.send(peer, { type: 'PeerRestarted', peer: shard });
          this.link(shard, peer);
        }
        this.events.log(`shard ${shard}: restarted`);
      },
      (error: unknown) => this.events.log(`shard ${shard}: restart failed: ${String(error)}`),
    );
  }

  private link(a: number, b: number): void {
    const { port1, port2 } = new MessageChannel();
    this.slots[a]?.worker?.postMessage({ type: 'MeshAttach', peer: b, port: port1 } satisfies ToShard, [port1]);
    this.slots[b]?.worker?.postMessage({ type: 'MeshAttach', peer: a, port: port2 } satisfies ToShard, [port2]);
  }

  private send(shard: number, message: ToShard): void {
    this.slots[shard]?.worker?.postMessage(message);
  }

  private fromShard(shard: number, message: FromShard): void {
    switch (message.type) {
      case 'Stats':
        (this.slots[shard] as ShardSlot).stats = message;
        return;
      case 'SessionIssued':
      case 'SessionRevoked':
      case 'UserBanned':
      case 'Collected': {
        const pending = this.pending.get(message.requestId);
        if (pending === undefined) return;
        this.pending.delete(message.requestId);
        clearTimeout(pending.timer);
        pending.resolve(message);
        return;
      }
      default:
        return;
    }
  }

  private request(shard: number, make: (requestId: number) => ToShard): Promise<FromShard | undefined> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        resolve(undefined);
      }, CONTROL_REQUEST_TIMEOUT_MS);
      this.pending.set(requestId, { resolve, timer });
      if (this.slots[shard]?.worker === undefined) {
        clearTimeout(timer);
        this.pending.delete(requestId);
        resolve(undefined);
        return;
      }
      this.send(shard, make(requestId));
    });
  }

  /** Create (or renew) the device session on the owner shard; answers its secret. */
  async sessionIssue(
    shard: number,
    uid: string,
    deviceId: string,
    mobile: string,
  ): Promise<{ code: number; secret: string }> {
    const make = (requestId: number): ToShard => ({ type: 'SessionIssue', requestId, uid, deviceId, mobile });
    const answer = await this.request(shard, make);
    if (answer?.type !== 'SessionIssued') return { code: ErrorCode.SHARD_UNAVAILABLE, secret: '' };
    return { code: answer.code, secret: answer.secret };
  }

  async sessionRevoke(shard: number, uid: string, deviceId: string): Promise<number> {
    const answer = await this.request(shard, (requestId) => ({ type: 'SessionRevoke', requestId, uid, deviceId }));
    return answer?.type === 'SessionRevoked' ? answer.code : ErrorCode.SHARD_UNAVAILABLE;
  }

  async userBan(shard: number, uid: string, banned: boolean): Promise<number> {
    const answer = await this.request(shard, (requestId) => ({ type: 'UserBan', requestId, uid, banned }));
    return answer?.type === 'UserBanned' ? answer.code : ErrorCode.SHARD_UNAVAILABLE;
  }

  /** Dev-mode bench hook: a full GC on the main thread, then on every shard. Resolves 0, or
   * the first failure (NOT_IMPLEMENTED without --expose-gc, SHARD_UNAVAILABLE). */
  async collect(): Promise<number> {
    if (!this.config.devMode) return ErrorCode.NO_RIGHT;
    const main = gcRun();
    if (main !== 0) return main;
    const answers = await Promise.all(this.slots.map((_, shard) =>
      this.request(shard, (requestId) => ({ type: 'Collect', requestId }))));
    const codes = answers.map((a) =>
      (a?.type === 'Collected' ? a.code : ErrorCode.SHARD_UNAVAILABLE));
    return codes.find((code) => code !== 0) ?? 0;
  }

  /** Dev-mode chaos hook: make a shard throw. */
  crash(shard: number): boolean {
    if (!this.config.devMode || this.slots[shard]?.worker === undefined) return false;
    this.send(shard, { type: 'Crash' });
    return true;
  }

  /** Drain every shard; resolves when all stopped or SHUTDOWN_DRAIN_MS passed. */
  async drain(): Promise<void> {
    this.stopping = true;
    const exits = this.slots.map((slot, shard) => {
      const worker = slot.worker;
      if (worker === undefined) return Promise.resolve();
      slot.stopping = true;
      this.send(shard, { type: 'Drain' });
      return new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    });
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_DRAIN_MS).unref());
    await Promise.race([Promise.all(exits), deadline]);
  }
}
