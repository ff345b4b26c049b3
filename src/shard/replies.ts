// Answers to a session that may live on another shard (a command handled by the owner of a
// user or group answers the requester wherever its socket is), and pushes to users anywhere.

import { ackFor, pushFor } from '../protocol/answers.js';
import type { ReplyTo } from '../router/effects.js';
import type { Inbound, Session } from '../transport/session.js';
import { usersByShard, type ShardServices } from './services.js';

export function replyToOf(services: ShardServices, session: Session, frame: Inbound): ReplyTo {
  return { shard: services.shardId, sessionId: session.id, profile: session.profile, messageId: frame.messageId };
}

/** PUB_ACK for `replyTo` with `code` and (on success) `result`. */
export function reply(
  services: ShardServices,
  replyTo: ReplyTo,
  subSignal: number,
  code: number,
  result?: unknown,
): void {
  const data = ackFor(replyTo.profile, subSignal, replyTo.messageId, code, result);
  if (replyTo.shard === services.shardId) {
    services.sessionById(replyTo.sessionId)?.send(data);
    return;
  }
  services.mesh.send(replyTo.shard, { type: 'SessionSend', sessionId: replyTo.sessionId, data });
}

/** A transient push to every online device of `receivers`, wherever they are owned. */
export function pushToUsers(
  services: ShardServices,
  receivers: readonly string[],
  subSignal: number,
  body: unknown,
): void {
  const { local, remote } = usersByShard(services, receivers);
  for (const [shard, list] of remote) {
    services.mesh.send(shard, { type: 'Push', receivers: list, subSignal, body });
  }
  pushToLocalUsers(services, local, subSignal, body);
}

/** Bodies carry 64-bit ids as bigint; compat gets them as strings from the JSON encoder. */
export function pushToLocalUsers(
  services: ShardServices,
  receivers: readonly string[],
  subSignal: number,
  body: unknown,
): void {
  let native: string | Uint8Array | undefined;
  let compat: string | Uint8Array | undefined;
  for (const receiver of receivers) {
    for (const session of services.sessionsOf(receiver)) {
      if (session.closed) continue;
      if (session.profile === 'native') session.send((native ??= pushFor('native', subSignal, body)));
      else session.send((compat ??= pushFor('compat', subSignal, body)));
    }
  }
}
