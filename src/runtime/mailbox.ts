// A bounded FIFO of commands for one actor. `push` never blocks and never grows past its bound:
// it answers 'full' and the caller turns that into MAILBOX_FULL for the client.

export type PushResult = 'ok' | 'full';

export class Mailbox<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): PushResult {
    if (this.size >= this.capacity) return 'full';
    this.items.push(item);
    return 'ok';
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    // Compact once the consumed prefix dominates, so memory follows the live size.
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
