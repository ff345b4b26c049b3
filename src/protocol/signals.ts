// The wire numbers of the FshareIM protocol (shared/PROTOCOL.md §3). Numbers are fixed forever:
// add new sub-signals in Magpie's extension range 64–127, never renumber.

export const Signal = {
  NONE: 0,
  SUB: 1,
  AUTH: 2,
  PING: 3,
  PUSH: 4,
  CONTACT: 5,
  CONNECT: 6,
  CONNECT_ACK: 7,
  DISCONNECT: 8,
  PUBLISH: 9,
  PUB_ACK: 10,
} as const;
export type Signal = (typeof Signal)[keyof typeof Signal];

export const SubSignal = {
  NONE: 0,
  CONNECTION_ACCEPTED: 1,
  CONNECTION_REFUSED_UNACCEPTABLE_PROTOCOL_VERSION: 2,
  CONNECTION_REFUSED_IDENTIFIER_REJECTED: 3,
  CONNECTION_REFUSED_SERVER_UNAVAILABLE: 4,
  CONNECTION_REFUSED_BAD_USER_NAME_OR_PASSWORD: 5,
  CONNECTION_REFUSED_NOT_AUTHORIZED: 6,
  CONNECTION_REFUSED_UNEXPECT_NODE: 7,
  CONNECTION_REFUSED_SESSION_NOT_EXIST: 8,
  US: 9,
  FAR: 10,
  UPUI: 11,
  FRN: 12,
  FRUS: 13,
  FRP: 14,
  FHR: 15,
  FP: 16,
  MN: 17,
  MS: 18,
  MP: 19,
  FN: 20,
  GC: 21,
  GPGI: 22,
  GPGM: 23,
  GAM: 24,
  GKM: 25,
  GQ: 26,
  GMI: 27,
  MMI: 28,
  GQNUT: 29,
  MR: 30,
  RMN: 31,
  LRM: 32,
  GD: 33,
  GMURL: 34,
  FALS: 35,
  MRN: 36,
  MRP: 37,
  MRR: 38,
  MDR: 39,
  // Magpie extensions (64–127), documented in docs/PROTOCOL.md.
  SYNC: 64,
  // Conversation list (65–67), documented in src/features/conversations.ts.
  /** Pull the conversation list changed after a version: `{version}` → `{version, list}`. */
  CLP: 65,
  /** Set pin / do-not-disturb / draft: `{conversation:{type,target,line}, pinned?, silent?,
   * draft?}` → `{version}`; CLN to the user's devices. */
  CLS: 66,
  /** Push: the user's conversation list changed: `{version}`. */
  CLN: 67,
  // Edit and reactions (68–71), documented in src/features/message_edit.ts and reactions.ts.
  /** Edit an own text message: `{messageUid, content}` → `{editVersion, editedAt}`. */
  ME: 68,
  /** Push: a message was edited: `{fromUser, messageUid, editVersion, editedAt, content}`. */
  MEN: 69,
  /** Add (on 1) or remove (on 0) a reaction: `{messageUid, emoji, on}`. */
  MRA: 70,
  /** Push: a reaction changed: `{fromUser, messageUid, emoji, on}`. */
  MRAN: 71,
  // Chat rooms (72–75), documented in src/features/chatrooms.ts and docs/PROTOCOL.md.
  /** Join a room (created on first join): `{roomId}`. */
  CRJ: 72,
  /** Quit a room: `{roomId}`; 20 when not a member. */
  CRQ: 73,
  /** A room's history window: `{roomId, beforeUid, count}` → `{messageCount,
   * messageResponseList}`, newest first; members only (else 20). */
  CRH: 74,
  /** Room info: `{roomId}` → `{roomId, memberCount, createdMs}`; 253 when it never existed. */
  CRI: 75,
  // Groups (80–95): roles, mute, join requests, alias, search, documented in docs/PROTOCOL.md.
  /** Set (value 1) or unset (0) managers: `{groupId, memberIds, value}`; owner only. */
  GSM: 80,
  /** Transfer ownership: `{groupId, memberId}`; owner only. */
  GTO: 81,
  /** Mute (value 1) or unmute (0) members: `{groupId, memberIds, value}`; owner and managers. */
  GMM: 82,
  /** Mute (value 1) or unmute (0) everyone but owner and managers: `{groupId, value}`. */
  GMA: 83,
  /** Ask to join: `{groupId, reason}` → `{code: 200, status}` (0 pending, 1 joined). */
  GJR: 84,
  /** Push to owner and managers: join requests changed: `{groupId, version}`. */
  GJRN: 85,
  /** Pull join requests changed after a version: `{groupId, version}` → `{version, more,
   * requests}`; owner and managers. */
  GJRP: 86,
  /** Accept (status 1) or reject (2) a join request: `{groupId, memberId, status}`. */
  GJRH: 87,
  /** Set one's own alias in a group: `{groupId, alias}`; notice 111. */
  GMAL: 88,
  /** Search searchable groups by name: `{keyword, page}` → `[GroupInfo]`. */
  GSR: 89,
  /** The user's groups: `{}` → `[{groupId, joinedMs}]`. */
  GMY: 90,
  // Friends (96–103), documented in src/features/friends.ts and docs/PROTOCOL.md.
  /** Delete a friend on both sides: `{targetUid}`; FN to both. */
  FD: 96,
  /** Blacklist add (status 1) or remove (0): `{targetUid, status}`. */
  BL: 97,
  /** Pull the blacklist since a version: `{version}` → `[{uid, state, timestamp}]`. */
  BLP: 98,
} as const;
export type SubSignal = (typeof SubSignal)[keyof typeof SubSignal];

const signalNames = new Map<number, string>(Object.entries(Signal).map(([k, v]) => [v, k]));
const subSignalNames = new Map<number, string>(
  Object.entries(SubSignal).map(([k, v]) => [v, k]),
);
const signalByName = new Map<string, number>(Object.entries(Signal));
const subSignalByName = new Map<string, number>(Object.entries(SubSignal));

export function signalName(signal: number): string | undefined {
  return signalNames.get(signal);
}
export function subSignalName(subSignal: number): string | undefined {
  return subSignalNames.get(subSignal);
}
export function signalFromName(name: string): number | undefined {
  return signalByName.get(name);
}
export function subSignalFromName(name: string): number | undefined {
  return subSignalByName.get(name);
}

/** Message content types (PROTOCOL.md §6). */
export const ContentType = {
  TEXT: 1,
  VOICE: 2,
  IMAGE: 3,
  LOCATION: 4,
  FILE: 5,
  VIDEO: 6,
  STICKER: 7,
  RICH_MEDIA: 8,
  RECALLED: 80,
  TIP: 90,
  TYPING: 91,
  // Group notices (binaryContent: Base64 JSON {g, o, n, ms, m}); 118, 122, 125 as in Wildfire.
  GROUP_CREATE: 104,
  GROUP_ADD: 105,
  GROUP_KICK: 106,
  GROUP_QUIT: 107,
  GROUP_DISMISS: 108,
  GROUP_TRANSFER: 109,
  GROUP_NAME: 110,
  GROUP_MEMBER_ALIAS: 111,
  GROUP_PORTRAIT: 112,
  GROUP_MUTE_ALL: 113,
  GROUP_JOIN_TYPE: 114,
  GROUP_PRIVATE_CHAT: 115,
  GROUP_SEARCHABLE: 116,
  GROUP_SET_MANAGER: 117,
  GROUP_MUTE_MEMBER: 118,
  GROUP_EXTRA: 122,
  /** To the user of a rejected join request only (Wildfire's REJECT_JOIN_GROUP). */
  GROUP_JOIN_REJECTED: 125,
  CALL_START: 400,
  CALL_ACCEPT: 401,
  CALL_END: 402,
  CALL_SIGNAL: 403,
  CALL_MODIFY: 404,
  CALL_ACCEPT_TRANSPARENT: 405,
  CUSTOM_MIN: 1000,
} as const;

/** Transparent content types are pushed to online devices only, never stored, never get a seq. */
export function isTransparentContentType(type: number): boolean {
  return type === ContentType.TYPING || (type >= 401 && type <= 405);
}

export const ConversationType = { PRIVATE: 0, GROUP: 1, CHATROOM: 2, CHANNEL: 3 } as const;
