// A chat user of the load generator on an XMPP link (the ejabberd peer): sends
// `<message type='chat'>` to its peer's bare JID with a per-sender sequence and the send stamp
// (µs on this process's clock) in the body. XMPP without XEP-0198 has no server ack, so the
// receiver stands in for it: a delivery counts as the sender's ack (stats.acked, onAcked), which
// makes the closed-loop window "W sent and not yet delivered", like Magpie's --refill deliver.

import { latencyRecord } from './histogram.js';
import { nowUs } from './chat_user.js';
import type { AckedHook, ChatSender, ChatStats } from './chat_user.js';
import { XmppLink } from './xmpp_link.js';
import type { XmppLogin } from './xmpp_link.js';
import { xmppAttr, xmppChildText, xmppEscape } from './xmpp_stream.js';

export interface XmppChatUserOptions {
  /** Bare JID. */
  readonly jid: string;
  /** The peer's bare JID, or null for a receiver only. */
  readonly target: string | null;
  readonly text: string;
  readonly stats: ChatStats;
  readonly onAcked: AckedHook;
  /** Every XMPP user of this generator by bare JID: a receiver finds its sender here. */
  readonly users: Map<string, XmppChatUser>;
}

export class XmppChatUser implements ChatSender {
  inFlight = 0;
  private readonly link: XmppLink;
  private readonly opts: XmppChatUserOptions;
  private readonly head: string;
  private readonly tail: string;
  private seq = 0;
  /** Receiver side: the last sequence seen from each sender. */
  private readonly lastSeqFrom = new Map<string, number>();

  constructor(link: XmppLink, opts: XmppChatUserOptions) {
    this.link = link;
    this.opts = opts;
    const to = opts.target === null ? '' : xmppEscape(opts.target);
    this.head = `<message type='chat' to='${to}'><body>`;
    this.tail = ` ${xmppEscape(opts.text)}</body></message>`;
    opts.users.set(opts.jid, this);
    link.onStanza = (stanza) => this.stanzaReceived(stanza);
  }

  /** Logs in; `onLost` hears of a connection lost after that. */
  static async open(login: XmppLogin, opts: XmppChatUserOptions,
    onLost: (reason: string) => void): Promise<{ user: XmppChatUser; close: () => void }> {
    const link = await XmppLink.open(login);
    link.onClose = onLost;
    return { user: new XmppChatUser(link, opts), close: () => link.close() };
  }

  send(stampUs: number): void {
    if (this.opts.target === null) throw new Error(`${this.opts.jid} is not a sender`);
    this.inFlight++;
    this.opts.stats.sent++;
    this.link.write(`${this.head}${++this.seq} ${Math.floor(stampUs)}${this.tail}`);
  }

  /** The receiver got our message: the stand-in for a server ack. */
  private delivered(): void {
    this.inFlight--;
    this.opts.stats.acked++;
    this.opts.onAcked(this);
  }

  private stanzaReceived(stanza: string): void {
    if (!stanza.startsWith('<message')) return; // presence and iq results are not counted
    const { stats } = this.opts;
    if (xmppAttr(stanza, 'type') === 'error') {
      stats.errors++;
      return;
    }
    const body = xmppChildText(stanza, 'body');
    const from = xmppAttr(stanza, 'from');
    if (body === null || from === null) return;
    const space = body.indexOf(' ');
    const seq = Number(body.slice(0, space));
    const stampUs = Number(body.slice(space + 1, body.indexOf(' ', space + 1)));
    const slash = from.indexOf('/');
    const bare = slash < 0 ? from : from.slice(0, slash);
    const last = this.lastSeqFrom.get(bare) ?? 0;
    if (seq !== last + 1) stats.gaps++;
    if (seq > last) this.lastSeqFrom.set(bare, seq);
    stats.delivered++;
    if (stats.measuring) latencyRecord(stats.deliverHist, nowUs() - stampUs);
    this.opts.users.get(bare)?.delivered();
  }
}
