// What a change must make durable, wherever the users it touches live: timeline appends of a
// message, read-fan-out group posts and state operations owned by a user or group. Effects for
// other shards travel in the outbox (at-least-once) and are applied idempotently there; effects
// for this shard are written in the same commit as the change itself.

import type { StoredMessage } from '../store/records.js';
import type { StateOp } from '../features/state_ops.js';

export interface AppendEffect {
  readonly kind: 'append';
  readonly message: StoredMessage;
  readonly receivers: readonly string[];
  /** The session that caused it is not notified (it has its ack); -1 notifies every device. */
  readonly exceptSessionId: number;
  /** Shard of that session, so a remote shard does not skip a same-numbered session of its own. */
  readonly exceptShard: number;
  /** A group notice for users who are not the group's members (a rejected join request): it is
   * filed in their own timelines even when the group uses read fan-out, whose cursors follow
   * the receivers of every post and would otherwise end for the members left out. */
  readonly direct?: true;
}

/** A read-fan-out group message (conversationType 1, `target` = gid) for `receivers`, the
 * group's members at send time: each shard files it once in its replica of the group timeline
 * and materializes it for the receivers online there (shard/group_timeline.ts). */
export interface GroupPostEffect {
  readonly kind: 'groupPost';
  readonly message: StoredMessage;
  readonly receivers: readonly string[];
  readonly exceptSessionId: number;
  readonly exceptShard: number;
}

export interface StateEffect {
  readonly kind: 'state';
  /** The user or group whose owner shard applies `op`. */
  readonly owner: string;
  readonly op: StateOp;
}

export type Effect = AppendEffect | GroupPostEffect | StateEffect;

/** Where an answer goes: a session on some shard, and the request it answers. */
export interface ReplyTo {
  readonly shard: number;
  readonly sessionId: number;
  readonly profile: 'compat' | 'native';
  readonly messageId: number;
}
