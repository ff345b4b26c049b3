// The receiving side of shard-to-shard delivery: append a delivered message to its local
// receivers' timelines once (a receiver that already filed the message is skipped, so resends
// after a restart are harmless), commit, confirm to the source, then notify online devices.

import { ErrorCode } from '../errors.js';
import type { AppliedEnvelope, DeliverEnvelope } from '../router/envelope.js';
import type { ShardServices } from './services.js';
import { notifyAppended } from './notify.js';

export class Deliveries {
  /** `${source}:${linkSeq}` of deliveries whose commit is in flight (dedupe before commit). */
  private readonly applying = new Set<string>();
  private readonly confirmations = new Map<number, number[]>();
  private confirmScheduled = false;

  constructor(private readonly services: ShardServices) {}

  deliver(envelope: DeliverEnvelope): void {
    const { services } = this;
    const key = `${envelope.source}:${envelope.linkSeq}`;
    if (this.applying.has(key)) return;
    const writes: (() => void)[] = [];
    const appended: { owner: string; seq: number }[] = [];
    for (const receiver of envelope.receivers) {
      if (services.partitions.shardOf(receiver) !== services.shardId) continue;
      if (services.timelines.hasMessage(receiver, envelope.message)) continue;
      const append = services.timelines.appendMessage(receiver, envelope.message);
      writes.push(append.write);
      appended.push({ owner: receiver, seq: append.seq });
    }
    if (writes.length === 0) {
      this.confirm(envelope.source, envelope.linkSeq);
      return;
    }
    this.applying.add(key);
    services.commits.add(
      () => {
        for (const write of writes) write();
      },
      (code) => {
        this.applying.delete(key);
        // Unconfirmed deliveries are resent by the source; nothing to undo here.
        if (code !== ErrorCode.OK) return;
        this.confirm(envelope.source, envelope.linkSeq);
        for (const { owner, seq } of appended) services.timelines.committed(owner, seq);
        for (const { owner, seq } of appended) notifyAppended(services, owner, seq, -1);
      },
    );
  }

  private confirm(source: number, linkSeq: number): void {
    const list = this.confirmations.get(source);
    if (list === undefined) this.confirmations.set(source, [linkSeq]);
    else list.push(linkSeq);
    if (!this.confirmScheduled) {
      this.confirmScheduled = true;
      setImmediate(() => this.flushConfirmations());
    }
  }

  private flushConfirmations(): void {
    this.confirmScheduled = false;
    for (const [source, linkSeqs] of this.confirmations) {
      const applied: AppliedEnvelope = { type: 'Applied', from: this.services.shardId, linkSeqs };
      this.services.mesh.send(source, applied);
    }
    this.confirmations.clear();
  }
}
