// Pushes to a user's online devices: MN after a commit appended to their timeline, and
// transparent messages (typing, call signalling) that are never stored.

import { ackFor, pushFor } from '../protocol/answers.js';
import { SubSignal } from '../protocol/signals.js';
import type { StoredMessage } from '../store/records.js';
import type { Profile } from '../transport/session.js';
import { usersByShard, type ShardServices } from './services.js';
import { messageWire } from './wire.js';

/** Tell every online device of `owner`, except the session that caused it, the new head. */
export function notifyAppended(
  services: ShardServices,
  owner: string,
  seq: number,
  exceptSessionId: number,
): void {
  let compat: string | Uint8Array | undefined;
  let native: string | Uint8Array | undefined;
  for (const session of services.sessionsOf(owner)) {
    if (session.id === exceptSessionId || session.closed) continue;
    if (session.profile === 'native') {
      native ??= pushFor('native', SubSignal.MN, { messageHead: seq, type: 0 });
      session.send(native);
    } else {
      compat ??= pushFor('compat', SubSignal.MN, { messageHead: String(seq), type: 0 });
      session.send(compat);
    }
  }
}

/** Transparent messages go to online devices only, as a PUB_ACK/MP frame with messageId 0. */
export function pushTransparent(
  services: ShardServices,
  message: StoredMessage,
  receivers: readonly string[],
  exceptSessionId: number,
): void {
  const { local, remote } = usersByShard(services, receivers);
  for (const [shard, list] of remote) {
    services.mesh.send(shard, { type: 'Transparent', message, receivers: list });
  }
  transparentToLocal(services, message, local, exceptSessionId);
}

export function transparentToLocal(
  services: ShardServices,
  message: StoredMessage,
  receivers: readonly string[],
  exceptSessionId: number,
): void {
  const encoded = new Map<Profile, string | Uint8Array>();
  for (const receiver of receivers) {
    for (const session of services.sessionsOf(receiver)) {
      if (session.id === exceptSessionId || session.closed) continue;
      let data = encoded.get(session.profile);
      if (data === undefined) {
        const zero = session.profile === 'native' ? 0 : '0';
        const page = {
          current: zero,
          head: zero,
          messageCount: 1,
          messageResponseList: [messageWire(message, session.profile === 'native')],
        };
        data = ackFor(session.profile, SubSignal.MP, 0, 0, page);
        encoded.set(session.profile, data);
      }
      session.send(data);
    }
  }
}
