// Request ids: uint16, 1..REQUEST_ID_MAX, wrapping, never 0 (0 marks server pushes), never an id
// that is still awaiting its answer (a late answer must not settle a newer request).

import { REQUEST_ID_MAX } from './client_limits.js';

export class RequestIds {
  private last: number;

  constructor(start = 0) {
    this.last = start;
  }

  /** The next free id after the last one handed out, or null when every id is in use. */
  next(inUse: (id: number) => boolean): number | null {
    for (let tries = 0; tries < REQUEST_ID_MAX; tries++) {
      this.last = this.last >= REQUEST_ID_MAX ? 1 : this.last + 1;
      if (!inUse(this.last)) return this.last;
    }
    return null;
  }
}
