// Friends and user profiles (PROTOCOL.md §7): the feature's entry point. Its state ops, its
// commands for other shards and its PUBLISH handlers are listed here; the work is done in
// friend_*.ts (requests, list, blacklist, acceptance) and user_*.ts (profiles, search).
//
// Magpie's additions, in short (docs/PROTOCOL.md has the full reference):
// - FD 96 `{targetUid}` deletes a friend on both sides (FN to both); FP then shows state 1.
// - BL 97 `{targetUid, status}` blocks (1) or unblocks (0); the blocked user's MS to the
//   blocker gets 246 and its FAR 18. BLP 98 `{version}` → `[{uid, state, timestamp}]` (state
//   0 blocked, 1 removed), changes after version.
// - FP state: 0 friend, 1 deleted. FRP lists both directions. FHR status 3 ignores a request
//   (the requester is not told). A request expires after FRIEND_REQUEST_TTL_MS (FHR → 19).
// - FRUS `{version}` marks received requests up to version read (all when absent) and answers
//   `{code:200, unread}`. Versions (FN head, FRN version, timestamps) are ms of the owner
//   shard's friend clock, strictly increasing per shard.

import { assertNever, ErrorCode } from '../errors.js';
import { SubSignal } from '../protocol/signals.js';
import type { ShardServices } from '../shard/services.js';
import {
  blacklistSetApply,
  blHandle,
  blockedBySetApply,
  blpHandle,
  privateSendCheck as blacklistSendCheck,
  type BlacklistSetOp,
  type BlockedBySetOp,
} from './friend_blacklist.js';
import { falsHandle, fdHandle, fpHandle, friendSetApply, type FriendSetOp } from './friend_list.js';
import {
  farHandle,
  fhrHandle,
  frpHandle,
  frusHandle,
  requestReceive,
  requestSetApply,
  type RequestReceiveCommand,
  type RequestSetOp,
} from './friend_requests.js';
import { friendDbs } from './friend_store.js';
import { privateChatCheck } from './group_private_chat.js';
import type { PublishHandler } from './registry.js';
import type { Applied } from './state_ops.js';
import { mmiHandle } from './user_profiles.js';
import {
  upuiHandle,
  userSearchCommandHandle,
  usHandle,
  type UserSearchCommand,
} from './user_search.js';

export type FriendsStateOp = FriendSetOp | RequestSetOp | BlacklistSetOp | BlockedBySetOp;
export type FriendsCommand = RequestReceiveCommand | UserSearchCommand;

export function friendsOpApply(
  services: ShardServices,
  owner: string,
  op: FriendsStateOp,
): Applied {
  switch (op.kind) {
    case 'friendSet':
      return friendSetApply(services, owner, op);
    case 'requestSet':
      return requestSetApply(services, owner, op);
    case 'blacklistSet':
      return blacklistSetApply(services, owner, op);
    case 'blockedBySet':
      return blockedBySetApply(services, owner, op);
    default:
      return assertNever(op);
  }
}

export function friendsCommandHandle(services: ShardServices, command: FriendsCommand): void {
  switch (command.kind) {
    case 'requestReceive':
      return requestReceive(services, command);
    case 'search':
    case 'profilesGet':
    case 'gathered':
      return userSearchCommandHandle(services, command);
    default:
      return assertNever(command);
  }
}

export const friendsPublishHandlers: readonly (readonly [number, PublishHandler])[] = [
  [SubSignal.US, usHandle],
  [SubSignal.UPUI, upuiHandle],
  [SubSignal.MMI, mmiHandle],
  [SubSignal.FAR, farHandle],
  [SubSignal.FRP, frpHandle],
  [SubSignal.FRUS, frusHandle],
  [SubSignal.FHR, fhrHandle],
  [SubSignal.FP, fpHandle],
  [SubSignal.FALS, falsHandle],
  [SubSignal.FD, fdHandle],
  [SubSignal.BL, blHandle],
  [SubSignal.BLP, blpHandle],
];

/** The user's friend-list and received-request versions, for CONNECT_ACK (0: none yet). */
export function friendHeads(
  services: ShardServices,
  uid: string,
): { readonly friendHead: number; readonly requestHead: number } {
  const { userMeta } = friendDbs(services);
  return {
    friendHead: userMeta.get([uid, 'friendHead']) ?? 0,
    requestHead: userMeta.get([uid, 'requestHead']) ?? 0,
  };
}

/** May `from` send a private message to `target`? (blacklist: 246; two normal members of a
 * group without private chat who are not friends: 248) */
export function privateSendCheck(services: ShardServices, from: string, target: string): ErrorCode {
  const blacklisted = blacklistSendCheck(services, from, target);
  if (blacklisted !== ErrorCode.OK) return blacklisted;
  return privateChatCheck(services, from, target);
}
