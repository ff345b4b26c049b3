// Corks a socket for the rest of the current callback on its first write, so the frames written
// in one turn (a commit's acks and pushes, a load generator's sends) leave in one writev instead
// of one syscall each.

import type net from 'node:net';

export class TurnCork {
  private readonly socket: net.Socket;
  private corked = false;

  constructor(socket: net.Socket) {
    this.socket = socket;
  }

  write(data: Uint8Array | string): void {
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
