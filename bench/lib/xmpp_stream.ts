// Splits an incoming XMPP stream into the stream header and whole top-level stanzas, as text,
// incrementally and within a bounded buffer: it tracks only tag nesting (quote-aware, so a '>'
// inside an attribute value does not end a tag), never builds a tree. Enough for a load
// generator that reads its own messages back; not a validating XML parser.

/** A stanza (or the text buffered while one is incomplete) longer than this is an error. */
export const XMPP_STANZA_CHARS_MAX = 256 * 1024;

export interface XmppStreamHandlers {
  /** The server's `<stream:stream …>` opening tag. */
  readonly onHeader: (header: string) => void;
  readonly onStanza: (stanza: string) => void;
  /** `</stream:stream>` or a framing error; the link closes after it. */
  readonly onEnd: (reason: string) => void;
}

/** Index of the '>' ending the tag that opens at `from`, or -1 if it has not arrived yet. */
function tagEnd(text: string, from: number): number {
  let quote = 0;
  for (let i = from + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) {
      quote = c;
    } else if (c === 0x3e) {
      return i;
    }
  }
  return -1;
}

export class XmppStreamReader {
  private readonly handlers: XmppStreamHandlers;
  private pending = '';
  /** Next index of `pending` to scan. */
  private at = 0;
  /** 0 before the stream header, 1 between stanzas, > 1 inside one. */
  private depth = 0;
  /** Where the stanza being read starts in `pending`; -1 between stanzas. */
  private stanzaAt = -1;
  private ended = false;

  constructor(handlers: XmppStreamHandlers) {
    this.handlers = handlers;
  }

  /** After SASL success both sides open a new stream: expect a header again. */
  restart(): void {
    this.depth = 0;
    this.stanzaAt = -1;
  }

  push(chunk: string): void {
    if (this.ended) return;
    this.pending += chunk;
    this.scan();
    if (this.ended) return;
    const keepFrom = this.stanzaAt >= 0 ? this.stanzaAt : this.at;
    if (keepFrom > 0) {
      this.pending = this.pending.slice(keepFrom);
      this.at -= keepFrom;
      if (this.stanzaAt >= 0) this.stanzaAt = 0;
    }
    if (this.pending.length > XMPP_STANZA_CHARS_MAX) {
      this.end(`stanza longer than ${XMPP_STANZA_CHARS_MAX} characters`);
    }
  }

  private end(reason: string): void {
    this.ended = true;
    this.pending = '';
    this.handlers.onEnd(reason);
  }

  private scan(): void {
    const text = this.pending;
    while (!this.ended) {
      const lt = text.indexOf('<', this.at);
      if (lt < 0) {
        // Text between stanzas (whitespace keep-alives) is dropped; inside one it is kept
        // from stanzaAt on, and holds no '<' to scan again.
        this.at = text.length;
        return;
      }
      const next = text.charCodeAt(lt + 1);
      if (Number.isNaN(next)) {
        this.at = lt;
        return;
      }
      const close = next === 0x3f ? text.indexOf('?>', lt) : tagEnd(text, lt);
      if (close < 0) {
        this.at = lt;
        return;
      }
      const gt = next === 0x3f ? close + 1 : close;
      this.at = gt + 1;
      if (next === 0x3f || next === 0x21) continue; // <?xml …?>; comments are not expected
      if (next === 0x2f) this.endTag(text, lt, gt);
      else this.startTag(text, lt, gt);
    }
  }

  private startTag(text: string, lt: number, gt: number): void {
    const selfClosing = text.charCodeAt(gt - 1) === 0x2f;
    if (this.depth === 0) {
      this.depth = 1;
      this.handlers.onHeader(text.slice(lt, gt + 1));
      return;
    }
    if (this.depth === 1) {
      if (selfClosing) {
        this.handlers.onStanza(text.slice(lt, gt + 1));
        return;
      }
      this.stanzaAt = lt;
    }
    if (!selfClosing) this.depth++;
  }

  private endTag(text: string, lt: number, gt: number): void {
    if (this.depth <= 1) {
      this.end(text.startsWith('</stream:stream', lt) ? 'stream closed by the server'
        : 'unbalanced end tag');
      return;
    }
    this.depth--;
    if (this.depth === 1) {
      const stanza = text.slice(this.stanzaAt, gt + 1);
      this.stanzaAt = -1;
      this.handlers.onStanza(stanza);
    }
  }
}

/** The value of attribute `name` in the opening tag of `stanza` (no entity decoding). */
export function xmppAttr(stanza: string, name: string): string | null {
  const tagClose = tagEnd(stanza, 0);
  let from = 0;
  for (;;) {
    const at = stanza.indexOf(` ${name}=`, from);
    if (at < 0 || (tagClose >= 0 && at > tagClose)) return null;
    const quoteAt = at + name.length + 2;
    const quote = stanza[quoteAt];
    if (quote === "'" || quote === '"') {
      const endAt = stanza.indexOf(quote, quoteAt + 1);
      return endAt < 0 ? null : stanza.slice(quoteAt + 1, endAt);
    }
    from = quoteAt;
  }
}

/** The text of the first `<name>…</name>` child, or null. */
export function xmppChildText(stanza: string, name: string): string | null {
  const open = stanza.indexOf(`<${name}>`);
  if (open < 0) return null;
  const start = open + name.length + 2;
  const close = stanza.indexOf(`</${name}>`, start);
  return close < 0 ? null : stanza.slice(start, close);
}

/** Escapes text for XML character data and attribute values. */
export function xmppEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}
