// The groups feature's messages between shards, as plain data (structured clone): the commands a
// group's owner shard serves, the questions every shard answers (gathers) and the idempotent
// state ops a member's shard applies. Types only; the handlers live in the group_*.ts files.

import type { ErrorCode } from '../errors.js';
import type { SendRequest } from '../protocol/requests.js';
import type { ReplyTo } from '../router/effects.js';
import type { StoredMessage } from '../store/records.js';

/** Group member types (PROTOCOL.md §6). */
export const MemberType = { NORMAL: 0, MANAGER: 1, OWNER: 2, SILENT: 3, REMOVED: 4 } as const;
export type MemberType = (typeof MemberType)[keyof typeof MemberType];

/** GMI fields (PROTOCOL.md §6). */
export const GroupField = { NAME: 0, PORTRAIT: 1, EXTRA: 2 } as const;
export type GroupField = (typeof GroupField)[keyof typeof GroupField];

export interface MemberWanted {
  readonly uid: string;
  /** NORMAL or MANAGER: what the creator asked for. */
  readonly type: MemberType;
}

/** One change of a group, as decoded from a request; `operator` is carried by the command. */
export type GroupChange =
  | {
      readonly type: 'create';
      readonly gid: string;
      readonly name: string;
      readonly portrait: string;
      readonly groupType: number;
      readonly extra: string;
      readonly members: readonly MemberWanted[];
    }
  | { readonly type: 'add'; readonly gid: string; readonly uids: readonly string[] }
  | { readonly type: 'kick'; readonly gid: string; readonly uids: readonly string[] }
  | { readonly type: 'quit'; readonly gid: string }
  | { readonly type: 'dismiss'; readonly gid: string }
  | {
      readonly type: 'modify';
      readonly gid: string;
      readonly field: GroupField;
      readonly value: string;
    }
  | {
      readonly type: 'managers';
      readonly gid: string;
      readonly uids: readonly string[];
      readonly on: boolean;
    }
  | { readonly type: 'transfer'; readonly gid: string; readonly uid: string }
  | {
      readonly type: 'muteMembers';
      readonly gid: string;
      readonly uids: readonly string[];
      readonly on: boolean;
    }
  | { readonly type: 'muteAll'; readonly gid: string; readonly on: boolean };

/** GPGI entry (PROTOCOL.md §7). */
export interface GroupInfoWire {
  readonly target: string;
  readonly name: string;
  readonly portrait: string;
  readonly owner: string;
  readonly type: number;
  readonly memberCount: number;
  readonly extra: string;
  readonly updateDt: number;
}

/** A question every concerned shard answers about what it owns. */
export type GatherQuery =
  | { readonly type: 'infos'; readonly gids: readonly string[] }
  /** Which of these users already belong to GROUPS_PER_USER_MAX groups? */
  | { readonly type: 'full'; readonly uids: readonly string[] };

export type GatherPart =
  | { readonly type: 'infos'; readonly infos: readonly GroupInfoWire[] }
  | { readonly type: 'full'; readonly uids: readonly string[] };

export type GroupsCommand =
  | {
      readonly feature: 'groups';
      readonly kind: 'change';
      readonly replyTo: ReplyTo;
      readonly subSignal: number;
      readonly operator: string;
      readonly change: GroupChange;
    }
  | {
      readonly feature: 'groups';
      readonly kind: 'send';
      readonly replyTo: ReplyTo;
      readonly from: string;
      readonly fromDevice: string;
      readonly request: SendRequest;
    }
  | {
      readonly feature: 'groups';
      readonly kind: 'members';
      readonly replyTo: ReplyTo;
      readonly gid: string;
      readonly uid: string;
      readonly version: number;
    }
  | {
      readonly feature: 'groups';
      readonly kind: 'gatherAsk';
      readonly origin: number;
      readonly requestId: number;
      readonly query: GatherQuery;
    }
  | {
      readonly feature: 'groups';
      readonly kind: 'gatherAnswer';
      readonly from: number;
      readonly requestId: number;
      readonly part: GatherPart;
    };

/** Applied on the shard of `owner` (a uid): that user's own list of groups. */
export type GroupsStateOp =
  | {
      readonly feature: 'groups';
      readonly kind: 'joined';
      readonly gid: string;
      readonly atMs: number;
    }
  | { readonly feature: 'groups'; readonly kind: 'left'; readonly gid: string };

/** What one planned change commits: its notices (in order) to `receivers`, and who joined or
 * left (their own group lists follow). */
export interface ChangePlan {
  readonly notices: readonly StoredMessage[];
  readonly receivers: readonly string[];
  readonly joined: readonly string[];
  readonly left: readonly string[];
}

/** A planner's verdict: a plan, an error code, or 'unchanged' (success with nothing to do). */
export type Planned = ChangePlan | ErrorCode | 'unchanged';
