// Micro benches of the wire codecs: native frames, msgpack bodies, compat JSON. Cases named
// 'ref:' are the alternatives a design choice was measured against, kept to show the margin.

import { Packr } from 'msgpackr';
import { FRAME_BODY_BYTES_MAX } from '../src/limits.js';
import { bodyDecode, bodyEncode } from '../src/protocol/body_codec.js';
import { compatEncode, compatParse } from '../src/protocol/compat_json.js';
import { FrameReader, frameEncode } from '../src/protocol/native_frame.js';
import { Signal, SubSignal } from '../src/protocol/signals.js';
import { BENCH_OPTIONS, benchCasesRun, benchKeep, cliParse } from './lib/cli.js';
import type { BenchCase } from './lib/cli.js';

const ABOUT = `micro_codec: frame, msgpack body and compat JSON codecs, one op at a time.
Usage: node dist/bench/micro_codec.js [options]`;

/** A typical MS content (PROTOCOL.md §6): a short text message in a 1:1 conversation. */
const MS_CONTENT = {
  conversationType: 0,
  target: 'u_1029384756',
  line: 0,
  from: 'u_5647382910',
  content: {
    type: 1,
    searchableContent: 'Are we still on for lunch tomorrow? 明天中午还一起吃饭吗？',
    pushContent: '',
    content: '',
    binaryContent: '',
    mediaType: 0,
    remoteMediaUrl: '',
    mentionedType: 0,
    mentionedTargets: [] as string[],
  },
  messageId: '7c4f3f0e-8d1a-4b8e-9a51-3f2d1c0b9a87',
  timestamp: 1_735_689_600_123,
};

/** An MP answer page of `count` entries, ids as strings (compat) or bigints (native values). */
function mpPage(count: number, ids: 'string' | 'bigint'): unknown {
  const list = [];
  for (let i = 0; i < count; i++) {
    const uid = 123_456_789_012_345_678n + BigInt(i);
    list.push({
      messageId: ids === 'bigint' ? uid : uid.toString(),
      from: MS_CONTENT.from,
      conversationType: 0,
      target: MS_CONTENT.target,
      line: 0,
      timestamp: MS_CONTENT.timestamp + i,
      content: MS_CONTENT.content,
    });
  }
  return { current: '120', head: '120', messageCount: count, messageResponseList: list };
}

function replacerBigint(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
function reviverDrop(key: string, value: unknown): unknown {
  return key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : value;
}

function frameCases(): BenchCase[] {
  const body = bodyEncode(MS_CONTENT);
  const frame = frameEncode(Signal.PUBLISH, SubSignal.MS, 1, body);
  const framesPerChunk = Math.floor((64 * 1024) / frame.length);
  const chunk = Buffer.concat(Array.from({ length: framesPerChunk }, () => frame));
  const mss: Buffer[] = [];
  for (let at = 0; at < chunk.length; at += 1460) mss.push(chunk.subarray(at, at + 1460));
  let frames = 0;
  const onFrame = (): void => {
    frames++;
  };
  return [
    {
      name: `frameEncode (${body.length} B body)`,
      fn: () => benchKeep(frameEncode(Signal.PUBLISH, SubSignal.MS, 1, body)),
      bytesPerOp: frame.length,
    },
    {
      name: `FrameReader.feed 64 KiB chunk, per frame (${frame.length} B)`,
      fn: () => {
        const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
        reader.feed(chunk, onFrame);
        benchKeep(frames);
      },
      opsPerCall: framesPerChunk,
      bytesPerOp: frame.length,
    },
    {
      name: `FrameReader.feed 1460 B chunks, per frame (${frame.length} B)`,
      fn: () => {
        const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
        for (const piece of mss) reader.feed(piece, onFrame);
        benchKeep(frames);
      },
      opsPerCall: framesPerChunk,
      bytesPerOp: frame.length,
    },
  ];
}

function bodyCases(): BenchCase[] {
  const body = bodyEncode(MS_CONTENT);
  const plain = new Packr({ useRecords: false, mapsAsObjects: true });
  return [
    { name: `bodyEncode MS (${body.length} B)`, fn: () => benchKeep(bodyEncode(MS_CONTENT)) },
    { name: `bodyDecode MS (${body.length} B)`, fn: () => benchKeep(bodyDecode(body)) },
    { name: 'ref: msgpackr unpack MS, unchecked', fn: () => benchKeep(plain.unpack(body)) },
  ];
}

function compatCases(): BenchCase[] {
  const frameOf = (content: unknown): string =>
    JSON.stringify({ signal: 'PUBLISH', subSignal: 'MS', messageId: 321, content });
  const textString = frameOf(JSON.stringify(MS_CONTENT));
  const textObject = frameOf(MS_CONTENT);
  const ack = { messageId: '123456789012345678', timestamp: MS_CONTENT.timestamp };
  const ackBig = { messageId: 123_456_789_012_345_678n, timestamp: MS_CONTENT.timestamp };
  const page = mpPage(20, 'string');
  const pageBig = mpPage(20, 'bigint');
  return [
    { name: 'compatParse MS, content as string', fn: () => benchKeep(compatParse(textString)) },
    { name: 'compatParse MS, content as object', fn: () => benchKeep(compatParse(textObject)) },
    {
      name: 'ref: JSON.parse MS with reviver',
      fn: () => benchKeep(JSON.parse(textObject, reviverDrop)),
    },
    { name: 'ref: JSON.parse MS plain', fn: () => benchKeep(JSON.parse(textObject)) },
    {
      name: 'compatEncode MS ack',
      fn: () => benchKeep(compatEncode(Signal.PUB_ACK, SubSignal.MS, 321, ack)),
    },
    {
      name: 'compatEncode MS ack, bigint id',
      fn: () => benchKeep(compatEncode(Signal.PUB_ACK, SubSignal.MS, 321, ackBig)),
    },
    {
      name: 'compatEncode MP page of 20, no bigint',
      fn: () => benchKeep(compatEncode(Signal.PUB_ACK, SubSignal.MP, 321, page)),
    },
    {
      name: 'compatEncode MP page of 20, bigint ids',
      fn: () => benchKeep(compatEncode(Signal.PUB_ACK, SubSignal.MP, 321, pageBig)),
    },
    {
      name: 'ref: stringify MP page of 20 with replacer',
      fn: () => benchKeep(JSON.stringify(JSON.stringify(page, replacerBigint))),
    },
  ];
}

/** LMDB values of the shard store (src/store/shard_store.ts): a timeline entry. lmdb-js packs
 * with msgpackr; without shared structures, records carry their definitions in every value. */
function storeValueCases(): BenchCase[] {
  const entry = {
    kind: 'message',
    message: {
      uid: 123_456_789_012_345_678n,
      from: MS_CONTENT.from,
      fromDevice: 'phone',
      conversationType: 0,
      target: MS_CONTENT.target,
      line: 0,
      timestamp: MS_CONTENT.timestamp,
      content: { type: 1, searchableContent: MS_CONTENT.content.searchableContent },
    },
  };
  const plain = new Packr({ int64AsType: 'bigint', useRecords: false, mapsAsObjects: true });
  const records = new Packr({ int64AsType: 'bigint' });
  const plainBytes = plain.pack(entry);
  const recordBytes = records.pack(entry);
  return [
    { name: `store value pack, plain maps (${plainBytes.length} B)`,
      fn: () => benchKeep(plain.pack(entry)) },
    { name: `ref: store value pack, records (${recordBytes.length} B)`,
      fn: () => benchKeep(records.pack(entry)) },
    { name: 'store value unpack, plain maps', fn: () => benchKeep(plain.unpack(plainBytes)) },
    { name: 'ref: store value unpack, records', fn: () => benchKeep(records.unpack(recordBytes)) },
  ];
}

const options = cliParse(ABOUT, { ...BENCH_OPTIONS });
await benchCasesRun('micro_codec',
  [...frameCases(), ...bodyCases(), ...compatCases(), ...storeValueCases()], options);
