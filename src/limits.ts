// Every bound Magpie enforces, with its unit last and why. Relations between limits are
// asserted at load so a bad edit fails at start, not under load.

import { assert } from './errors.js';

// --- Frames and connections ---
/** Largest native frame body; a longer declared length closes the connection before allocating. */
export const FRAME_BODY_BYTES_MAX = 1024 * 1024;
/** Nesting levels accepted in a frame body. Every protocol content is at most four levels
 * deep; deeper input is an attack on the recursion of the decoder and its consumers. */
export const BODY_DEPTH_MAX = 32;
/** Native frame header size, fixed by the protocol. */
export const FRAME_HEADER_BYTES = 10;
/** Largest WebSocket message; a larger one closes the connection with 1009 (PROTOCOL.md §9). */
export const WS_MESSAGE_BYTES_MAX = FRAME_BODY_BYTES_MAX + FRAME_HEADER_BYTES;
/** uWS drops the connection (no close frame) past this; between the two, JS answers 1009. */
export const WS_MESSAGE_BYTES_HARD_MAX = 2 * WS_MESSAGE_BYTES_MAX;
/** Bytes buffered for a slow reader before the connection is cut (never buffer without bound). */
export const SEND_BUFFER_BYTES_MAX = 4 * 1024 * 1024;
/** A connection must CONNECT within this time, or it is closed (slowloris). */
export const AUTH_DEADLINE_MS = 10_000;
/** Idle WebSocket (compat) connections are closed after this silence (PROTOCOL.md §9). */
export const WS_IDLE_TIMEOUT_MS = 60_000;
/** Native connections before their first PING are closed after this silence. */
export const NATIVE_IDLE_BEFORE_PING_MS = 120_000;
/** Native connections are closed after their declared PING interval plus this grace. */
export const NATIVE_IDLE_GRACE_MS = 60_000;
/** Largest PING interval a client may declare. */
export const PING_INTERVAL_MS_MAX = 10 * 60_000;
/** Malformed frames tolerated per connection before it is closed as abusive. */
export const MALFORMED_FRAMES_MAX = 16;
/** Online devices (connections) per user; the oldest is not evicted, the new one is refused. */
export const DEVICES_PER_USER_MAX = 16;

// --- Messages ---
/** Largest encoded message content (text, binary, urls together). */
export const MESSAGE_CONTENT_BYTES_MAX = 64 * 1024;
/** Longest client message id kept for dedupe. */
export const CLIENT_MESSAGE_ID_CHARS_MAX = 64;
/** Longest device id. */
export const DEVICE_ID_CHARS_MAX = 64;
/** Longest user id. */
export const USER_ID_CHARS_MAX = 64;
/** Bytes of messages in one MP (pull) answer (PROTOCOL.md §6: ~1 MiB pages). */
export const PULL_PAGE_BYTES_MAX = 1024 * 1024;
/** Entries in one MP answer, whatever their size. */
export const PULL_PAGE_ENTRIES_MAX = 1000;
/** Estimated bytes (`entrySizeEstimate`) of timeline entries an MN may carry inline to a native
 * client (PROTOCOL.md §8.1): small messages need no MP round trip, large ones are pulled. */
export const MN_INLINE_BYTES_MAX = 4 * 1024;
/** Messages in one LRM (history) answer. */
export const HISTORY_PAGE_ENTRIES_MAX = 100;
/** How long a client message id is remembered for retries (dedupe). */
export const DEDUPE_WINDOW_MS = 7 * 24 * 3600_000;
/** Dedupe keys examined per sweep tick (bounded work per turn). */
export const DEDUPE_SWEEP_KEYS_PER_TICK = 10_000;
/** How often a slice of the dedupe table is swept. */
export const DEDUPE_SWEEP_INTERVAL_MS = 10_000;

// --- Actors and mesh ---
/** Commands queued in one actor's mailbox; beyond it the sender gets MAILBOX_FULL. */
export const MAILBOX_COMMANDS_MAX = 1024;
/** Mailbox items an actor runtime drains per event-loop turn before yielding. */
export const DRAIN_ITEMS_PER_TURN_MAX = 4096;
/** An actor with an empty mailbox and no sessions is passivated after this idle time. */
export const ACTOR_IDLE_MS = 60_000;
/** Envelopes in one mesh batch (one postMessage); larger turns are split. */
export const MESH_BATCH_ENVELOPES_MAX = 4096;
/** Outbox deliveries not confirmed within this time are resent (a restarted peer gets them at
 * once; this is the safety net)... */
export const OUTBOX_RETRY_MS = 2_000;
/** ... and the wait doubles while the oldest stays unconfirmed, up to this. */
export const OUTBOX_RETRY_MAX_MS = 32_000;

// --- Store ---
/** LMDB transactions of one shard waiting for their fsync at once; new writes wait and join
 * the next one (group commit). 1 = strict alternation; 2 overlaps encoding with the fsync. */
export const COMMITS_IN_FLIGHT_MAX = 2;
/** With no transaction in flight, how long new writes wait for more to join them: at low
 * load it trades up to this much ack latency for several writers per fsync. */
export const COMMIT_WINDOW_MS = 1;
/** Cleanup writes nobody waits for (confirmed outbox rows) ride in the next transaction, or
 * get one of their own after this long. */
export const COMMIT_LAZY_MS = 200;
/** Weight (about one per put: a timeline append, a row) one transaction takes; the rest waits
 * for the next. Its callback blocks the shard thread, ~5 µs per unit. */
export const COMMIT_OPS_MAX = 5_000;
/** LMDB map size per shard (virtual; grows the file only as used). */
export const STORE_MAP_BYTES_DEFAULT = 64 * 1024 * 1024 * 1024;

// --- Auth and HTTP ---
/** Token lifetime. */
export const TOKEN_TTL_MS = 30 * 24 * 3600_000;
/** Login codes expire after this (PROTOCOL.md §5). */
export const LOGIN_CODE_TTL_MS = 5 * 60_000;
/** One login code per mobile per this interval. */
export const LOGIN_CODE_INTERVAL_MS = 60_000;
/** Login codes per mobile per day. */
export const LOGIN_CODES_PER_DAY_MAX = 10;
/** Largest HTTP request body on the control plane. */
export const HTTP_BODY_BYTES_MAX = 64 * 1024;
/** A refused CONNECT repeated with the same credentials is answered from memory this long. */
export const CONNECT_REFUSAL_MEMORY_MS = 60_000;
/** Refused credentials remembered per shard (each entry holds the token text, ≤ ~400 B). */
export const CONNECT_REFUSALS_TRACKED_MAX = 20_000;

// --- Supervisor ---
/** A SIGTERM drain ends by this deadline even if clients are still connected. */
export const SHUTDOWN_DRAIN_MS = 10_000;
/** Restarts of one shard within a minute before the supervisor gives up and exits. */
export const SHARD_RESTARTS_PER_MINUTE_MAX = 10;
/** Partitions in the partition map; fixed for the life of a data directory. */
export const PARTITIONS = 1024;

assert(PULL_PAGE_BYTES_MAX <= FRAME_BODY_BYTES_MAX, 'a pull page must fit in one frame');
assert(MESSAGE_CONTENT_BYTES_MAX * 2 < PULL_PAGE_BYTES_MAX, 'a page holds at least one message');
assert(MN_INLINE_BYTES_MAX < FRAME_BODY_BYTES_MAX, 'an MN with its inline entry fits a frame');
assert(SEND_BUFFER_BYTES_MAX >= 2 * FRAME_BODY_BYTES_MAX, 'a reader can hold two full frames');
assert(PARTITIONS > 0 && (PARTITIONS & (PARTITIONS - 1)) === 0, 'partitions are a power of two');

/** Users named in one message's mentionedTargets. */
export const MENTIONED_TARGETS_MAX = 2000;

// --- Rates (token buckets; over a rate → OVER_FREQUENCY 250) ---
/** Requests per second one connection may make (any kind), sustained. */
export const CONNECTION_REQUESTS_PER_SECOND = 4000;
/** Requests one connection may make in a burst above the sustained rate. */
export const CONNECTION_REQUESTS_BURST = 8000;
/** Messages per second one user may send (all devices together), sustained, by default
 * (config `userSendsPerSecond` changes it: bots and system accounts may need more). */
export const USER_SENDS_PER_SECOND = 2000;
/** The highest `userSendsPerSecond` may be set. */
export const USER_SENDS_PER_SECOND_CEILING = 1_000_000;
/** Seconds of the sustained rate one user may send in a burst above it. */
export const USER_SENDS_BURST_SECONDS = 2;
/** Requests refused for rate on one connection before it is closed as a flooder (4009). */
export const OVER_RATE_REFUSALS_MAX = 10_000;
/** Connections from one IP address to one shard; more are closed at once (close 4008). */
export const CONNECTIONS_PER_IP_MAX = 20_000;

// --- Groups (src/features/group_*.ts; over a limit → INVALID_PARAMETER 251) ---
/** Members of one group, owner included, by default (config `groupMembersMax` changes it). */
export const GROUP_MEMBERS_MAX = 2000;
/** The highest `groupMembersMax` may be set: a notice naming every member must fit a pull page. */
export const GROUP_MEMBERS_CEILING = 5000;
/** Default of config `groupReadFanoutMembersMin`: a group whose send or notice reaches this many
 * receivers switches to read fan-out (one replica per shard, entries materialized for online
 * members and on connect) for the rest of its history; below it, write fan-out is cheaper. */
export const GROUP_READ_FANOUT_MEMBERS_MIN = 300;
/** Read-fan-out entries materialized into one member's timeline per commit; a longer backlog
 * (a member offline for long) is filed over several commits, MN after each. */
export const GROUP_CATCHUP_ENTRIES_MAX = 500;
/** Read-fan-out groups whose member cursors stay loaded per shard; idle ones beyond it are
 * dropped (reloaded from LMDB on use). */
export const GROUP_REPLICAS_CACHED_MAX = 1000;
/** Groups one user belongs to; checked (committed state, so softly under races) before joins. */
export const GROUPS_PER_USER_MAX = 1000;
/** Longest group name. */
export const GROUP_NAME_CHARS_MAX = 128;
/** Longest group portrait (a URL). */
export const GROUP_PORTRAIT_CHARS_MAX = 1024;
/** Longest group `extra` (opaque to the server). */
export const GROUP_EXTRA_CHARS_MAX = 4096;
/** Gids in one GPGI request; more are answered `[]`. */
export const GROUP_INFOS_PER_REQUEST_MAX = 500;
/** Changes and sends of one group waiting for their commit; beyond it MAILBOX_FULL (100). */
export const GROUP_IN_FLIGHT_MAX = 1024;
/** Groups kept loaded in memory per shard; idle ones beyond it are dropped (reloaded on use). */
export const GROUPS_CACHED_MAX = 10_000;
/** A question asked of every shard (GPGI, group counts) is answered with what came by then. */
export const GATHER_TIMEOUT_MS = 3_000;
/** Questions to other shards waiting for answers, per shard; beyond it they fail at once. */
export const GATHERS_PENDING_MAX = 4096;

/** A join request (GJR, or GAM by a normal member of a joinType-1 group) can be accepted for
 * this long; later GJRH answers 19 (overtime) and the next request drops it. */
export const JOIN_REQUEST_TTL_MS = 7 * 24 * 3600_000;
/** Pending (unexpired, unhandled) join requests of one group; one more is 251. Bounds what the
 * owner and managers must review and what GJRP returns. */
export const JOIN_REQUESTS_PENDING_MAX = 500;
/** Join requests kept per group, handled ones included (oldest handled dropped first). */
export const JOIN_REQUESTS_KEPT_MAX = 2000;
/** Requests in one GJRP answer; the client pulls again from the answer's `version`. A page
 * never splits the requests of one GAM (one version), so it may hold up to
 * JOIN_REQUESTS_PENDING_MAX − 1 more. */
export const JOIN_REQUESTS_PULL_MAX = 200;
/** Longest join-request reason. */
export const JOIN_REQUEST_REASON_CHARS_MAX = 256;
/** Longest member alias in a group (GMAL). */
export const GROUP_ALIAS_CHARS_MAX = 64;
/** Groups in one GSR answer (one page). */
export const GROUP_SEARCH_RESULTS_MAX = 20;
/** GSR pages: each shard returns up to pages × results, so the page number is bounded. */
export const GROUP_SEARCH_PAGES_MAX = 5;
/** Name-index keys one shard reads for one GSR: a common prefix costs at most this much. */
export const GROUP_SEARCH_SCAN_MAX = 2000;
/** Name-index keys per group: the whole name and the starts of its first words. */
export const GROUP_NAME_INDEX_KEYS_MAX = 8;

assert(GROUP_MEMBERS_MAX <= MENTIONED_TARGETS_MAX, 'a message can mention every member');
assert(GROUP_MEMBERS_MAX <= GROUP_MEMBERS_CEILING, 'the default member cap is allowed');
assert(GROUP_READ_FANOUT_MEMBERS_MIN >= 2, 'read fan-out needs a group of at least 2');
assert(GROUP_READ_FANOUT_MEMBERS_MIN <= GROUP_MEMBERS_MAX, 'a default-sized group can reach read fan-out');
assert(GROUP_CATCHUP_ENTRIES_MAX <= COMMIT_OPS_MAX, 'one catch-up fits one commit window');
assert(
  GROUP_MEMBERS_CEILING * (USER_ID_CHARS_MAX + 3) * 2 < PULL_PAGE_BYTES_MAX,
  'a notice naming every member (Base64 JSON) fits in a pull page',
);
assert(JOIN_REQUESTS_PENDING_MAX < JOIN_REQUESTS_KEPT_MAX, 'pending requests always fit');
assert(
  (JOIN_REQUESTS_PULL_MAX + JOIN_REQUESTS_PENDING_MAX) *
    (JOIN_REQUEST_REASON_CHARS_MAX + 3 * USER_ID_CHARS_MAX + 64) * 2 < PULL_PAGE_BYTES_MAX,
  'a GJRP answer fits in a pull page',
);
assert(GROUP_NAME_CHARS_MAX * 4 < 1000, 'an indexed group name fits an LMDB key');
assert(
  GROUP_SEARCH_RESULTS_MAX * GROUP_SEARCH_PAGES_MAX <= GROUP_SEARCH_SCAN_MAX,
  'a shard can fill the last page',
);

// --- Friends and users (over a limit → INVALID_PARAMETER 251) ---
/** Friends one user may have; checked on both sides when a request is sent and accepted. */
export const FRIENDS_PER_USER_MAX = 2000;
/** Longest friend-request reason (the greeting shown after acceptance). */
export const FRIEND_REQUEST_REASON_CHARS_MAX = 256;
/** A friend request can be accepted for this long; later FHR answers 19 (overtime). */
export const FRIEND_REQUEST_TTL_MS = 7 * 24 * 3600_000;
/** Friend requests one user keeps per direction (sent, received) within the TTL; bounds FRP. */
export const FRIEND_REQUESTS_PER_USER_MAX = 500;
/** Longest friend alias (FALS). */
export const FRIEND_ALIAS_CHARS_MAX = 64;
/** Users one user may have on their blacklist. */
export const BLACKLIST_PER_USER_MAX = 1000;
/** Longest US keyword. */
export const SEARCH_KEYWORD_CHARS_MAX = 64;
/** Users in one US answer (one page). */
export const SEARCH_RESULTS_MAX = 20;
/** US pages: each shard returns up to pages × results, so the page number is bounded. */
export const SEARCH_PAGES_MAX = 5;
/** Uids in one UPUI request. */
export const USER_INFOS_PER_REQUEST_MAX = 500;
/** A scatter/gather read (US, UPUI) answers with the parts that arrived by then. */
export const USER_GATHER_TIMEOUT_MS = 3_000;
/** Longest display name (indexed for prefix search). */
export const PROFILE_NAME_CHARS_MAX = 64;
/** Longest portrait URL. */
export const PROFILE_URL_CHARS_MAX = 1024;
/** Longest email, address, company or social field. */
export const PROFILE_TEXT_CHARS_MAX = 256;
/** Longest profile extra (client-defined JSON). */
export const PROFILE_EXTRA_CHARS_MAX = 4096;
/** Entries in one MMI request (one per info type at most makes sense). */
export const PROFILE_ENTRIES_MAX = 16;

assert(PROFILE_NAME_CHARS_MAX * 4 < 1000, 'an indexed name fits an LMDB key');
assert(
  SEARCH_RESULTS_MAX * SEARCH_PAGES_MAX <= USER_INFOS_PER_REQUEST_MAX,
  'a shard answers a search in one part',
);

// --- Recall, receipts, conversation list (src/features/recall.ts, receipt*.ts, conversation*.ts)
/** A sender may recall a message for this long after its timestamp; owners and managers of a
 * group may recall any of its messages at any time. Later: NO_RIGHT 248. */
export const RECALL_WINDOW_MS = 2 * 60_000;
/** Group read/delivery cursors are kept in memory on the group's owner shard and written back
 * at most this often (one write per changed (member, group) cursor per flush, however many
 * reports came): a crash forgets at most this much receipt progress, never a message. */
export const RECEIPT_FLUSH_MS = 1_000;
/** Groups whose cursors stay loaded per shard; idle ones beyond it are dropped (reloaded). */
export const RECEIPT_GROUPS_CACHED_MAX = 10_000;
/** Readers listed in one MRP answer about a group message ("who read"). */
export const RECEIPT_READERS_MAX = 2000;
/** Longest conversation draft. */
export const CONVERSATION_DRAFT_CHARS_MAX = 4096;
/** Conversation-list rows a shard keeps decoded (the rows of recently active conversations): each
 * append rewrites its row, and reading it back from LMDB costs a get and a decode. ~1 KiB each.
 * Rows waiting to be written back are not counted (see CONVERSATION_ROWS_DIRTY_MAX). */
export const CONVERSATION_ROWS_CACHED_MAX = 50_000;
/** Rows changed by appends are written back at most this often (one put per changed row per
 * write-back, however many appends changed it); a crash leaves older rows, repaired from the
 * timeline when read. */
export const CONVERSATION_ROWS_WRITEBACK_MS = 1_000;
/** Rows waiting for write-back that start one early (memory bound, ~1 KiB each). */
export const CONVERSATION_ROWS_DIRTY_MAX = 20_000;
/** New timeline entries are stored in the shard's log and held in memory (store/timeline_log.ts)
 * until their per-user index entries are written, once their owner's oldest has waited this
 * long: one page copy per owner per write-back instead of one per transaction. A start
 * re-indexes what a crash left. */
export const TIMELINE_WRITEBACK_MS = 1_000;
/** Entries written back in one transaction (whole owners; it may end a little over): the
 * write-back rides in transactions that acks wait for, so a busy store writes back about twice
 * what the previous transaction appended, plus this many... */
export const TIMELINE_WRITEBACK_ENTRIES_MIN = 64;
/** ... and never more than this (an idle store or a drain writes back this many at once),
 * unless held entries are over TIMELINE_HELD_ENTRIES_MAX. */
export const TIMELINE_WRITEBACK_ENTRIES_MAX = 4_096;
/** Held entries beyond which every owner is written back without waiting, each transaction
 * more than the one before appended (memory bound, ~0.5 KiB each, and the log a start
 * replays). */
export const TIMELINE_HELD_ENTRIES_MAX = 50_000;
/** Timeline heads a shard keeps in memory (~100 B each); a miss reads the table's last key. Heads
 * of users with appends in flight or entries held stay regardless. */
export const TIMELINE_HEADS_CACHED_MAX = 200_000;
/** Newest entries of a conversation looked at when repairing a row a crash left behind. */
export const CONVERSATION_ROW_REPAIR_ENTRIES_MAX = 10_000;
/** Conversations in one conversation-list pull answer; the client pulls again from `version`. */
export const CONVERSATIONS_PULL_MAX = 500;

assert(RECEIPT_READERS_MAX >= GROUP_MEMBERS_MAX, 'an MRP answer can list every member');

// --- Edit, reactions, quotes (src/features/message_edit.ts, reactions.ts) ---
/** A sender may edit its own text message for this long after its timestamp. Later: 248. */
export const EDIT_WINDOW_MS = 24 * 60 * 60_000;
/** (emoji, user) pairs kept per message: every copy carries them, so they stay small. */
export const REACTIONS_PER_MESSAGE_MAX = 64;
/** Longest reaction emoji in UTF-16 units (ZWJ sequences and skin tones take up to ~11). */
export const EMOJI_CHARS_MAX = 16;
/** Longest quoted preview carried in a reply's `quote` (a hint for display, not a copy). */
export const QUOTE_PREVIEW_CHARS_MAX = 200;

assert(
  REACTIONS_PER_MESSAGE_MAX * (EMOJI_CHARS_MAX + USER_ID_CHARS_MAX + 8) * 3 < PULL_PAGE_BYTES_MAX,
  'a message with full reactions fits in one pull page',
);

// --- Chat rooms (src/features/chatroom*.ts; over a limit → INVALID_PARAMETER 251) ---
/** Members of one room: each message is pushed to their online devices (read-fan-out). */
export const CHATROOM_MEMBERS_MAX = 5000;
/** Messages kept per room (its history window, CRH); older ones are deleted as new ones come. */
export const CHATROOM_HISTORY_MAX = 200;
/** Rooms one user has joined; checked (committed state, so softly under races) before joins. */
export const CHATROOM_ROOMS_PER_USER_MAX = 100;
/** Rooms whose members and window keys stay loaded per shard; idle ones beyond it are dropped. */
export const CHATROOMS_CACHED_MAX = 10_000;

assert(CHATROOM_HISTORY_MAX <= PULL_PAGE_ENTRIES_MAX, 'a CRH answer can hold the whole window');
