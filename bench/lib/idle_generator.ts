// Load generator of the connections bench, run as a forked child: each 'setup' is one ramp
// step (open and CONNECT its share of users from one loopback source address, a bounded number
// at a time); then it holds every connection idle, sending only the heartbeats that keep it
// open, and counts the connections the server closed. It never sends anything else.

import { Signal, SubSignal } from '../../src/protocol/signals.js';
import { loadChildServe } from './load_child.js';
import type { LoadGenerator } from './load_child.js';
import { LINK_PING_ID, NativeLink } from './native_link.js';
import { OPCODE_PING, wsClientFrame } from './ws_wire.js';
import { GENERATOR_CONNECTIONS_MAX } from './idle_setup.js';
import type { Heartbeat, IdleCredentials, IdleData, IdleRun, IdleSetup } from './idle_setup.js';

/** Open + upgrade, and CONNECT → CONNECT_ACK, must each finish within this time. */
const CONNECT_TIMEOUT_MS = 20_000;
/** The heartbeat clock ticks this often; each tick sends the heartbeats due by then. */
const HEARTBEAT_TICK_MS = 100;
const WS_PING_FRAME = wsClientFrame(Buffer.alloc(0), OPCODE_PING);

class IdleGenerator implements LoadGenerator<IdleSetup, IdleRun, IdleData> {
  private readonly links: NativeLink[] = [];
  /** The links heartbeats go to, in round-robin order. */
  private readonly beating: NativeLink[] = [];
  private cursor = 0;
  private owed = 0;
  private heartbeat: Heartbeat = 'ws';
  private heartbeatMs = 0;
  private ticker: NodeJS.Timeout | undefined;
  private closedTotal = 0;
  private heartbeatsTotal = 0;
  private closedAtMeasure = 0;
  private heartbeatsAtMeasure = 0;

  async setup(setup: IdleSetup): Promise<void> {
    this.heartbeat = setup.heartbeat;
    this.heartbeatMs = setup.heartbeatMs;
    this.ticker ??= setInterval(() => this.beat(), HEARTBEAT_TICK_MS);
    if (this.links.length + setup.users.length > GENERATOR_CONNECTIONS_MAX) {
      throw new Error(`more than ${GENERATOR_CONNECTIONS_MAX} connections in one generator`);
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < setup.users.length) {
        await this.connect(setup, setup.users[next++]!);
      }
    };
    await Promise.all(Array.from({ length: setup.connectsInFlight }, worker));
  }

  private async connect(setup: IdleSetup, user: IdleCredentials): Promise<void> {
    const link = await NativeLink.open(user.transport, setup.host, user.port,
      CONNECT_TIMEOUT_MS, setup.localAddress);
    await link.connect(user.uid, user.token, user.deviceId, CONNECT_TIMEOUT_MS);
    link.onClose = () => this.closedTotal++;
    this.links.push(link);
    if (setup.heartbeat === 'native' || user.transport === 'ws') this.beating.push(link);
  }

  /** Spreads the heartbeats evenly: each tick sends beating.length × tick / period of them. */
  private beat(): void {
    if (this.beating.length === 0) return;
    this.owed += (this.beating.length * HEARTBEAT_TICK_MS) / this.heartbeatMs;
    const due = Math.min(Math.floor(this.owed), this.beating.length);
    this.owed -= due;
    for (let i = 0; i < due; i++) {
      this.cursor = (this.cursor + 1) % this.beating.length;
      const link = this.beating[this.cursor]!;
      if (this.heartbeat === 'ws') link.write(WS_PING_FRAME);
      else link.send(Signal.PING, SubSignal.NONE, LINK_PING_ID, undefined);
      this.heartbeatsTotal++;
    }
  }

  start(): void {
    // Holding needs no action: the connections are open and the heartbeat clock runs.
  }

  measure(): void {
    this.closedAtMeasure = this.closedTotal;
    this.heartbeatsAtMeasure = this.heartbeatsTotal;
  }

  stop(): Promise<IdleData> {
    return Promise.resolve({
      open: this.links.length - this.closedTotal,
      closed: this.closedTotal - this.closedAtMeasure,
      heartbeats: this.heartbeatsTotal - this.heartbeatsAtMeasure,
    });
  }

  counts(): Record<string, number> {
    return { open: this.links.length - this.closedTotal, closed: this.closedTotal,
      heartbeats: this.heartbeatsTotal };
  }
}

loadChildServe(new IdleGenerator());
