// The sending side of shard-to-shard delivery. A delivery is written to the outbox in the same
// transaction as the message it belongs to, sent once that commits, and kept (and resent) until
// the destination says it committed it. Link sequences only grow (their high-water mark is
// stored with every outbox write); the destination dedupes by message, so resends are safe.

import { OUTBOX_RETRY_MAX_MS, OUTBOX_RETRY_MS } from '../limits.js';
import type { ShardStore } from '../store/shard_store.js';
import type { Effect } from './effects.js';
import type { DeliverEnvelope } from './envelope.js';
import type { Mesh } from './mesh.js';

/** The delivery to one destination that the transaction being gathered will hold: every effect
 * for that shard planned before the transaction starts joins it (one row, one envelope). */
interface OpenDelivery {
  readonly generation: number;
  readonly envelope: DeliverEnvelope;
  readonly effects: Effect[];
}

interface PendingLink {
  next: number;
  /** Committed, unconfirmed deliveries in linkSeq order. */
  readonly pending: DeliverEnvelope[];
  /** When the head of `pending` was last sent: retry is judged on the oldest delivery. */
  headSentMs: number;
  /** Wait before the next resend: doubles while the head stays unconfirmed (a destination
   * that is only slow would otherwise get everything again every OUTBOX_RETRY_MS and spend
   * its time deduping), back to OUTBOX_RETRY_MS once it confirms. */
  retryMs: number;
}

export class Outbox {
  private readonly links = new Map<number, PendingLink>();
  private readonly open = new Map<number, OpenDelivery>();
  /** Envelopes already sent after their commit (every writer in the transaction reports it). */
  private readonly sent = new WeakSet<DeliverEnvelope>();
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly self: number,
    private readonly store: ShardStore,
    private readonly mesh: Mesh,
    private readonly removeLater: (write: () => void) => void,
  ) {}

  /** Load unconfirmed deliveries left by a previous run; they are sent when links attach. */
  load(): void {
    for (const { key, value } of this.store.outbox.getRange({})) {
      const [destination, linkSeq] = key;
      const link = this.link(destination);
      link.pending.push({
        type: 'Deliver',
        source: this.self,
        linkSeq,
        effects: value.effects,
        resent: true,
      });
      link.next = Math.max(link.next, linkSeq + 1);
    }
    this.retryTimer = setInterval(() => this.retryStale(), OUTBOX_RETRY_MS);
    this.retryTimer.unref();
  }

  private link(destination: number): PendingLink {
    let link = this.links.get(destination);
    if (link === undefined) {
      const stored = this.store.meta.get(`link:${destination}`);
      const next = typeof stored === 'number' ? stored + 1 : 1;
      link = { next, pending: [], headSentMs: 0, retryMs: OUTBOX_RETRY_MS };
      this.links.set(destination, link);
    }
    return link;
  }

  /**
   * Reserve a delivery of `effects`, planned for the transaction `generation` (CommitQueue's).
   * The first reservation for a destination in a transaction returns the write that must join
   * it; later ones in the same transaction ride in that row and envelope (no write). Send the
   * envelope with `committed` after the commit.
   */
  reserve(
    destination: number,
    effects: readonly Effect[],
    generation: number,
  ): { envelope: DeliverEnvelope; write: (() => void) | undefined } {
    const open = this.open.get(destination);
    if (open !== undefined && open.generation === generation) {
      open.effects.push(...effects);
      return { envelope: open.envelope, write: undefined };
    }
    const link = this.link(destination);
    const linkSeq = link.next++;
    const gathered = [...effects];
    const envelope: DeliverEnvelope =
      { type: 'Deliver', source: this.self, linkSeq, effects: gathered };
    this.open.set(destination, { generation, envelope, effects: gathered });
    const store = this.store;
    return {
      envelope,
      // Runs when the transaction starts: no reservation joins after that.
      write: () => {
        store.outbox.put([destination, linkSeq], { effects: gathered });
        store.meta.put(`link:${destination}`, linkSeq);
      },
    };
  }

  /** The delivery's commit succeeded: it is now owed; send it (once per envelope). */
  committed(destination: number, envelope: DeliverEnvelope): void {
    if (this.sent.has(envelope)) return;
    this.sent.add(envelope);
    const link = this.link(destination);
    if (link.pending.length === 0) {
      link.headSentMs = Date.now();
      link.retryMs = OUTBOX_RETRY_MS;
    }
    link.pending.push(envelope);
    this.mesh.send(destination, envelope);
  }

  applied(destination: number, linkSeqs: readonly number[]): void {
    const link = this.links.get(destination);
    if (link === undefined || link.pending.length === 0) return;
    const confirmed = new Set(linkSeqs);
    const headBefore = link.pending[0];
    const kept: DeliverEnvelope[] = [];
    const removed: number[] = [];
    for (const envelope of link.pending) {
      if (confirmed.has(envelope.linkSeq)) removed.push(envelope.linkSeq);
      else kept.push(envelope);
    }
    if (removed.length === 0) return;
    link.pending.splice(0, link.pending.length, ...kept);
    if (link.pending[0] !== headBefore) {
      link.headSentMs = Date.now();
      link.retryMs = OUTBOX_RETRY_MS;
    }
    const store = this.store;
    this.removeLater(() => {
      for (const linkSeq of removed) store.outbox.remove([destination, linkSeq]);
    });
  }

  /** Send every unconfirmed delivery to `destination` from `fromLinkSeq` on, in order. */
  resend(destination: number, fromLinkSeq = 0): void {
    const link = this.links.get(destination);
    if (link === undefined || !this.mesh.isAttached(destination)) return;
    link.headSentMs = Date.now();
    for (const envelope of link.pending) {
      if (envelope.linkSeq < fromLinkSeq) continue;
      const again = envelope.resent === true ? envelope : { ...envelope, resent: true as const };
      this.mesh.send(destination, again);
    }
  }

  /** Deliveries owed and unconfirmed, for metrics and drain. */
  get pendingCount(): number {
    let count = 0;
    for (const link of this.links.values()) count += link.pending.length;
    return count;
  }

  private retryStale(): void {
    const now = Date.now();
    for (const [destination, link] of this.links) {
      if (link.pending.length > 0 && now - link.headSentMs >= link.retryMs) {
        this.resend(destination);
        link.retryMs = Math.min(link.retryMs * 2, OUTBOX_RETRY_MAX_MS);
      }
    }
  }

  close(): void {
    if (this.retryTimer !== undefined) clearInterval(this.retryTimer);
  }
}
