// The groups feature's messages between shards, as plain data (structured clone): the commands a
// group's owner shard serves, the questions every shard answers (gathers) and the idempotent
// state ops a member's shard applies. Types only; the handlers live in the group_*.ts files.

import type { ErrorCode } from '../errors.js';
import type { PrivateChatOp } from './group_private_chat.js';
import type { SendRequest } from '../protocol/requests.js';
import type { ReplyTo } from '../router/effects.js';
import type { StoredMessage } from '../store/records.js';

/** Group member types (PROTOCOL.md §6). */
export const MemberType = { NORMAL: 0, MANAGER: 1, OWNER: 2, SILENT: 3, REMOVED: 4 } as const;
export type MemberType = (typeof MemberType)[keyof typeof MemberType];

/** GMI text fields (PROTOCOL.md §6). */
export const GroupField = { NAME: 0, PORTRAIT: 1, EXTRA: 2 } as const;
export type GroupField = (typeof GroupField)[keyof typeof GroupField];

/** GMI types of the numeric settings (Wildfire's numbering; 3 is mute-all, as GMA). */
export const GroupSetting = { JOIN_TYPE: 4, PRIVATE_CHAT: 5, SEARCHABLE: 6 } as const;
export type GroupSetting = (typeof GroupSetting)[keyof typeof GroupSetting];
export const GMI_MUTE_ALL = 3;

/** joinType: 0 anyone joins (GJR joins at once), 1 joins need owner/manager approval,
 * 2 only the owner and managers add members. */
export const JoinType = { FREE: 0, APPROVAL: 1, CLOSED: 2 } as const;

/** Join request status; EXPIRED is computed when read, never stored. */
export const JoinStatus = { PENDING: 0, ACCEPTED: 1, REJECTED: 2, EXPIRED: 3 } as const;
export type JoinStatus = (typeof JoinStatus)[keyof typeof JoinStatus];

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
  | { readonly type: 'muteAll'; readonly gid: string; readonly on: boolean }
  | {
      readonly type: 'setting';
      readonly gid: string;
      readonly setting: GroupSetting;
      readonly value: number;
    }
  | { readonly type: 'joinRequest'; readonly gid: string; readonly reason: string }
  | {
      readonly type: 'joinHandle';
      readonly gid: string;
      readonly uid: string;
      readonly accept: boolean;
    }
  | { readonly type: 'alias'; readonly gid: string; readonly alias: string };

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
  readonly joinType: number;
  readonly privateChat: number;
  readonly searchable: number;
}

/** A question every concerned shard answers about what it owns. */
export type GatherQuery =
  | { readonly type: 'infos'; readonly gids: readonly string[] }
  /** Which of these users already belong to GROUPS_PER_USER_MAX groups? */
  | { readonly type: 'full'; readonly uids: readonly string[] }
  /** Searchable groups whose name or a word of it starts with `keyword` (lowercase). */
  | { readonly type: 'search'; readonly keyword: string; readonly limit: number };

export type GatherPart =
  | { readonly type: 'infos'; readonly infos: readonly GroupInfoWire[] }
  | { readonly type: 'full'; readonly uids: readonly string[] }
  | { readonly type: 'search'; readonly infos: readonly GroupInfoWire[] };

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
      readonly kind: 'joinRequests';
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

/** Applied on the shard of `owner` (a uid): that user's own list of groups; or, for
 * 'privateChat', that shard's replica of a group's private-chat barrier. */
export type GroupsStateOp =
  | {
      readonly feature: 'groups';
      readonly kind: 'joined';
      readonly gid: string;
      readonly atMs: number;
    }
  | { readonly feature: 'groups'; readonly kind: 'left'; readonly gid: string }
  | PrivateChatOp;

/** What one planned change commits: its notices (in order) to `receivers`, and who joined or
 * left (their own group lists follow). */
export interface ChangePlan {
  readonly notices: readonly StoredMessage[];
  readonly receivers: readonly string[];
  readonly joined: readonly string[];
  readonly left: readonly string[];
  /** The receivers are not members: the notices go to their own timelines whatever the group's
   * fan-out (AppendEffect.direct). */
  readonly direct?: true;
  /** The answer's result (both profiles) instead of `{code: 200}`. */
  readonly result?: unknown;
  /** Runs once the change is durable (transient pushes). */
  readonly after?: () => void;
}

/** A planner's verdict: a plan, an error code, or 'unchanged' (success with nothing to do). */
export type Planned = ChangePlan | ErrorCode | 'unchanged';
