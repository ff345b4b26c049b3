// Which feature serves which PUBLISH sub-signal. The core (MS, MP, LRM) is served by the session
// router itself; everything else is listed here, one table per feature.

import { SubSignal } from '../protocol/signals.js';
import type { Inbound, Session } from '../transport/session.js';
import type { ShardServices } from '../shard/services.js';
import { friendsPublishHandlers } from './friends.js';
import { groupsPublishHandlers } from './groups.js';
import { chatroomsPublishHandlers } from './chatrooms.js';
import { clpHandle, clsHandle } from './conversations.js';
import { mrHandle } from './recall.js';
import { meHandle } from './message_edit.js';
import { mraHandle } from './reactions.js';
import { receiptsPublishHandlers } from './receipts.js';

/** Serve one request of an authenticated session (session.uid is set). */
export type PublishHandler = (services: ShardServices, session: Session, frame: Inbound) => void;

export const publishHandlers: ReadonlyMap<number, PublishHandler> = new Map([
  ...friendsPublishHandlers,
  ...groupsPublishHandlers,
  ...chatroomsPublishHandlers,
  ...receiptsPublishHandlers,
  [SubSignal.MR, mrHandle],
  [SubSignal.ME, meHandle],
  [SubSignal.MRA, mraHandle],
  [SubSignal.CLP, clpHandle],
  [SubSignal.CLS, clsHandle],
]);
