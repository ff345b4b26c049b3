// The receiving side of shard-to-shard delivery: apply the effects for local users once (on a
// resend a receiver that already filed a message is skipped and state ops are idempotent, so
// resends after a restart are harmless), commit, confirm to the source, then notify online
// devices.

import { ErrorCode } from '../errors.js';
import type { AppliedEnvelope, DeliverEnvelope } from '../router/envelope.js';
import type { ShardServices } from './services.js';
import { effectsPlanLocal, planNew } from './effects_commit.js';

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
    const plan = planNew();
    effectsPlanLocal(services, envelope.effects, envelope.resent === true, plan);
    if (plan.writes.length === 0) {
      for (const settled of plan.settled) settled(ErrorCode.OK);
      for (const after of plan.after) after();
      this.confirm(envelope.source, envelope.linkSeq);
      return;
    }
    this.applying.add(key);
    services.commits.add(
      () => {
        for (const write of plan.writes) write();
      },
      (code) => {
        this.applying.delete(key);
        for (const settled of plan.settled) settled(code);
        // Unconfirmed deliveries are resent by the source; nothing to undo here.
        if (code !== ErrorCode.OK) return;
        this.confirm(envelope.source, envelope.linkSeq);
        for (const after of plan.after) after();
      },
      plan.writes.length,
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
