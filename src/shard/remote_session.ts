// A session whose socket lives on another shard (the one the client happened to reach): the
// owner serves it here and every answer travels back over the mesh as ProxyOut.

import type { Mesh } from '../router/mesh.js';
import { sessionIdNext, type CloseCode, type Profile, type Session } from '../transport/session.js';

export class RemoteSession implements Session {
  readonly id = sessionIdNext();
  uid: string | undefined;
  deviceId: string | undefined;
  closed = false;

  constructor(
    readonly profile: Profile,
    readonly remoteAddress: string,
    readonly landing: number,
    readonly proxyId: number,
    private readonly mesh: Mesh,
    private readonly onClosed: (session: RemoteSession) => void,
  ) {}

  send(data: string | Uint8Array): void {
    if (this.closed) return;
    this.mesh.send(this.landing, { type: 'ProxyOut', proxyId: this.proxyId, data });
  }

  close(code: CloseCode): void {
    if (this.closed) return;
    this.mesh.send(this.landing, { type: 'ProxyEnd', proxyId: this.proxyId, code });
    this.dropped();
  }

  /** The landing side is gone (client closed or landing shard restarted). */
  dropped(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed(this);
  }

  setPingInterval(): void {
    // Idle timeouts are enforced where the socket is.
  }
}
