// The generic actor runtime: actors with bounded mailboxes, drained in order, a bounded number
// of items per event-loop turn. An actor's handler runs one item at a time and touches only its
// own state; it never sees ports, sockets or timers.

import { DRAIN_ITEMS_PER_TURN_MAX } from '../limits.js';
import { Mailbox, type PushResult } from './mailbox.js';

export interface Actor<C> {
  readonly mailbox: Mailbox<C>;
  handle(command: C): void;
}

export class ActorRuntime<C> {
  private ready: Actor<C>[] = [];
  private readySet = new Set<Actor<C>>();
  private scheduled = false;

  constructor(private readonly onHandlerError: (error: unknown) => void) {}

  tell(actor: Actor<C>, command: C): PushResult {
    const result = actor.mailbox.push(command);
    if (result === 'ok' && !this.readySet.has(actor)) {
      this.readySet.add(actor);
      this.ready.push(actor);
      this.schedule();
    }
    return result;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  /** Drain ready actors round-robin, at most DRAIN_ITEMS_PER_TURN_MAX items this turn. */
  drain(): void {
    this.scheduled = false;
    let budget = DRAIN_ITEMS_PER_TURN_MAX;
    while (budget > 0 && this.ready.length > 0) {
      const round = this.ready;
      this.ready = [];
      for (const actor of round) {
        if (budget === 0) {
          this.ready.push(actor);
          continue;
        }
        const command = actor.mailbox.shift();
        if (command !== undefined) {
          budget--;
          try {
            actor.handle(command);
          } catch (error) {
            this.onHandlerError(error);
          }
        }
        if (actor.mailbox.size > 0) this.ready.push(actor);
        else this.readySet.delete(actor);
      }
    }
    if (this.ready.length > 0) this.schedule();
  }
}
