// One fuzz episode = one short-lived connection: send the planned units (fuzz_plans.ts) over TCP
// or WebSocket, check whatever the server says (well-formed frames, decodable bodies, compat
// JSON with string content), then half-close (or reset) and wait for the close, within a bound.

import net from 'node:net';
import WebSocket from 'ws';
import { FRAME_BODY_BYTES_MAX, WS_MESSAGE_BYTES_MAX } from '../src/limits.js';
import { ackDecode, bodyDecode } from '../src/protocol/body_codec.js';
import type { Frame } from '../src/protocol/frame.js';
import { FrameReader, frameDecodeOne } from '../src/protocol/native_frame.js';
import { Signal, SubSignal, signalFromName, subSignalFromName } from '../src/protocol/signals.js';
import type { Credential, EpisodeContext, Unit } from './fuzz_plans.js';
import type { Rng } from './fuzz_values.js';

/** An episode whose connection has not closed this long after its last unit is stalled. */
export const EPISODE_CLOSE_TIMEOUT_MS = 10_000;
/** Group ids remembered from GC answers, to aim group requests at real groups. */
const GIDS_KEPT_MAX = 64;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Checks one native frame from the server; notes CONNECT results and learns group ids. */
function nativeInspect(
  ctx: EpisodeContext,
  frame: Frame,
  credential: Credential | undefined,
): void {
  ctx.stats.framesReceived++;
  if (frame.signal === Signal.CONNECT_ACK) {
    connectResult(ctx, frame.subSignal, credential);
    if (frame.body.length > 0 && !bodyDecode(frame.body).ok)
      ctx.bad(`CONNECT_ACK body ${Buffer.from(frame.body).toString('hex').slice(0, 80)}`);
    return;
  }
  if (frame.signal === Signal.PUB_ACK) {
    const ack = ackDecode(frame.body);
    if (!ack.ok)
      return ctx.bad(
        `PUB_ACK ${frame.subSignal} body ${Buffer.from(frame.body).toString('hex').slice(0, 80)}`,
      );
    const codes = ctx.stats.ackCodes;
    codes[ack.value.code] = (codes[ack.value.code] ?? 0) + 1;
    if (frame.subSignal === SubSignal.GC && ack.value.code === 0) gidLearn(ctx, ack.value.result);
    return;
  }
  if (
    frame.signal === Signal.PUBLISH ||
    frame.signal === Signal.PING ||
    frame.signal === Signal.DISCONNECT
  ) {
    if (frame.body.length > 0 && !bodyDecode(frame.body).ok)
      ctx.bad(`signal ${frame.signal} body undecodable`);
    return;
  }
  ctx.bad(`unexpected signal ${frame.signal} from the server`);
}

function connectResult(
  ctx: EpisodeContext,
  subSignal: number,
  credential: Credential | undefined,
): void {
  if (subSignal === SubSignal.CONNECTION_ACCEPTED) {
    ctx.stats.connectAccepted++;
    return;
  }
  ctx.stats.connectRefused++;
  const refusedCredential =
    subSignal === SubSignal.CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD ||
    subSignal === SubSignal.CONNECTION_REFUSED_SESSION_NOT_EXIST;
  if (credential !== undefined && refusedCredential) credential.stale = true;
}

function gidLearn(ctx: EpisodeContext, result: unknown): void {
  const gid =
    typeof result === 'object' && result !== null
      ? (result as Record<string, unknown>)['gid']
      : undefined;
  if (typeof gid !== 'string' && typeof gid !== 'number' && typeof gid !== 'bigint') return;
  const gids = ctx.world.gids;
  if (gids.length >= GIDS_KEPT_MAX) gids.splice(0, 1);
  gids.push(String(gid));
}

/** Checks one compat text from the server: a JSON object with names and string content. */
function compatInspect(
  ctx: EpisodeContext,
  text: string,
  credential: Credential | undefined,
): void {
  ctx.stats.framesReceived++;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return ctx.bad(`compat text not JSON: ${text.slice(0, 80)}`);
  }
  const fields =
    typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const { signal, subSignal, messageId, content } = fields;
  const known =
    typeof signal === 'string' &&
    signalFromName(signal) !== undefined &&
    typeof subSignal === 'string' &&
    subSignalFromName(subSignal) !== undefined;
  if (!known || typeof messageId !== 'number' || typeof content !== 'string') {
    return ctx.bad(`compat frame shape: ${text.slice(0, 120)}`);
  }
  if (content !== '') {
    try {
      JSON.parse(content);
    } catch {
      return ctx.bad(`compat content not JSON: ${content.slice(0, 80)}`);
    }
  }
  if (signal === 'CONNECT_ACK') connectResult(ctx, subSignalFromName(subSignal) ?? 0, credential);
}

/** Splits `bytes` into 1-6 chunks at random points. */
function chunksOf(rng: Rng, bytes: Buffer): Buffer[] {
  const cuts = Array.from({ length: rng.int(6) }, () => rng.int(bytes.length + 1)).sort(
    (a, b) => a - b,
  );
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  chunks.push(bytes.subarray(from));
  return chunks.filter((chunk) => chunk.length > 0);
}

/** Sends native units over one TCP connection as a stream cut at random points. */
export async function tcpEpisode(
  rng: Rng,
  ctx: EpisodeContext,
  units: readonly Buffer[],
  credential?: Credential,
): Promise<void> {
  ctx.stats.tcpConnections++;
  const socket = net.connect(rng.pick(ctx.tcpPorts), '127.0.0.1');
  socket.setNoDelay(true);
  const reader = new FrameReader(FRAME_BODY_BYTES_MAX);
  let serverEnded = false;
  socket.on('data', (chunk: Buffer) => {
    const error = reader.feed(chunk, (frame) => nativeInspect(ctx, frame, credential));
    if (error !== null) {
      ctx.bad(`server byte stream: ${error}`);
      socket.destroy();
    }
  });
  socket.on('end', () => {
    serverEnded = true;
  });
  socket.on('error', () => undefined); // resets and EPIPE after a server close are expected
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const connected = await Promise.race([
    new Promise<boolean>((resolve) => socket.once('connect', () => resolve(true))),
    closed.then(() => false),
  ]);
  if (!connected) {
    ctx.stats.connectErrors++;
    return;
  }
  for (const chunk of chunksOf(rng, Buffer.concat(units))) {
    if (socket.destroyed) break;
    socket.write(chunk);
    if (rng.chance(0.2)) await delay(0);
  }
  await episodeEnd(
    rng,
    ctx,
    closed,
    () => socket.end(),
    () => socket.destroy(),
  );
  if (serverEnded) ctx.stats.closedByServer++;
}

/** Sends units as WebSocket messages: Buffers binary, strings text. */
export async function wsEpisode(
  rng: Rng,
  ctx: EpisodeContext,
  units: readonly Unit[],
  credential?: Credential,
): Promise<void> {
  ctx.stats.wsConnections++;
  const socket = new WebSocket(
    `ws://127.0.0.1:${rng.pick(ctx.wsPorts)}${rng.pick(['/', '/ws', '/x?y=1'])}`,
    {
      perMessageDeflate: false,
      handshakeTimeout: EPISODE_CLOSE_TIMEOUT_MS,
    },
  );
  let serverClosed = false;
  socket.on('message', (raw: WebSocket.RawData, isBinary: boolean) => {
    const data = Buffer.isBuffer(raw)
      ? raw
      : Array.isArray(raw)
        ? Buffer.concat(raw)
        : Buffer.from(raw);
    if (!isBinary) return compatInspect(ctx, data.toString('utf8'), credential);
    const frame = frameDecodeOne(data, FRAME_BODY_BYTES_MAX);
    if (typeof frame === 'string') return ctx.bad(`server binary message: ${frame}`);
    nativeInspect(ctx, frame, credential);
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.once('close', (code: number) => {
    serverClosed = code !== 1000 && code !== 1005;
  });
  const opened = await Promise.race([
    new Promise<boolean>((resolve) => socket.once('open', () => resolve(true))),
    closed.then(() => false),
  ]);
  if (!opened) {
    ctx.stats.connectErrors++;
    return;
  }
  if (rng.chance(0.002)) socket.send(Buffer.alloc(WS_MESSAGE_BYTES_MAX + 1));
  for (const unit of units) {
    if (socket.readyState !== WebSocket.OPEN) break;
    socket.send(unit, { binary: typeof unit !== 'string' });
    if (rng.chance(0.1)) await delay(0);
  }
  await episodeEnd(
    rng,
    ctx,
    closed,
    () => socket.close(1000),
    () => socket.terminate(),
  );
  if (serverClosed) ctx.stats.closedByServer++;
}

/** Closes politely (mostly) or abruptly, and waits for the close within the bound. */
async function episodeEnd(
  rng: Rng,
  ctx: EpisodeContext,
  closed: Promise<void>,
  end: () => void,
  reset: () => void,
): Promise<void> {
  if (rng.chance(0.85)) {
    end();
  } else {
    await Promise.race([delay(rng.int(100)), closed]);
    reset();
  }
  let timer: NodeJS.Timeout | undefined;
  const stalled = await Promise.race([
    closed.then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), EPISODE_CLOSE_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  if (stalled) {
    ctx.stats.stalled++;
    reset();
    await closed;
  }
}
