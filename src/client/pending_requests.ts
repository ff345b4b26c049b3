// Requests in flight on one connection, keyed by request id. Each entry has a timeout and the
// signal its answer must carry; the table is bounded by a limit (one more is refused), and
// `rejectAll` empties it when the connection dies.

import { ErrorCode } from '../errors.js';
import { MagpieError } from './client_error.js';
import { RequestIds } from './request_ids.js';

interface Entry<T> {
  readonly answerSignal: number;
  readonly resolve: (value: T) => void;
  readonly reject: (err: MagpieError) => void;
  readonly timer: NodeJS.Timeout;
}

export interface PendingStarted<T> {
  readonly id: number;
  readonly answer: Promise<T>;
}

export class PendingRequests<T> {
  private readonly entries = new Map<number, Entry<T>>();
  private readonly ids = new RequestIds();
  private readonly limit: number;
  private readonly timeoutMs: number;

  constructor(limit: number, timeoutMs: number) {
    this.limit = limit;
    this.timeoutMs = timeoutMs;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Reserves an id whose answer must carry `answerSignal`; a MagpieError at the limit. */
  start(answerSignal: number): PendingStarted<T> | MagpieError {
    if (this.entries.size >= this.limit) {
      return new MagpieError('limit', ErrorCode.OVER_FREQUENCY, `${this.limit} requests in flight`);
    }
    const id = this.ids.next((candidate) => this.entries.has(candidate));
    if (id === null) {
      return new MagpieError('limit', ErrorCode.OVER_FREQUENCY, 'no free request id');
    }
    const answer = new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.entries.delete(id);
        reject(new MagpieError('timeout', ErrorCode.TIMEOUT, `no answer in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.entries.set(id, { answerSignal, resolve, reject, timer });
    });
    return { id, answer };
  }

  /** Settles the request `id` if it waits for `signal`; false for unknown or mismatched ids. */
  settle(id: number, signal: number, value: T): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined || entry.answerSignal !== signal) return false;
    this.entries.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(value);
    return true;
  }

  /** Rejects one request (e.g. it could not be written). */
  fail(id: number, err: MagpieError): void {
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    this.entries.delete(id);
    clearTimeout(entry.timer);
    entry.reject(err);
  }

  rejectAll(err: MagpieError): void {
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(err);
    }
  }
}
