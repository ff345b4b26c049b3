// Pushes to a user's online devices: MN after a commit appended to their timeline (native
// devices get small entries inline), and transparent messages (typing, call signalling) that
// are never stored.

import { MN_INLINE_BYTES_MAX } from '../limits.js';
import { ackFor, pushFor } from '../protocol/answers.js';
import { SubSignal } from '../protocol/signals.js';
import type { StoredMessage } from '../store/records.js';
import { entrySizeEstimate } from '../store/timelines.js';
import type { Profile } from '../transport/session.js';
import { usersByShard, type ShardServices } from './services.js';
import { messageWire } from './wire.js';

/**
 * Tell every online device of `owner`, except the session that caused it, the new head. When
 * `message` (the entry at `seq`) is given and small, native devices get it inline in the MN
 * (PROTOCOL.md §8.1) and need no pull; compat devices always get the head only.
 */
export function notifyAppended(
  services: ShardServices,
  owner: string,
  seq: number,
  exceptSessionId: number,
  message?: StoredMessage,
): void {
  let compat: string | Uint8Array | undefined;
  let native: string | Uint8Array | undefined;
  for (const session of services.sessionsOf(owner)) {
    if (session.id === exceptSessionId || session.closed) continue;
    if (session.profile === 'native') {
      native ??= pushFor('native', SubSignal.MN, mnNativeBody(seq, message));
      session.send(native);
    } else {
      compat ??= pushFor('compat', SubSignal.MN, { messageHead: String(seq), type: 0 });
      session.send(compat);
    }
  }
}

/** Native MN: the head, plus the entry itself when it is within MN_INLINE_BYTES_MAX. */
function mnNativeBody(seq: number, message: StoredMessage | undefined): object {
  if (message === undefined) return { messageHead: seq, type: 0 };
  if (entrySizeEstimate({ kind: 'message', message }) > MN_INLINE_BYTES_MAX) {
    return { messageHead: seq, type: 0 };
  }
  return { messageHead: seq, type: 0, messageResponseList: [messageWire(message, true, seq)] };
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
