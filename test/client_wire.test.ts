import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '../src/errors.js';
import { ackEncode, bodyEncode } from '../src/protocol/body_codec.js';
import { frameDecodeOne, frameEncode } from '../src/protocol/native_frame.js';
import { Signal, SubSignal } from '../src/protocol/signals.js';
import { FRAME_BODY_BYTES_MAX } from '../src/limits.js';
import {
  connectAckDecode,
  pullPageDecode,
  sendAckDecode,
} from '../src/client/decode_answers.js';
import { uidWire } from '../src/client/outgoing.js';
import { COMPAT_FAILURE_CODE, wireCompat } from '../src/client/wire_compat.js';
import { wireNative } from '../src/client/wire_native.js';

function compatIn(text: string) {
  const packet = wireCompat.decodeText(text);
  assert.ok(packet !== null && packet.ok, 'decoded');
  return packet.value;
}

test('wire compat: encode names the signals and keeps 64-bit ids exact as strings', () => {
  const text = wireCompat.encode({
    signal: Signal.PUBLISH, subSignal: SubSignal.LRM, messageId: 7,
    content: { beforeUid: 18446744073709551615n },
  });
  assert.equal(text,
    '{"signal":"PUBLISH","subSignal":"LRM","messageId":7,' +
    '"content":{"beforeUid":"18446744073709551615"}}');
});

test('wire compat: a sub-signal without a name cannot be encoded', () => {
  const packet = { signal: Signal.PUBLISH, subSignal: 120, messageId: 1, content: {} };
  assert.equal(wireCompat.encode(packet), null);
});

test('wire compat: "" is a failure, {"code":200} a success, {"code":16} that code', () => {
  const empty = compatIn('{"signal":"PUB_ACK","subSignal":"MS","messageId":3,"content":""}');
  assert.equal(empty.code, COMPAT_FAILURE_CODE);
  const okAnswer = compatIn(
    '{"signal":"PUB_ACK","subSignal":"FAR","messageId":3,"content":"{\\"code\\":200}"}');
  assert.equal(okAnswer.code, 0);
  const refused = compatIn(
    '{"signal":"PUB_ACK","subSignal":"FAR","messageId":3,' +
    '"content":"{\\"code\\":16,\\"message\\":\\"x\\"}"}');
  assert.equal(refused.code, ErrorCode.FRIEND_REQUEST_ALREADY_SENT);
});

test('wire compat: UPUI "" means no users, not a failure', () => {
  const answer = compatIn('{"signal":"PUB_ACK","subSignal":"UPUI","messageId":3,"content":""}');
  assert.equal(answer.code, 0);
  assert.deepEqual(answer.content, []);
});

test('wire compat: a CONNECT_ACK with string heads decodes', () => {
  const answer = compatIn(
    '{"signal":"CONNECT_ACK","subSignal":"CONNECTION_ACCEPTED","messageId":1,' +
    '"content":"{\\"messageHead\\":\\"5\\",\\"friendHead\\":0}"}');
  assert.equal(answer.subSignal, SubSignal.CONNECTION_ACCEPTED);
  assert.deepEqual(connectAckDecode(answer.content),
    { messageHead: 5, friendHead: 0, friendRequestHead: null, serverTime: null });
});

test('wire compat: malformed text is an error, an unknown sub-signal name is ignored', () => {
  const bad = wireCompat.decodeText('{nope');
  assert.ok(bad !== null && !bad.ok);
  const unknown = '{"signal":"PUBLISH","subSignal":"ZZZ","messageId":0,"content":""}';
  assert.equal(wireCompat.decodeText(unknown), null);
});

test('wire native: PUB_ACK code byte and result, uint64 uid kept exact', () => {
  const uid = 2n ** 60n + 1n;
  const body = ackEncode(0, { messageId: uid, timestamp: 5 });
  const frame = frameEncode(Signal.PUB_ACK, SubSignal.MS, 9, body);
  const decoded = frameDecodeOne(frame, FRAME_BODY_BYTES_MAX);
  assert.ok(typeof decoded !== 'string');
  const packet = wireNative.decodeFrame(decoded);
  assert.ok(packet.ok);
  assert.equal(packet.value.code, 0);
  const ack = sendAckDecode(packet.value.content);
  assert.deepEqual(ack, { messageUid: uid.toString(), timestamp: 5 });
  const refused = wireNative.decodeFrame({
    signal: Signal.PUB_ACK, subSignal: SubSignal.MS, messageId: 9,
    body: ackEncode(ErrorCode.FORBIDDEN_TO_SEND),
  });
  assert.ok(refused.ok);
  assert.equal(refused.value.code, ErrorCode.FORBIDDEN_TO_SEND);
});

test('wire native: an undecodable body is an error, not a throw', () => {
  const packet = wireNative.decodeFrame({
    signal: Signal.PUBLISH, subSignal: SubSignal.MN, messageId: 0, body: Uint8Array.of(0xc1),
  });
  assert.ok(!packet.ok);
});

test('decode: a native MP page reads seq per entry and msgpack binary content as Base64', () => {
  const content = {
    current: 4, head: 9, messageCount: 1,
    messageResponseList: [{
      messageId: 77, seq: 4, from: 'u1', conversationType: 0, target: 'u2', line: 0,
      timestamp: 123,
      content: { type: 1, searchableContent: 'hi', binaryContent: Buffer.from([1, 2]) },
    }],
  };
  const body = ackEncode(0, content);
  const frame = { signal: Signal.PUB_ACK, subSignal: SubSignal.MP, messageId: 2, body };
  const packet = wireNative.decodeFrame(frame);
  assert.ok(packet.ok);
  const page = pullPageDecode(packet.value.content);
  assert.ok(page !== null);
  assert.equal(page.head, 9);
  const message = page.messages[0];
  assert.ok(message !== undefined);
  assert.equal(message.seq, 4);
  assert.equal(message.messageUid, '77');
  assert.equal(message.content.searchableContent, 'hi');
  assert.equal(message.content.binaryContent, 'AQI=');
  assert.deepEqual(message.content.mentionedTargets, []);
});

test('decode: a compat MP page has string ids and no seq', () => {
  const page = pullPageDecode({ current: '3', head: '3', messageCount: 1, messageResponseList: [
    { messageId: '18446744073709551615', from: 'a', conversationType: 1, target: 'g', line: 0,
      timestamp: 1, content: { type: 1 } }] });
  assert.ok(page !== null);
  assert.equal(page.current, 3);
  assert.equal(page.messages[0]?.seq, undefined);
  assert.equal(page.messages[0]?.messageUid, '18446744073709551615');
});

test('decode: a page entry of the wrong shape fails the page', () => {
  const bad = { current: 1, head: 1, messageResponseList: [{ messageId: 'x' }] };
  assert.equal(pullPageDecode(bad), null);
  assert.equal(pullPageDecode('nope'), null);
});

test('outgoing: native uids are numbers while safe, bigint beyond; bad uids are null', () => {
  assert.equal(uidWire('0', 'native'), 0);
  assert.equal(uidWire('', 'native'), 0);
  assert.equal(uidWire('9007199254740993', 'native'), 9007199254740993n);
  assert.equal(uidWire('9007199254740993', 'compat'), '9007199254740993');
  assert.equal(uidWire('18446744073709551616', 'native'), null);
  assert.equal(uidWire('-1', 'native'), null);
});

test('wire native: encode is a frame with a msgpack body', () => {
  const packet = { signal: Signal.PING, subSignal: 0, messageId: 5, content: { interval: 1 } };
  const data = wireNative.encode(packet);
  assert.ok(Buffer.isBuffer(data));
  const frame = frameDecodeOne(data, FRAME_BODY_BYTES_MAX);
  assert.ok(typeof frame !== 'string');
  assert.deepEqual(Buffer.from(frame.body), bodyEncode({ interval: 1 }));
});
