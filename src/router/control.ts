// Messages between the supervisor (main thread) and a shard worker, as tagged unions. Errors
// cross as numeric codes: structured clone drops Error subclasses.

import type { MessagePort } from 'node:worker_threads';
import type { LoopStatsSample } from '../shard/loop_stats.js';
import type { CommitTimesSample } from '../store/commit_times.js';

export type ToShard =
  | { readonly type: 'MeshAttach'; readonly peer: number; readonly port: MessagePort }
  /** A peer restarted: drop what was proxied through it, resend what it is owed. */
  | { readonly type: 'PeerRestarted'; readonly peer: number }
  /** `mobile` creates the user's profile on the owner shard at the first login. */
  | {
      readonly type: 'SessionIssue';
      readonly requestId: number;
      readonly uid: string;
      readonly deviceId: string;
      readonly mobile: string;
    }
  | { readonly type: 'SessionRevoke'; readonly requestId: number; readonly uid: string; readonly deviceId: string }
  /** Admin: ban (CONNECT refused with 3, online sessions closed) or lift the ban. */
  | { readonly type: 'UserBan'; readonly requestId: number; readonly uid: string; readonly banned: boolean }
  /** Stop accepting, tell clients to reconnect elsewhere, settle commits, then report Stopped. */
  | { readonly type: 'Drain' }
  /** Test and chaos hook (dev mode only): throw from inside the shard. */
  | { readonly type: 'Crash' }
  /** Bench hook (dev mode only): a full garbage collection, so heap figures are live data. */
  | { readonly type: 'Collect'; readonly requestId: number };

export interface ShardPorts {
  readonly wsPort: number;
  readonly tcpPort: number;
  /** Set on the shard that bound the shared public ports first (shard 0). */
  readonly publicWsPort: number;
  readonly publicTcpPort: number;
}

/** A shard's report to the supervisor every second; lag, heap and commit timings cover the last
 * second (shard/loop_stats.ts, store/commit_times.ts). */
export interface ShardStats extends LoopStatsSample, CommitTimesSample {
  readonly sessions: number;
  readonly actors: number;
  readonly outboxPending: number;
  /** Conversation-list rows folded in memory and not yet written back. */
  readonly conversationRowsWaiting: number;
  /** Timeline entries held in memory, not yet in their per-user tables (store/timeline_log.ts). */
  readonly timelineEntriesHeld: number;
  /** Timeline heads kept in memory (bounded by TIMELINE_HEADS_CACHED_MAX). */
  readonly timelineHeadsCached: number;
}

export type FromShard =
  | ({ readonly type: 'Listening' } & ShardPorts)
  | { readonly type: 'SessionIssued'; readonly requestId: number; readonly code: number; readonly secret: string }
  | { readonly type: 'SessionRevoked'; readonly requestId: number; readonly code: number }
  | { readonly type: 'UserBanned'; readonly requestId: number; readonly code: number }
  /** code 0, or NOT_IMPLEMENTED when the process runs without --expose-gc. */
  | { readonly type: 'Collected'; readonly requestId: number; readonly code: number }
  | ({ readonly type: 'Stats' } & ShardStats)
  | { readonly type: 'Stopped' };

export interface GroupLimits {
  readonly membersMax: number;
  readonly readFanoutMembersMin: number;
}

/** What a shard worker is started with (workerData). */
export interface ShardBoot {
  readonly shardId: number;
  readonly shardCount: number;
  readonly nodeId: number;
  readonly dataDir: string;
  readonly host: string;
  /** Shared public ports; 0 lets shard 0 pick and the others join the same. */
  readonly publicWsPort: number;
  readonly publicTcpPort: number;
  /** This shard's direct ports (0 = any). */
  readonly wsPort: number;
  readonly tcpPort: number;
  readonly storeMapBytes: number;
  /** Config groupMembersMax and groupReadFanoutMembersMin (PROTOCOL.md §7, §18). */
  readonly groupLimits: GroupLimits;
  /** Config conversationRowsWritebackMs. */
  readonly conversationRowsWritebackMs: number;
  /** Config timelineWritebackMs. */
  readonly timelineWritebackMs: number;
  /** Config userSendsPerSecond. */
  readonly userSendsPerSecond: number;
  readonly tokenKeys: { readonly current: { readonly id: string; readonly secret: Uint8Array }; readonly verifyOnly: readonly { readonly id: string; readonly secret: Uint8Array }[] };
  readonly devMode: boolean;
  /** PEM files for TLS listeners; null = plain. */
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** Id high-water mark floor so that ids keep growing across restarts and clock steps. */
  readonly idFloorMs: number;
}
