// Corks a socket for the rest of the event-loop turn on its first write, so the frames a
// load generator writes in one turn leave in one segment instead of one syscall each.

import type net from 'node:net';

export class TurnCork {
  private readonly socket: net.Socket;
  private corked = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
  }

  write(data: Buffer | string): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(data);
  }
}
