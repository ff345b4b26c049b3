// State operations that a shard applies for a user or group it owns, whether they come from
// its own commits or from another shard's outbox. Every op is idempotent: an outbox replay
// applies it again with the same result.

import type { Write } from '../store/commit_queue.js';
import type { ShardServices } from '../shard/services.js';
import { assertNever } from '../errors.js';
import { friendsOpApply, type FriendsStateOp } from './friends.js';
import { groupsOpApply, type GroupsStateOp } from './groups.js';
import { conversationReadApply, type ConversationReadOp } from './conversations.js';
import { recallApply, type RecallOp } from './recall.js';
import { receiptSetApply, type ReceiptSetOp } from './receipts.js';
import { editApply, type EditOp } from './message_edit.js';
import { reactionApply, type ReactionOp } from './reactions.js';

export type StateOp = FriendsStateOp | GroupsStateOp | RecallOp | ReceiptSetOp | ConversationReadOp
  | EditOp | ReactionOp;

export interface Applied {
  readonly write?: Write;
  /** Runs after the commit (pushes to online devices). */
  readonly after?: () => void;
}

export function stateOpApply(services: ShardServices, owner: string, op: StateOp): Applied {
  switch (op.feature) {
    case 'friends':
      return friendsOpApply(services, owner, op);
    case 'groups':
      return groupsOpApply(services, owner, op);
    case 'recall':
      return recallApply(services, owner, op);
    case 'receipts':
      return receiptSetApply(services, owner, op);
    case 'conversations':
      return conversationReadApply(services, owner, op);
    case 'edit':
      return editApply(services, owner, op);
    case 'reactions':
      return reactionApply(services, owner, op);
    default:
      return assertNever(op);
  }
}
