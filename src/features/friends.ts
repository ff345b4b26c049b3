// Friends and user profiles (PROTOCOL.md §7). Being written: this file is the feature's entry
// point; until its handlers land, their sub-signals answer NOT_IMPLEMENTED (254).

import { ErrorCode } from '../errors.js';
import type { ShardServices } from '../shard/services.js';
import type { Applied } from './state_ops.js';
import type { PublishHandler } from './registry.js';

export type FriendsStateOp = { readonly feature: 'friends'; readonly kind: 'none' };
export type FriendsCommand = { readonly feature: 'friends'; readonly kind: 'none' };

export function friendsOpApply(_services: ShardServices, _owner: string, _op: FriendsStateOp): Applied {
  return {};
}

export function friendsCommandHandle(_services: ShardServices, _command: FriendsCommand): void {}

export const friendsPublishHandlers: readonly (readonly [number, PublishHandler])[] = [];

/** May `from` send a private message to `target`? (blacklist: 246) */
export function privateSendCheck(_services: ShardServices, _from: string, _target: string): ErrorCode {
  return ErrorCode.OK;
}
