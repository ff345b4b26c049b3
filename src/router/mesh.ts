// The full mesh between shards: one MessagePort per peer, one postMessage per peer per turn.
// Envelopes to this shard itself skip the port but keep the same turn batching and order.

import type { MessagePort } from 'node:worker_threads';
import { MESH_BATCH_ENVELOPES_MAX } from '../limits.js';
import type { Envelope } from './envelope.js';

export type EnvelopeHandler = (envelope: Envelope) => void;

export class Mesh {
  private readonly ports = new Map<number, MessagePort>();
  private readonly queues = new Map<number, Envelope[]>();
  private scheduled = false;

  constructor(
    readonly self: number,
    private readonly onEnvelope: EnvelopeHandler,
  ) {}

  /** Attach (or replace, after a peer restart) the port to `peer`. */
  attach(peer: number, port: MessagePort): void {
    this.ports.get(peer)?.close();
    this.ports.set(peer, port);
    port.on('message', (batch: Envelope[]) => {
      for (const envelope of batch) this.onEnvelope(envelope);
    });
  }

  detach(peer: number): void {
    this.ports.get(peer)?.close();
    this.ports.delete(peer);
    this.queues.delete(peer);
  }

  isAttached(peer: number): boolean {
    return peer === this.self || this.ports.has(peer);
  }

  send(peer: number, envelope: Envelope): void {
    let queue = this.queues.get(peer);
    if (queue === undefined) {
      queue = [];
      this.queues.set(peer, queue);
    }
    queue.push(envelope);
    if (queue.length >= MESH_BATCH_ENVELOPES_MAX) this.flushPeer(peer, queue);
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    for (const [peer, queue] of this.queues) {
      if (queue.length > 0) this.flushPeer(peer, queue);
    }
  }

  private flushPeer(peer: number, queue: Envelope[]): void {
    const batch = queue.splice(0, queue.length);
    if (peer === this.self) {
      for (const envelope of batch) this.onEnvelope(envelope);
      return;
    }
    // A missing port means the peer is restarting: deliveries stay in the outbox and are
    // resent on reattach; transient envelopes (pushes, proxy frames) are dropped.
    this.ports.get(peer)?.postMessage(batch);
  }

  close(): void {
    for (const port of this.ports.values()) port.close();
    this.ports.clear();
  }
}
