// A refused CONNECT repeated with the same credentials — the original web client retries every
// 30 s with the same bad token, a misbehaving one much faster — is answered from memory for a
// minute: no lookup, no HMAC. Different credentials are always checked afresh, so nobody can
// lock a user out by sending bad tokens in their name. The map is bounded.

import { CONNECT_REFUSALS_TRACKED_MAX, CONNECT_REFUSAL_MEMORY_MS } from '../limits.js';

interface Refusal {
  readonly atMs: number;
  readonly verdict: number;
}

export class RefusalThrottle {
  private readonly refusals = new Map<string, Refusal>();

  /** The remembered verdict for exactly these credentials, if refused within the last minute. */
  remembered(uid: string, deviceId: string, password: string, nowMs: number): number | undefined {
    const entry = this.refusals.get(`${uid}\u0000${deviceId}\u0000${password}`);
    if (entry === undefined) return undefined;
    if (nowMs - entry.atMs >= CONNECT_REFUSAL_MEMORY_MS) return undefined;
    return entry.verdict;
  }

  refused(uid: string, deviceId: string, password: string, verdict: number, nowMs: number): void {
    if (this.refusals.size >= CONNECT_REFUSALS_TRACKED_MAX) this.sweep(nowMs);
    this.refusals.set(`${uid}\u0000${deviceId}\u0000${password}`, { atMs: nowMs, verdict });
  }

  /** A new login or a lifted ban: that user's remembered refusals are history. */
  forgetUser(uid: string): void {
    const prefix = `${uid}\u0000`;
    for (const key of this.refusals.keys()) if (key.startsWith(prefix)) this.refusals.delete(key);
  }

  private sweep(nowMs: number): void {
    for (const [key, entry] of this.refusals) {
      if (nowMs - entry.atMs >= CONNECT_REFUSAL_MEMORY_MS) this.refusals.delete(key);
    }
    // Still full of fresh entries: forget the oldest half rather than grow.
    let drop = this.refusals.size >= CONNECT_REFUSALS_TRACKED_MAX ? this.refusals.size / 2 : 0;
    for (const key of this.refusals.keys()) {
      if (drop-- <= 0) break;
      this.refusals.delete(key);
    }
  }
}
