// The reconnect schedule: exponential from a base, capped, with "equal jitter" (half fixed, half
// random) so a server restart is not met by every client in the same millisecond.

import { assert } from '../errors.js';
import { RECONNECT_DELAY_MS_MAX } from './client_limits.js';

/**
 * Delay before reconnect attempt `attempt` (0 = first after a drop): half of
 * min(baseMs * 2^attempt, capMs) plus `random01` times the other half.
 */
export function reconnectDelayMs(
  attempt: number,
  baseMs: number,
  random01: number,
  capMs: number = RECONNECT_DELAY_MS_MAX,
): number {
  assert(Number.isInteger(attempt) && attempt >= 0, 'attempt is a non-negative integer');
  assert(random01 >= 0 && random01 <= 1, 'random01 is in [0, 1]');
  // 2^31 already exceeds any cap in ms; clamping the exponent keeps the arithmetic finite.
  const exponential = baseMs * 2 ** Math.min(attempt, 31);
  const capped = Math.min(Math.max(exponential, 0), capMs);
  return Math.round(capped / 2 + (random01 * capped) / 2);
}
