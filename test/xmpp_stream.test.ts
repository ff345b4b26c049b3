import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  XMPP_STANZA_CHARS_MAX, XmppStreamReader, xmppAttr, xmppChildText, xmppEscape,
} from '../bench/lib/xmpp_stream.js';

interface Seen {
  headers: string[];
  stanzas: string[];
  ends: string[];
}

function reader(): { reader: XmppStreamReader; seen: Seen } {
  const seen: Seen = { headers: [], stanzas: [], ends: [] };
  const r = new XmppStreamReader({
    onHeader: (header) => seen.headers.push(header),
    onStanza: (stanza) => seen.stanzas.push(stanza),
    onEnd: (reason) => seen.ends.push(reason),
  });
  return { reader: r, seen };
}

const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' id='7' version='1.0'>";
const FEATURES = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
  '<mechanism>PLAIN</mechanism></mechanisms></stream:features>';
const MESSAGE = "<message from='a@localhost/r' to='b@localhost' type='chat' x='1>2'>" +
  '<body>12 345 x &gt; y</body></message>';
const STREAM = `${HEADER}${FEATURES}  <presence from='a@localhost/r'/>\n${MESSAGE}`;

test('xmpp stream: header and whole stanzas, whitespace between them dropped', () => {
  const { reader: r, seen } = reader();
  r.push(STREAM);
  assert.deepEqual(seen.headers, [HEADER.slice(HEADER.indexOf('<stream:'))]);
  assert.deepEqual(seen.stanzas, [FEATURES, "<presence from='a@localhost/r'/>", MESSAGE]);
  assert.deepEqual(seen.ends, []);
});

test('xmpp stream: the same stanzas whatever the chunk boundaries', () => {
  for (let size = 1; size <= 7; size++) {
    for (let cut = 0; cut < STREAM.length; cut++) {
      const { reader: r, seen } = reader();
      r.push(STREAM.slice(0, cut));
      for (let at = cut; at < STREAM.length; at += size) r.push(STREAM.slice(at, at + size));
      assert.deepEqual(seen.stanzas, [FEATURES, "<presence from='a@localhost/r'/>", MESSAGE],
        `chunk ${size} after a first cut at ${cut}`);
    }
  }
});

test('xmpp stream: restart expects a new header (stream restart after SASL)', () => {
  const { reader: r, seen } = reader();
  r.push(`${HEADER}<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>`);
  r.restart();
  r.push(`${HEADER}${FEATURES}`);
  assert.equal(seen.headers.length, 2);
  assert.deepEqual(seen.stanzas, ["<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    FEATURES]);
});

test('xmpp stream: </stream:stream> ends the stream, later input is ignored', () => {
  const { reader: r, seen } = reader();
  r.push(`${HEADER}</stream:stream>${MESSAGE}`);
  assert.deepEqual(seen.ends, ['stream closed by the server']);
  assert.deepEqual(seen.stanzas, []);
});

test('xmpp stream: a stanza at XMPP_STANZA_CHARS_MAX passes, one past it ends the stream', () => {
  const open = '<message><body>';
  const close = '</body></message>';
  const fits = `${open}${'x'.repeat(XMPP_STANZA_CHARS_MAX - open.length - close.length)}${close}`;
  const ok = reader();
  ok.reader.push(HEADER);
  ok.reader.push(fits);
  assert.equal(ok.seen.stanzas.length, 1);
  assert.deepEqual(ok.seen.ends, []);
  const big = reader();
  big.reader.push(HEADER);
  big.reader.push(`${open}${'x'.repeat(XMPP_STANZA_CHARS_MAX)}`);
  assert.equal(big.seen.ends.length, 1);
  assert.match(big.seen.ends[0]!, /longer than/);
});

test('xmpp stream: an end tag with no open element is a framing error', () => {
  const { reader: r, seen } = reader();
  r.push(`${HEADER}</message>`);
  assert.deepEqual(seen.ends, ['unbalanced end tag']);
});

test('xmpp attrs: quoted either way, only in the opening tag, missing is null', () => {
  assert.equal(xmppAttr(MESSAGE, 'from'), 'a@localhost/r');
  assert.equal(xmppAttr(MESSAGE, 'x'), '1>2');
  assert.equal(xmppAttr('<iq type="result" id="bind"/>', 'id'), 'bind');
  assert.equal(xmppAttr("<iq type='result'><x id='inner'/></iq>", 'id'), null);
  assert.equal(xmppAttr(MESSAGE, 'id'), null);
  assert.equal(xmppAttr("<m a='>' from='z'><b from='y'/></m>", 'from'), 'z');
  assert.equal(xmppChildText(MESSAGE, 'body'), '12 345 x &gt; y');
  assert.equal(xmppChildText(MESSAGE, 'subject'), null);
  assert.equal(xmppEscape(`a<b>&'"`), 'a&lt;b&gt;&amp;&apos;&quot;');
});
