// One chat user of the one_to_one load generator on a raw native link: it sends MS to its
// peer (when it is a sender) and, when it is a receiver, takes the entries each MN carries
// inline (or pulls when they do not follow its last seq) and counts them. Each MS carries its
// send stamp (µs on this process's clock) in content.content, so the receiver measures
// send→deliver; sender and receiver of a pair live in one generator process. MS frames are patched copies of one template: no encoding per send.

import { ErrorCode } from '../../src/errors.js';
import { ackDecode, bodyDecode, bodyEncode } from '../../src/protocol/body_codec.js';
import type { Frame } from '../../src/protocol/frame.js';
import { frameEncode } from '../../src/protocol/native_frame.js';
import { Signal, SubSignal } from '../../src/protocol/signals.js';
import { sendContentBuild } from '../../src/client/outgoing.js';
import { latencyRecord } from './histogram.js';
import type { Histogram } from './histogram.js';
import { LINK_PING_ID } from './native_link.js';
import type { NativeLink } from './native_link.js';
import { notifyOf, pageOf } from './mp_page.js';
import type { PulledEntry } from './mp_page.js';

/** Request ids are uint16; 0 is the server's push id, 1 and 2 the link's own. */
const REQUEST_IDS = 0x10000;
const REQUEST_ID_FIRST = LINK_PING_ID + 1;
/** Digits of the send stamp (µs) and of the per-sender counter in the client message id. */
const STAMP_DIGITS = 16;
const COUNTER_DIGITS = 12;
const STAMP_MARK = 'S'.repeat(STAMP_DIGITS);
const COUNTER_MARK = 'N'.repeat(COUNTER_DIGITS);

const KIND_FREE = 0;
const KIND_MS = 1;
const KIND_MP = 2;

/** Counters since the case started; histograms since 'measure'. */
export interface ChatStats {
  measuring: boolean;
  readonly ackHist: Histogram;
  readonly deliverHist: Histogram;
  sent: number;
  acked: number;
  delivered: number;
  errors: number;
  /** Pulled entries whose seq did not follow the previous one (must stay 0). */
  gaps: number;
}

/** What the generator's schedulers drive. */
export interface ChatSender {
  readonly inFlight: number;
  /** Sends one MS stamped `stampUs` (the intended send time in open loop). */
  send(stampUs: number): void;
}

export type AckedHook = (sender: ChatSender) => void;

export function nowUs(): number {
  return performance.now() * 1000;
}

/** Writes `value` as `width` ASCII digits at `at`. */
function digitsWrite(bytes: Buffer, at: number, width: number, value: number): void {
  let rest = Math.floor(value);
  for (let i = width - 1; i >= 0; i--) {
    bytes[at + i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
}

/** Stamped text: the sender writes the stamp, the receiver reads it back. */
export function stampText(stampUs: number): string {
  return String(Math.floor(stampUs)).padStart(STAMP_DIGITS, '0');
}

export interface ChatUserOptions {
  readonly uid: string;
  /** The peer this user sends to, or null for a receiver only. */
  readonly target: string | null;
  readonly text: string;
  /** Distinguishes this user's client message ids from any other run's. */
  readonly idPrefix: string;
  readonly stats: ChatStats;
  readonly onAcked: AckedHook;
  /** A receiver got an entry from `from` (a uid): the generator may refill that sender. */
  readonly onDelivered?: (from: string) => void;
}

export class ChatUser implements ChatSender {
  inFlight = 0;
  private readonly link: NativeLink;
  private readonly opts: ChatUserOptions;
  private readonly kinds = new Uint8Array(REQUEST_IDS);
  private readonly sentAtUs = new Float64Array(REQUEST_IDS);
  private nextId = REQUEST_ID_FIRST;
  private counter = 0;
  private template: Buffer = Buffer.alloc(0);
  private idAt = 0;
  private stampAt = 0;
  private counterAt = 0;
  private lastSeq = 0;
  private pulling = false;
  private pullAgain = false;

  constructor(link: NativeLink, opts: ChatUserOptions) {
    this.link = link;
    this.opts = opts;
    link.onFrame = (frame) => this.frameReceived(frame);
    if (opts.target !== null) this.templateBuild(opts.target);
  }

  private templateBuild(target: string): void {
    const content = sendContentBuild({
      conversation: { type: 0, target, line: 0 },
      content: { type: 1, searchableContent: this.opts.text, content: STAMP_MARK },
    }, `${this.opts.idPrefix}${COUNTER_MARK}`);
    const frame = frameEncode(Signal.PUBLISH, SubSignal.MS, REQUEST_ID_FIRST, bodyEncode(content));
    this.template = this.link.wrap(frame);
    this.idAt = this.link.wrapOffset(frame.length) + 8;
    this.stampAt = this.template.indexOf(STAMP_MARK);
    this.counterAt = this.template.indexOf(COUNTER_MARK);
    if (this.stampAt < 0 || this.counterAt < 0) throw new Error('MS template marks not found');
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

  send(stampUs: number): void {
    const id = this.idTake(KIND_MS);
    const bytes = Buffer.allocUnsafe(this.template.length);
    this.template.copy(bytes);
    bytes[this.idAt] = id >>> 8;
    bytes[this.idAt + 1] = id & 0xff;
    digitsWrite(bytes, this.stampAt, STAMP_DIGITS, stampUs);
    digitsWrite(bytes, this.counterAt, COUNTER_DIGITS, ++this.counter);
    this.sentAtUs[id] = stampUs;
    this.inFlight++;
    this.opts.stats.sent++;
    this.link.write(bytes);
  }

  private frameReceived(frame: Frame): void {
    if (frame.signal === Signal.PUBLISH && frame.subSignal === SubSignal.MN) {
      this.notified(frame.body);
      return;
    }
    if (frame.signal !== Signal.PUB_ACK || frame.messageId === 0) return;
    const id = frame.messageId;
    const kind = this.kinds[id];
    this.kinds[id] = KIND_FREE;
    if (kind === KIND_MS) this.msAcked(id, frame.body[0] ?? ErrorCode.INVALID_DATA);
    else if (kind === KIND_MP) this.pullAnswered(frame.body);
  }

  private msAcked(id: number, code: number): void {
    const { stats } = this.opts;
    this.inFlight--;
    if (code !== ErrorCode.OK) {
      stats.errors++;
    } else {
      stats.acked++;
      if (stats.measuring) latencyRecord(stats.ackHist, nowUs() - this.sentAtUs[id]!);
    }
    this.opts.onAcked(this);
  }

  /** MN: take its inline entries when they follow lastSeq and no pull runs, else pull. */
  private notified(body: Uint8Array): void {
    const decoded = bodyDecode(body);
    const notify = decoded.ok ? notifyOf(decoded.value) : null;
    if (notify === null) {
      this.opts.stats.errors++;
      return;
    }
    if (notify.head <= this.lastSeq) return;
    const first = notify.entries[0];
    if (this.pulling || first === undefined || first.seq !== this.lastSeq + 1) {
      this.pullWanted();
      return;
    }
    this.entriesTake(notify.entries);
    if (this.lastSeq < notify.head) this.pullWanted();
  }

  /** Counts pulled or inline entries as delivered (our own sends excepted). */
  private entriesTake(entries: readonly PulledEntry[]): void {
    const { stats } = this.opts;
    const now = nowUs();
    for (const entry of entries) {
      if (entry.seq !== this.lastSeq + 1) stats.gaps++;
      if (entry.seq > this.lastSeq) this.lastSeq = entry.seq;
      if (entry.from === this.opts.uid) continue; // our own sends, synced to our timeline
      stats.delivered++;
      if (stats.measuring) latencyRecord(stats.deliverHist, now - entry.stampUs);
      this.opts.onDelivered?.(entry.from);
    }
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
    const { stats } = this.opts;
    this.pulling = false;
    const ack = ackDecode(body);
    const page = ack.ok && ack.value.code === 0 ? pageOf(ack.value.result) : null;
    if (page === null) {
      stats.errors++;
      return;
    }
    this.entriesTake(page.entries);
    if (this.pullAgain || page.current < page.head) this.pullWanted();
  }
}

