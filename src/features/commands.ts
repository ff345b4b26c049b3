// Requests for the shard that owns a user or group, carried by Command envelopes. Not durable:
// a command lost with a crashed shard leaves the client's request to time out and be retried.

import type { ShardServices } from '../shard/services.js';
import { assertNever } from '../errors.js';
import { friendsCommandHandle, type FriendsCommand } from './friends.js';
import { groupsCommandHandle, type GroupsCommand } from './groups.js';
import { chatroomsCommandHandle, type ChatroomsCommand } from './chatrooms.js';
import { groupRecallServe, type RecallCommand } from './recall.js';
import { receiptsCommandHandle, type ReceiptsCommand } from './receipts.js';
import { groupEditServe, type EditCommand } from './message_edit.js';
import { groupReactServe, type ReactionCommand } from './reactions.js';

export type Command = FriendsCommand | GroupsCommand | RecallCommand | ReceiptsCommand
  | EditCommand | ReactionCommand | ChatroomsCommand;

export function commandHandle(services: ShardServices, command: Command): void {
  switch (command.feature) {
    case 'friends':
      return friendsCommandHandle(services, command);
    case 'groups':
      return groupsCommandHandle(services, command);
    case 'recall':
      return groupRecallServe(services, command);
    case 'receipts':
      return receiptsCommandHandle(services, command);
    case 'edit':
      return groupEditServe(services, command);
    case 'reactions':
      return groupReactServe(services, command);
    case 'chatrooms':
      return chatroomsCommandHandle(services, command);
    default:
      return assertNever(command);
  }
}

/** Run `command` on the shard that owns `ownerId` (here, or over the mesh). */
export function commandSend(services: ShardServices, ownerId: string, command: Command): void {
  const shard = services.partitions.shardOf(ownerId);
  if (shard === services.shardId) commandHandle(services, command);
  else services.mesh.send(shard, { type: 'Command', command });
}
