// Raw CONNECT attempts for auth tests: one native CONNECT over TCP or one compat CONNECT over
// WebSocket text, returning everything the server said and whether (and how) it closed.

import assert from 'node:assert/strict';
import net from 'node:net';
import WebSocket from 'ws';
import { FRAME_BODY_BYTES_MAX } from '../../src/limits.js';
import { bodyEncode } from '../../src/protocol/body_codec.js';
import type { Frame } from '../../src/protocol/frame.js';
import { FrameReader, frameEncode } from '../../src/protocol/native_frame.js';
import { Signal, SubSignal } from '../../src/protocol/signals.js';

const WAIT_MS = 5_000;

export interface Attempt {
  /** CONNECT_ACK sub-signal. */
  readonly result: number;
  /** Everything the server sent, in order. */
  readonly frames: readonly Frame[];
  /** True if the server closed the connection (only looked for after a refusal). */
  readonly closed: boolean;
}

export function timeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** One native CONNECT over raw TCP; after a refusal waits for the server to close. */
export async function tcpConnect(
  port: number,
  userName: string,
  password: string,
  clientIdentifier: string,
): Promise<Attempt> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const frames: Frame[] = [];
  const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
  let onFrame: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    reader.feed(chunk, (frame) => {
      frames.push({ ...frame, body: Buffer.from(frame.body) });
      onFrame?.();
    });
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await timeout(new Promise((resolve) => socket.once('connect', resolve)), 'tcp connect');
  socket.write(
    frameEncode(Signal.CONNECT, 0, 7, bodyEncode({ userName, password, clientIdentifier })),
  );
  await timeout(
    new Promise<void>((resolve) => {
      onFrame = resolve;
      if (frames.length > 0) resolve();
    }),
    'CONNECT_ACK',
  );
  const ack = frames[0]!;
  assert.equal(ack.signal, Signal.CONNECT_ACK);
  assert.equal(ack.messageId, 7);
  if (ack.subSignal === SubSignal.CONNECTION_ACCEPTED) {
    socket.destroy();
    return { result: ack.subSignal, frames, closed: false };
  }
  await timeout(closed, 'close after refusal');
  return { result: ack.subSignal, frames, closed: true };
}

export interface CompatAttempt {
  readonly subSignal: string;
  readonly content: unknown;
  readonly texts: number;
  readonly closeCode: number | null;
  readonly closeReason: string;
}

/** One compat CONNECT over WebSocket text; waits for the answer and, after a refusal, the close. */
export async function compatConnect(
  port: number,
  userName: string,
  password: string,
  clientIdentifier: string,
): Promise<CompatAttempt> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`);
  socket.on('error', () => undefined);
  const texts: string[] = [];
  let onText: (() => void) | undefined;
  socket.on('message', (data) => {
    texts.push(String(data));
    onText?.();
  });
  let closeCode: number | null = null;
  let closeReason = '';
  const closed = new Promise<void>((resolve) =>
    socket.once('close', (code: number, reason: Buffer) => {
      closeCode = code;
      closeReason = reason.toString();
      resolve();
    }),
  );
  await timeout(new Promise((resolve) => socket.once('open', resolve)), 'ws open');
  const content = { userName, password, clientIdentifier };
  socket.send(JSON.stringify({ signal: 'CONNECT', subSignal: 'NONE', messageId: 5, content }));
  await timeout(
    new Promise<void>((resolve) => {
      onText = resolve;
      if (texts.length > 0) resolve();
    }),
    'compat CONNECT_ACK',
  );
  const answer = JSON.parse(texts[0]!) as {
    signal: string;
    subSignal: string;
    messageId: number;
    content: unknown;
  };
  assert.equal(answer.signal, 'CONNECT_ACK');
  assert.equal(answer.messageId, 5);
  if (answer.subSignal === 'CONNECTION_ACCEPTED') socket.close();
  await timeout(closed, 'ws close');
  return {
    subSignal: answer.subSignal,
    content: answer.content,
    texts: texts.length,
    closeCode,
    closeReason,
  };
}
