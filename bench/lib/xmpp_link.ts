// One XMPP client connection of the load generator over raw `net`: stream open, SASL PLAIN,
// stream restart, resource bind, session, initial presence; then stanzas out as text (writes
// corked per event-loop turn) and whole stanzas in through onStanza. Plain TCP only: the peer
// listens on loopback without STARTTLS, as Magpie is measured without TLS.

import net from 'node:net';
import { TurnCork } from '../../src/transport/turn_cork.js';
import { XmppStreamReader, xmppAttr, xmppEscape } from './xmpp_stream.js';

export interface XmppLogin {
  readonly host: string;
  readonly port: number;
  /** Bare JID, user@domain. */
  readonly jid: string;
  readonly password: string;
  readonly resource: string;
  readonly timeoutMs: number;
}

type Waiter = (stanza: string) => boolean;

function streamOpen(domain: string): string {
  return "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
    `xmlns:stream='http://etherx.jabber.org/streams' to='${xmppEscape(domain)}' version='1.0'>`;
}

export class XmppLink {
  /** Stanzas after login (and any that arrive before the login's last step is answered). */
  onStanza: (stanza: string) => void = () => undefined;
  onClose: (reason: string) => void = () => undefined;
  private readonly socket: net.Socket;
  private readonly reader: XmppStreamReader;
  /** Login steps waiting for a stanza; the first that accepts it takes it. */
  private waiters: Waiter[] = [];
  private headerSeen: (() => void) | null = null;
  private readonly cork: TurnCork;
  private closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.cork = new TurnCork(socket);
    this.reader = new XmppStreamReader({
      onHeader: () => this.headerSeen?.(),
      onStanza: (stanza) => this.received(stanza),
      onEnd: (reason) => this.closedBy(reason),
    });
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => this.reader.push(chunk));
    socket.on('error', (err) => this.closedBy(err.message));
    socket.on('close', () => this.closedBy('socket closed'));
  }

  /** Connects and logs in; resolves once bound, in a session, with initial presence sent. */
  static async open(login: XmppLogin): Promise<XmppLink> {
    const socket = net.connect(login.port, login.host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const link = new XmppLink(socket);
    const timer = setTimeout(() => link.close(), login.timeoutMs);
    try {
      await link.login(login);
    } catch (err: unknown) {
      link.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return link;
  }

  private received(stanza: string): void {
    for (let i = 0; i < this.waiters.length; i++) {
      if (this.waiters[i]!(stanza)) {
        this.waiters.splice(i, 1);
        return;
      }
    }
    this.onStanza(stanza);
  }

  private closedBy(reason: string): void {
    if (!this.shut(reason)) return;
    this.socket.destroy();
    this.onClose(reason);
  }

  /** Marks the link closed and fails pending login steps; false if it already was. */
  private shut(reason: string): boolean {
    if (this.closed) return false;
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(`<closed reason='${reason}'/>`);
    return true;
  }

  /** The next stanza starting with one of `prefixes` (and passing `match`), or a rejection. */
  private expect(prefixes: readonly string[], match: (stanza: string) => boolean = () => true):
    Promise<string> {
    return new Promise((resolve, reject) => {
      this.waiters.push((stanza) => {
        if (stanza.startsWith('<closed')) {
          reject(new Error(`connection closed during login: ${stanza}`));
          return true;
        }
        if (stanza.startsWith('<stream:error')) {
          reject(new Error(`stream error during login: ${stanza}`));
          return true;
        }
        if (!prefixes.some((prefix) => stanza.startsWith(prefix)) || !match(stanza)) return false;
        resolve(stanza);
        return true;
      });
    });
  }

  private header(domain: string): Promise<void> {
    const seen = new Promise<void>((resolve) => {
      this.headerSeen = resolve;
    });
    this.write(streamOpen(domain));
    return seen;
  }

  private async iq(id: string, child: string): Promise<void> {
    const answer = this.expect(['<iq'], (stanza) => xmppAttr(stanza, 'id') === id);
    this.write(`<iq type='set' id='${id}'>${child}</iq>`);
    const stanza = await answer;
    if (xmppAttr(stanza, 'type') !== 'result') throw new Error(`iq ${id} failed: ${stanza}`);
  }

  private async login(login: XmppLogin): Promise<void> {
    const domain = login.jid.slice(login.jid.indexOf('@') + 1);
    const user = login.jid.slice(0, login.jid.indexOf('@'));
    let features = this.expect(['<stream:features']);
    await this.header(domain);
    if (!(await features).includes('>PLAIN<')) throw new Error('server does not offer SASL PLAIN');
    const auth = this.expect(['<success', '<failure']);
    const token = Buffer.from(`\0${user}\0${login.password}`).toString('base64');
    this.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${token}</auth>`);
    const outcome = await auth;
    if (!outcome.startsWith('<success')) throw new Error(`SASL PLAIN refused: ${outcome}`);
    this.reader.restart();
    features = this.expect(['<stream:features']);
    await this.header(domain);
    const offered = await features;
    await this.iq('bind', "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
      `${xmppEscape(login.resource)}</resource></bind>`);
    // RFC 6121 dropped sessions; servers that still list one may require it.
    if (offered.includes('urn:ietf:params:xml:ns:xmpp-session')) {
      await this.iq('session', "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>");
    }
    this.write('<presence/>');
  }

  /** Queues `text`; everything written in one event-loop turn leaves in one segment. */
  write(text: string): void {
    if (this.closed) return;
    this.cork.write(text);
  }

  /** Ends the stream; onClose is for losses, so it is not called. */
  close(): void {
    if (this.shut('closed by the client') && !this.socket.destroyed) {
      this.socket.end('</stream:stream>');
    }
  }
}
