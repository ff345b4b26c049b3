// The end of a generator's case: wait until every acked message has been delivered. A server
// behind by seconds (an overload case) still delivers; a lost message never does. So the wait
// goes on while deliveries keep coming and gives up only after DRAIN_STALL_MS without one (or
// DRAIN_MS_MAX in all): what is still missing then was not merely late.

/** Longest wait for stragglers, in ms. */
export const DRAIN_MS_MAX = 60_000;
/** Give up after this long with no new delivery, in ms. */
export const DRAIN_STALL_MS = 5_000;
const DRAIN_POLL_MS = 20;

/** Resolves when `settled()`, or when `delivered()` has not grown for `stallMs`, or after
 * `maxMs`; true when settled. */
export async function drainDeliveries(
  settled: () => boolean,
  delivered: () => number,
  stallMs = DRAIN_STALL_MS,
  maxMs = DRAIN_MS_MAX,
): Promise<boolean> {
  const startMs = performance.now();
  let lastCount = delivered();
  let lastProgressMs = startMs;
  while (!settled()) {
    const nowMs = performance.now();
    const count = delivered();
    if (count !== lastCount) {
      lastCount = count;
      lastProgressMs = nowMs;
    }
    if (nowMs - lastProgressMs >= stallMs || nowMs - startMs >= maxMs) return false;
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
  }
  return true;
}
