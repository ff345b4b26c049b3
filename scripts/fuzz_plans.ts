// What one fuzz connection will send, planned up front from its Rng: native frames (an optional
// valid CONNECT, then PUBLISH of every sub-signal, sometimes mutated) or compat texts (an
// optional valid CONNECT, then PUBLISH texts, noise and stray binary). Also the state that
// episodes share: the fuzz users' devices, the counters and the checks' sink.

import { compatPasswordDerive } from '../src/auth/compat_token.js';
import { Signal, subSignalFromName } from '../src/protocol/signals.js';
import {
  CONNECT_SHAPE,
  contentFor,
  subSignalPick,
  treeRandom,
  type FuzzWorld,
} from './fuzz_content.js';
import {
  bodyOf,
  compatNoise,
  compatRandomText,
  compatText,
  frameMutate,
  frameOf,
  noiseBytes,
} from './fuzz_frames.js';
import type { Rng, Tree } from './fuzz_values.js';

/** A fuzz user's logged-in device; an episode holds it exclusively while it runs. */
export interface Credential {
  readonly mobile: string;
  readonly deviceId: string;
  readonly uid: string;
  token: string;
  compatToken: string;
  busy: boolean;
  /** Refused (logged out by a fuzzed DISCONNECT, or revoked): log in again before reuse. */
  stale: boolean;
}

export interface FuzzStats {
  frames: number;
  episodes: number;
  tcpConnections: number;
  wsConnections: number;
  closedByServer: number;
  stalled: number;
  connectAccepted: number;
  connectRefused: number;
  framesReceived: number;
  badServerFrames: number;
  connectErrors: number;
  /** PUB_ACK codes seen (native and compat `{code}`), to see how deep the fuzz got. */
  ackCodes: Record<string, number>;
}

export interface EpisodeContext {
  readonly world: FuzzWorld & { readonly gids: string[] };
  readonly stats: FuzzStats;
  readonly tcpPorts: readonly number[];
  readonly wsPorts: readonly number[];
  readonly subSignalNames: readonly string[];
  /** A server answer that breaks the protocol: kept for the report. */
  bad(detail: string): void;
}

/** What one send carries: Buffers go as bytes (binary messages), strings as text. */
export type Unit = Buffer | string;

function mapTree(entries: readonly (readonly [string, Tree])[]): Tree {
  return { map: entries.map(([key, value]) => ({ key, escaped: false, value })) };
}

function connectContent(rng: Rng, credential: Credential, compat: boolean): Tree {
  const derived = rng.chance(compat ? 0.8 : 0.2)
    ? compatPasswordDerive(credential.compatToken)
    : undefined;
  const password = derived?.ok === true ? derived.value : credential.token;
  return mapTree([
    ['userName', credential.uid],
    ['password', password],
    ['clientIdentifier', credential.deviceId],
  ]);
}

/** Native units: an optional valid CONNECT, then mostly PUBLISH of every sub-signal. */
export function nativePlan(
  rng: Rng,
  ctx: EpisodeContext,
  credential: Credential | undefined,
): Buffer[] {
  const units: Buffer[] = [];
  if (credential !== undefined)
    units.push(frameOf(Signal.CONNECT, 0, 1, bodyOf(rng, connectContent(rng, credential, false))));
  // Signed-in plans stay mostly well-framed, so that most of their frames reach the handlers.
  const mutateChance = credential === undefined ? 0.5 : 0.03;
  const oddSignals = credential === undefined ? 15 : 5;
  for (let count = rng.range(1, 40); count > 0; count--) {
    const messageId = rng.int(0x10000);
    const roll = rng.int(100);
    let frame: Buffer;
    if (roll >= oddSignals) {
      const subSignal = subSignalPick(rng);
      const body = rng.chance(0.05)
        ? Buffer.alloc(0)
        : rng.chance(0.05)
          ? rng.bytes(rng.int(64))
          : bodyOf(rng, contentFor(rng, ctx.world, subSignal));
      frame = frameOf(Signal.PUBLISH, subSignal, messageId, body);
    } else if (roll < 2) {
      // clearSession 1 logs the device out: its credential goes stale and is logged in again.
      const clear = rng.pick<Tree>([0, 1, 1, '1', true, null]);
      frame = frameOf(
        Signal.DISCONNECT,
        0,
        messageId,
        bodyOf(rng, mapTree([['clearSession', clear]])),
      );
    } else if (roll < 3) {
      frame = frameOf(
        Signal.CONNECT,
        0,
        messageId,
        bodyOf(rng, contentFor(rng, ctx.world, CONNECT_SHAPE)),
      );
    } else if (roll < 4) {
      frame = frameOf(
        rng.int(256),
        rng.int(256),
        messageId,
        bodyOf(rng, treeRandom(rng, ctx.world, 3)),
      );
    } else {
      frame = frameOf(
        Signal.PING,
        0,
        messageId,
        bodyOf(rng, mapTree([['interval', treeRandom(rng, ctx.world, 0)]])),
      );
    }
    units.push(rng.chance(mutateChance) ? frameMutate(rng, frame) : frame);
  }
  if (credential === undefined && rng.chance(0.2)) units.push(noiseBytes(rng));
  return units;
}

/** Compat units: an optional valid CONNECT, then PUBLISH texts, noise and stray binary. */
export function compatPlan(
  rng: Rng,
  ctx: EpisodeContext,
  credential: Credential | undefined,
): Unit[] {
  const units: Unit[] = [];
  if (credential !== undefined)
    units.push(compatText(rng, 'CONNECT', 'NONE', 1, connectContent(rng, credential, true)));
  for (let count = rng.range(1, 40); count > 0; count--) {
    const roll = rng.int(100);
    if (roll < 70) {
      const name = rng.pick(ctx.subSignalNames);
      const content = contentFor(rng, ctx.world, subSignalFromName(name) ?? -1);
      units.push(compatText(rng, 'PUBLISH', name, rng.int(0x10000), content));
    } else if (roll < 80) {
      units.push(compatRandomText(rng, ctx.world, ctx.subSignalNames));
    } else if (roll < 90) {
      units.push(compatNoise(rng));
    } else if (roll < 95) {
      units.push(
        `{"signal":"PING","subSignal":"NONE","messageId":${rng.int(70_000)},"content":""}`,
      );
    } else {
      units.push(
        rng.chance(0.5)
          ? noiseBytes(rng)
          : frameOf(Signal.PING, 0, rng.int(0x10000), Buffer.alloc(0)),
      );
    }
  }
  return units;
}
