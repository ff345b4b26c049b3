// Load generator of group_fanout, run as a forked child: it connects the K online members of one
// group over raw native links, has the first of them create the group (GC with all M members),
// then drives S senders closed-loop (W group MS in flight each). Every online member pulls on
// each MN and counts the group text entries it gets; each MS carries its send stamp (µs on this
// process's clock) in content.content, so send→deliver is measured at the online members.
// After 'stop' it drains: waits for the acks and for each acked MS to reach the K − 1 online
// members other than its sender.

import { ErrorCode } from '../../src/errors.js';
import { ackDecode } from '../../src/protocol/body_codec.js';
import type { Frame } from '../../src/protocol/frame.js';
import { Signal, SubSignal } from '../../src/protocol/signals.js';
import { sendContentBuild } from '../../src/client/outgoing.js';
import { nowUs, stampText } from './chat_user.js';
import type { ChatUserCredentials } from './chat_generator.js';
import { histogramEncode, latencyHistogram, latencyRecord } from './histogram.js';
import type { Histogram } from './histogram.js';
import { loadChildServe } from './load_child.js';
import type { LoadGenerator } from './load_child.js';
import { LINK_PING_ID, NativeLink } from './native_link.js';
import type { LinkTransport } from './native_link.js';
import { drainDeliveries } from './drain.js';
import { pageOf } from './mp_page.js';

const CONNECT_CONCURRENCY = 32;
const CONNECT_TIMEOUT_MS = 10_000;
const CREATE_TIMEOUT_MS = 30_000;
/** Request ids are uint16; 0 is the server's push id, 1 and 2 the link's own. */
const REQUEST_IDS = 0x10000;
const REQUEST_ID_FIRST = LINK_PING_ID + 1;
/** Content type of a text message; group notices (1xx) are not counted as deliveries. */
const TEXT_TYPE = 1;
const GROUP_CONVERSATION = 1;
const GROUP_CREATED_CODE = 200;

const KIND_FREE = 0;
const KIND_MS = 1;
const KIND_MP = 2;
const KIND_GC = 3;

export interface GroupSetup {
  readonly host: string;
  readonly transport: LinkTransport;
  /** The online members; users[0] creates the group, users[0..senders) send. */
  readonly users: readonly ChatUserCredentials[];
  /** Every member uid (online or not), creator included. */
  readonly memberUids: readonly string[];
  readonly senders: number;
  readonly window: number;
  readonly text: string;
}

export type GroupRun = Record<string, never>;

export interface GroupData {
  readonly gid: string;
  readonly sent: number;
  readonly acked: number;
  /** Group text entries pulled by online members (their own sends excluded). */
  readonly delivered: number;
  /** MN pushes the online members received. */
  readonly notified: number;
  readonly errors: number;
  readonly gaps: number;
  /** acked × (K − 1) in this case minus what was delivered by the end of the drain. */
  readonly undelivered: number;
  readonly ackHist: string;
  readonly deliverHist: string;
}

interface Stats {
  measuring: boolean;
  readonly ackHist: Histogram;
  readonly deliverHist: Histogram;
  sent: number;
  acked: number;
  delivered: number;
  notified: number;
  errors: number;
  gaps: number;
}

type Answer = (body: Uint8Array) => void;

/** One online member: pulls on MN; a sender also sends group MS. */
class Member {
  inFlight = 0;
  private readonly kinds = new Uint8Array(REQUEST_IDS);
  private readonly sentAtUs = new Float64Array(REQUEST_IDS);
  private readonly answers = new Map<number, Answer>();
  private nextId = REQUEST_ID_FIRST;
  private counter = 0;
  private lastSeq = 0;
  private pulling = false;
  private pullAgain = false;
  gid = '';
  onAcked: (member: Member) => void = () => undefined;

  constructor(private readonly link: NativeLink, readonly uid: string,
    private readonly idPrefix: string, private readonly text: string,
    private readonly stats: Stats) {
    link.onFrame = (frame) => this.frameReceived(frame);
  }

  private idTake(kind: number): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id + 1 >= REQUEST_IDS ? REQUEST_ID_FIRST : id + 1;
      if (this.kinds[id] === KIND_FREE) {
        this.kinds[id] = kind;
        return id;
      }
    }
  }

  /** GC with every member; resolves the gid from the native answer {code: 200, gid}. */
  create(memberUids: readonly string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no GC answer')), CREATE_TIMEOUT_MS);
      const id = this.idTake(KIND_GC);
      this.answers.set(id, (body) => {
        clearTimeout(timer);
        const ack = ackDecode(body);
        const result = ack.ok && ack.value.code === 0
          ? (ack.value.result as { code?: number; gid?: string } | null) : null;
        if (result?.code !== GROUP_CREATED_CODE || typeof result.gid !== 'string') {
          reject(new Error(`GC refused: ${JSON.stringify(ack)}`));
          return;
        }
        resolve(result.gid);
      });
      this.link.send(Signal.PUBLISH, SubSignal.GC, id, {
        groupInfo: { name: 'bench', portrait: '', type: 0, extra: '' },
        groupMembers: memberUids.map((memberId) => ({ memberId, type: 0 })),
      });
    });
  }

  send(): void {
    const id = this.idTake(KIND_MS);
    const stampUs = nowUs();
    const content = sendContentBuild({
      conversation: { type: GROUP_CONVERSATION, target: this.gid, line: 0 },
      content: { type: TEXT_TYPE, searchableContent: this.text, content: stampText(stampUs) },
    }, `${this.idPrefix}${++this.counter}`);
    this.sentAtUs[id] = stampUs;
    this.inFlight++;
    this.stats.sent++;
    this.link.send(Signal.PUBLISH, SubSignal.MS, id, content);
  }

  /** Pulls whatever is on the timeline now (catch-up before a case). */
  pull(): void {
    this.pullWanted();
  }

  private frameReceived(frame: Frame): void {
    if (frame.signal === Signal.PUBLISH && frame.subSignal === SubSignal.MN) {
      this.stats.notified++;
      this.pullWanted();
      return;
    }
    if (frame.signal !== Signal.PUB_ACK || frame.messageId === 0) return;
    const id = frame.messageId;
    const kind = this.kinds[id];
    this.kinds[id] = KIND_FREE;
    if (kind === KIND_MS) this.msAcked(id, frame.body[0] ?? ErrorCode.INVALID_DATA);
    else if (kind === KIND_MP) this.pullAnswered(frame.body);
    else if (kind === KIND_GC) {
      const answer = this.answers.get(id);
      this.answers.delete(id);
      answer?.(frame.body);
    }
  }

  private msAcked(id: number, code: number): void {
    const { stats } = this;
    this.inFlight--;
    if (code !== ErrorCode.OK) {
      stats.errors++;
    } else {
      stats.acked++;
      if (stats.measuring) latencyRecord(stats.ackHist, nowUs() - this.sentAtUs[id]!);
    }
    this.onAcked(this);
  }

  private pullWanted(): void {
    if (this.pulling) {
      this.pullAgain = true;
      return;
    }
    this.pulling = true;
    this.pullAgain = false;
    const id = this.idTake(KIND_MP);
    const content = { messageId: this.lastSeq + 1, type: 0, pullType: 1, sendMessageCount: 0 };
    this.link.send(Signal.PUBLISH, SubSignal.MP, id, content);
  }

  private pullAnswered(body: Uint8Array): void {
    const { stats } = this;
    this.pulling = false;
    const ack = ackDecode(body);
    const page = ack.ok && ack.value.code === 0 ? pageOf(ack.value.result) : null;
    if (page === null) {
      stats.errors++;
      return;
    }
    const now = nowUs();
    for (const entry of page.entries) {
      if (entry.seq !== this.lastSeq + 1) stats.gaps++;
      if (entry.seq > this.lastSeq) this.lastSeq = entry.seq;
      if (entry.from === this.uid || entry.type !== TEXT_TYPE) continue;
      stats.delivered++;
      if (stats.measuring) latencyRecord(stats.deliverHist, now - entry.stampUs);
    }
    if (this.pullAgain || page.current < page.head) this.pullWanted();
  }
}


class GroupGenerator implements LoadGenerator<GroupSetup, GroupRun, GroupData> {
  private readonly stats: Stats = {
    measuring: false, ackHist: latencyHistogram(), deliverHist: latencyHistogram(),
    sent: 0, acked: 0, delivered: 0, notified: 0, errors: 0, gaps: 0,
  };
  private members: Member[] = [];
  private senders: Member[] = [];
  private window = 1;
  private running = false;
  private gid = '';
  private atStart = { acked: 0, delivered: 0 };
  private atMeasure = { sent: 0, acked: 0, delivered: 0, notified: 0 };

  async setup(setup: GroupSetup): Promise<void> {
    this.window = setup.window;
    const members = new Array<Member | undefined>(setup.users.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < setup.users.length) {
        const index = next++;
        const user = setup.users[index]!;
        const link = await NativeLink.open(setup.transport, setup.host, user.port,
          CONNECT_TIMEOUT_MS);
        await link.connect(user.uid, user.token, user.deviceId, CONNECT_TIMEOUT_MS);
        link.onClose = (reason) => {
          this.stats.errors++;
          process.stderr.write(`[group_generator] ${user.uid}: connection lost: ${reason}\n`);
        };
        members[index] = new Member(link, user.uid, `g${process.pid.toString(36)}-${index}-`,
          setup.text, this.stats);
      }
    };
    await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
    this.members = members.map((member) => {
      if (member === undefined) throw new Error('a connect did not finish');
      return member;
    });
    this.gid = await this.members[0]!.create(setup.memberUids);
    for (const member of this.members) {
      member.gid = this.gid;
      member.onAcked = (sender) => {
        if (this.running) sender.send();
      };
      member.pull();
    }
    this.senders = this.members.slice(0, setup.senders);
  }

  start(): void {
    const { stats } = this;
    this.running = true;
    stats.errors = 0;
    stats.gaps = 0;
    this.atStart = { acked: stats.acked, delivered: stats.delivered };
    for (const sender of this.senders) {
      for (let i = 0; i < this.window; i++) sender.send();
    }
  }

  measure(): void {
    const { stats } = this;
    this.atMeasure = { sent: stats.sent, acked: stats.acked, delivered: stats.delivered,
      notified: stats.notified };
    stats.ackHist.reset();
    stats.deliverHist.reset();
    stats.measuring = true;
  }

  async stop(): Promise<GroupData> {
    const { stats } = this;
    const from = this.atMeasure;
    const measured = {
      sent: stats.sent - from.sent, acked: stats.acked - from.acked,
      delivered: stats.delivered - from.delivered, notified: stats.notified - from.notified,
    };
    stats.measuring = false;
    this.running = false;
    const receivers = this.members.length - 1;
    const expected = (): number => (stats.acked - this.atStart.acked) * receivers;
    const deliveredCase = (): number => stats.delivered - this.atStart.delivered;
    const settled = (): boolean => this.senders.every((s) => s.inFlight === 0) &&
      deliveredCase() >= expected();
    await drainDeliveries(settled, deliveredCase);
    return {
      gid: this.gid, ...measured, errors: stats.errors, gaps: stats.gaps,
      undelivered: Math.max(0, expected() - deliveredCase()),
      ackHist: histogramEncode(stats.ackHist), deliverHist: histogramEncode(stats.deliverHist),
    };
  }

  counts(): Record<string, number> {
    return { acked: this.stats.acked, delivered: this.stats.delivered };
  }
}

loadChildServe(new GroupGenerator());
