// Load generator of one_to_one, run as a forked child: it connects its share of the users and
// drives their sends. Closed loop: each sender keeps `window` MS in flight. Open loop: sends
// leave at a fixed rate whatever the answers, each stamped with its intended send time, so a
// stall shows in the latency instead of hiding it (coordinated omission corrected); a sender at
// OPEN_IN_FLIGHT_MAX queues its due sends in a bounded backlog. After 'stop' it drains: waits
// for the acks and deliveries still on the way, and reports what never arrived.

import type { Transport } from '../../src/client/index.js';
import { ChatUser, nowUs } from './chat_user.js';
import type { ChatSender, ChatStats } from './chat_user.js';
import { SdkChatUser } from './chat_user_sdk.js';
import { drainDeliveries } from './drain.js';
import { XmppChatUser } from './chat_user_xmpp.js';
import { histogramEncode, latencyHistogram } from './histogram.js';
import { loadChildServe } from './load_child.js';
import type { LoadGenerator } from './load_child.js';
import { NativeLink } from './native_link.js';

/** Sends in flight per sender in open loop before due sends wait in its backlog. */
export const OPEN_IN_FLIGHT_MAX = 1_024;
/** Due sends one sender may hold back; beyond it they are dropped and counted (run invalid). */
const OPEN_BACKLOG_MAX = 100_000;
/** The open-loop clock ticks this often; each tick sends everything due by then. */
const OPEN_TICK_MS = 1;
/** Connects in progress at once. */
const CONNECT_CONCURRENCY = 32;
const CONNECT_TIMEOUT_MS = 10_000;
/** After 'stop', how long to wait for outstanding acks and deliveries. */

/** 'xmpp' talks to the ejabberd peer: uid is a bare JID, token its password, deviceId the
 * resource. */
export type ChatClient = 'raw' | 'sdk' | 'xmpp';

export interface ChatUserCredentials {
  readonly uid: string;
  readonly token: string;
  readonly deviceId: string;
  /** The owner shard's port for the chosen transport. */
  readonly port: number;
}

export interface ChatSetup {
  readonly host: string;
  readonly transport: Transport;
  readonly client: ChatClient;
  readonly users: readonly ChatUserCredentials[];
  /** [sender, receiver] as indexes into users. */
  readonly sends: readonly (readonly [number, number])[];
  readonly window: number;
  readonly text: string;
  /**
   * Closed loop: what frees a window slot. 'ack' (default): the server's ack, so up to W are
   * unacked and more may be acked but not yet delivered. 'deliver': the receiver got it, so W
   * are between send and delivery, as with the XMPP client, whose stand-in ack is the delivery.
   */
  readonly refill?: 'ack' | 'deliver';
}

export interface ChatRun {
  readonly mode: 'closed' | 'open';
  /** Open loop: MS per second over this generator's senders. */
  readonly ratePerSec: number;
}

export interface ChatData {
  readonly sent: number;
  readonly acked: number;
  readonly delivered: number;
  readonly errors: number;
  readonly gaps: number;
  /** Acked in this case (warm-up included) but not delivered by the end of the drain. */
  readonly undelivered: number;
  /** Open loop: due sends dropped because a backlog was full. */
  readonly dropped: number;
  /** Open loop: the longest backlog any sender had. */
  readonly backlogMax: number;
  readonly ackHist: string;
  readonly deliverHist: string;
}

interface SenderSlot {
  readonly sender: ChatSender;
  readonly backlog: number[];
}

function statsNew(): ChatStats {
  return {
    measuring: false, ackHist: latencyHistogram(), deliverHist: latencyHistogram(),
    sent: 0, acked: 0, delivered: 0, errors: 0, gaps: 0,
  };
}

class ChatGenerator implements LoadGenerator<ChatSetup, ChatRun, ChatData> {
  private stats = statsNew();
  private slots: SenderSlot[] = [];
  private readonly slotOf = new Map<ChatSender, SenderSlot>();
  /** Senders by uid, for refill on delivery. */
  private readonly senderOf = new Map<string, ChatSender>();
  private readonly xmppUsers = new Map<string, XmppChatUser>();
  private refillOnDeliver = false;
  private closers: (() => void)[] = [];
  private window = 1;
  private run: ChatRun = { mode: 'closed', ratePerSec: 0 };
  private running = false;
  private ticker: NodeJS.Timeout | null = null;
  private dropped = 0;
  private backlogMax = 0;
  /** Counters never reset (progress lines read them); a case reads differences. */
  private atStart = { sent: 0, acked: 0, delivered: 0 };
  private atMeasure = { sent: 0, acked: 0, delivered: 0 };

  async setup(setup: ChatSetup): Promise<void> {
    this.window = setup.window;
    this.refillOnDeliver = setup.refill === 'deliver' && setup.client === 'raw';
    const targets = new Map<number, number>(setup.sends.map(([from, to]) => [from, to]));
    const senders: (ChatSender | null)[] = new Array<ChatSender | null>(setup.users.length)
      .fill(null);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < setup.users.length) {
        const index = next++;
        const target = targets.get(index);
        const user = await this.userOpen(setup, index, target);
        if (target !== undefined) {
          senders[index] = user;
          this.senderOf.set(setup.users[index]!.uid, user);
        }
      }
    };
    await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
    for (const sender of senders) {
      if (sender === null) continue;
      const slot = { sender, backlog: [] };
      this.slots.push(slot);
      this.slotOf.set(sender, slot);
    }
  }

  private async userOpen(setup: ChatSetup, index: number,
    target: number | undefined): Promise<ChatSender> {
    const user = setup.users[index]!;
    const targetUid = target === undefined ? null : setup.users[target]!.uid;
    const onAcked = (sender: ChatSender): void => this.acked(sender);
    if (setup.client === 'sdk') {
      const sdk = await SdkChatUser.open({
        transport: setup.transport, host: setup.host, port: user.port, uid: user.uid,
        token: user.token, deviceId: user.deviceId, target: targetUid, text: setup.text,
        stats: this.stats, onAcked,
      });
      this.closers.push(() => sdk.close());
      return sdk;
    }
    if (setup.client === 'xmpp') return this.xmppOpen(setup, user, targetUid, onAcked);
    if (setup.transport === 'ws-compat') throw new Error('the raw client speaks native only');
    const link = await NativeLink.open(setup.transport, setup.host, user.port, CONNECT_TIMEOUT_MS);
    await link.connect(user.uid, user.token, user.deviceId, CONNECT_TIMEOUT_MS);
    link.onClose = (reason) => {
      this.stats.errors++;
      process.stderr.write(`[chat_generator] ${user.uid}: connection lost: ${reason}\n`);
    };
    this.closers.push(() => link.close());
    return new ChatUser(link, {
      uid: user.uid, target: targetUid, text: setup.text,
      idPrefix: `b${process.pid.toString(36)}-${index}-`, stats: this.stats, onAcked,
      onDelivered: (from) => this.delivered(from),
    });
  }

  private async xmppOpen(setup: ChatSetup, user: ChatUserCredentials, target: string | null,
    onAcked: (sender: ChatSender) => void): Promise<ChatSender> {
    const login = { host: setup.host, port: user.port, jid: user.uid, password: user.token,
      resource: user.deviceId, timeoutMs: CONNECT_TIMEOUT_MS };
    const opened = await XmppChatUser.open(login, {
      jid: user.uid, target, text: setup.text, stats: this.stats, onAcked, users: this.xmppUsers,
    }, (reason) => {
      this.stats.errors++;
      process.stderr.write(`[chat_generator] ${user.uid}: connection lost: ${reason}\n`);
    });
    this.closers.push(opened.close);
    return opened.user;
  }

  start(run: ChatRun): void {
    const { stats } = this;
    this.run = run;
    this.running = true;
    this.dropped = 0;
    this.backlogMax = 0;
    stats.errors = 0;
    stats.gaps = 0;
    this.atStart = { sent: stats.sent, acked: stats.acked, delivered: stats.delivered };
    if (run.mode === 'closed') {
      for (const slot of this.slots) {
        for (let i = 0; i < this.window; i++) slot.sender.send(nowUs());
      }
      return;
    }
    this.openStart(run.ratePerSec);
  }

  private openStart(ratePerSec: number): void {
    const startUs = nowUs();
    const intervalUs = 1e6 / ratePerSec;
    let issued = 0;
    this.ticker = setInterval(() => {
      const due = Math.floor((nowUs() - startUs) / intervalUs) + 1;
      for (; issued < due; issued++) {
        const slot = this.slots[issued % this.slots.length]!;
        this.openSend(slot, startUs + issued * intervalUs);
      }
    }, OPEN_TICK_MS);
  }

  private openSend(slot: SenderSlot, intendedUs: number): void {
    if (slot.backlog.length === 0 && slot.sender.inFlight < OPEN_IN_FLIGHT_MAX) {
      slot.sender.send(intendedUs);
      return;
    }
    if (slot.backlog.length >= OPEN_BACKLOG_MAX) {
      this.dropped++;
      return;
    }
    slot.backlog.push(intendedUs);
    if (slot.backlog.length > this.backlogMax) this.backlogMax = slot.backlog.length;
  }

  private acked(sender: ChatSender): void {
    if (!this.running) return;
    if (this.run.mode === 'closed') {
      if (!this.refillOnDeliver) sender.send(nowUs());
      return;
    }
    const backlog = this.slotOf.get(sender)?.backlog;
    const intendedUs = backlog?.shift();
    if (intendedUs !== undefined) sender.send(intendedUs);
  }

  /** A receiver got a message from `from`: with refill on delivery, its sender sends again. */
  private delivered(from: string): void {
    if (!this.running || !this.refillOnDeliver || this.run.mode !== 'closed') return;
    this.senderOf.get(from)?.send(nowUs());
  }

  measure(): void {
    const { stats } = this;
    this.atMeasure = { sent: stats.sent, acked: stats.acked, delivered: stats.delivered };
    this.stats.ackHist.reset();
    this.stats.deliverHist.reset();
    this.stats.measuring = true;
  }

  async stop(): Promise<ChatData> {
    const { stats } = this;
    // Counters are read at the end of the window; the drain only settles `undelivered`.
    const from = this.atMeasure;
    const measured = {
      sent: stats.sent - from.sent,
      acked: stats.acked - from.acked,
      delivered: stats.delivered - from.delivered,
    };
    stats.measuring = false;
    this.running = false;
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    for (const slot of this.slots) slot.backlog.length = 0;
    const ackedCase = (): number => stats.acked - this.atStart.acked;
    const deliveredCase = (): number => stats.delivered - this.atStart.delivered;
    const settled = (): boolean => this.slots.every((slot) => slot.sender.inFlight === 0) &&
      deliveredCase() >= ackedCase();
    await drainDeliveries(settled, deliveredCase);
    return {
      ...measured,
      errors: stats.errors, gaps: stats.gaps,
      undelivered: Math.max(0, ackedCase() - deliveredCase()),
      dropped: this.dropped, backlogMax: this.backlogMax,
      ackHist: histogramEncode(stats.ackHist), deliverHist: histogramEncode(stats.deliverHist),
    };
  }

  counts(): Record<string, number> {
    return { acked: this.stats.acked, delivered: this.stats.delivered };
  }
}

loadChildServe(new ChatGenerator());
