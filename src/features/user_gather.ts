// Scatter/gather for reads that span shards (US searches every shard, UPUI asks each owner):
// the requester's shard keeps a pending entry per request, each asked shard answers once, and
// the entry finishes with what has arrived when the last part lands or USER_GATHER_TIMEOUT_MS
// passes (a restarting shard costs its part of the answer, never the whole answer).

import { USER_GATHER_TIMEOUT_MS } from '../limits.js';
import type { ShardServices } from '../shard/services.js';
import type { ProfileRecord } from './friend_store.js';

interface Pending {
  remaining: number;
  readonly parts: ProfileRecord[][];
  readonly timer: NodeJS.Timeout;
  readonly finish: (parts: ProfileRecord[][]) => void;
}

interface GatherState {
  nextId: number;
  readonly pending: Map<number, Pending>;
}

const states = new WeakMap<ShardServices, GatherState>();

function stateOf(services: ShardServices): GatherState {
  let state = states.get(services);
  if (state === undefined) {
    state = { nextId: 1, pending: new Map() };
    states.set(services, state);
  }
  return state;
}

/** Start gathering `expected` parts; `finish` runs exactly once. Returns the gather id. */
export function gatherStart(
  services: ShardServices,
  expected: number,
  finish: (parts: ProfileRecord[][]) => void,
): number {
  const state = stateOf(services);
  const id = state.nextId++;
  const timer = setTimeout(() => gatherEnd(state, id), USER_GATHER_TIMEOUT_MS);
  timer.unref();
  state.pending.set(id, { remaining: expected, parts: [], timer, finish });
  return id;
}

/** One shard's part arrived (late parts of finished gathers are dropped). */
export function gatherPart(services: ShardServices, id: number, part: ProfileRecord[]): void {
  const state = stateOf(services);
  const pending = state.pending.get(id);
  if (pending === undefined) return;
  pending.parts.push(part);
  pending.remaining--;
  if (pending.remaining <= 0) gatherEnd(state, id);
}

function gatherEnd(state: GatherState, id: number): void {
  const pending = state.pending.get(id);
  if (pending === undefined) return;
  state.pending.delete(id);
  clearTimeout(pending.timer);
  pending.finish(pending.parts);
}
