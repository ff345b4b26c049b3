// Groups (PROTOCOL.md §7). Being written: this file is the feature's entry point; until its
// handlers land, their sub-signals answer NOT_IMPLEMENTED (254).

import { ErrorCode } from '../errors.js';
import { ackFor } from '../protocol/answers.js';
import type { SendRequest } from '../protocol/requests.js';
import { SubSignal } from '../protocol/signals.js';
import type { ShardServices } from '../shard/services.js';
import type { Session } from '../transport/session.js';
import type { Applied } from './state_ops.js';
import type { PublishHandler } from './registry.js';

export type GroupsStateOp = { readonly feature: 'groups'; readonly kind: 'none' };
export type GroupsCommand = { readonly feature: 'groups'; readonly kind: 'none' };

export function groupsOpApply(_services: ShardServices, _owner: string, _op: GroupsStateOp): Applied {
  return {};
}

export function groupsCommandHandle(_services: ShardServices, _command: GroupsCommand): void {}

export const groupsPublishHandlers: readonly (readonly [number, PublishHandler])[] = [];

/** A group message from a session of this shard: routed to the group's owner shard. */
export function groupSendRoute(
  _services: ShardServices,
  session: Session,
  messageId: number,
  _request: SendRequest,
): void {
  session.send(ackFor(session.profile, SubSignal.MS, messageId, ErrorCode.NOT_IMPLEMENTED));
}
