// What the fuzzer says: request contents shaped like each sub-signal's (PROTOCOL.md §6–7) but
// filled with edge values and real ids, and fully random value trees, each bounded in size.
// Everything is drawn from one Rng, so an episode replays from its seed.

import { HEARTBEAT_TEXT } from '../src/protocol/compat_json.js';
import { DANGEROUS_KEYS, type Rng, type Tree, type TreeEntry } from './fuzz_values.js';

/** Ids the generators may use, so that requests reach past "not exist" into real state. */
export interface FuzzWorld {
  /** The fuzz users: targets of most requests. */
  readonly uids: readonly string[];
  /** The liveness users: targeted rarely, to prove they survive being targeted. */
  readonly bystanders: readonly string[];
  /** Group ids learned from GC answers (bounded by the fuzz loop). */
  readonly gids: readonly string[];
}

/** UPUI and GPGI take a bare array of ids. */
const ARRAY_OF_UIDS = 11;
const ARRAY_OF_GIDS = 22;

/** Pass as the sub-signal to get a CONNECT content (userName, password, clientIdentifier). */
export const CONNECT_SHAPE = -1;

/** Keys each known sub-signal reads (PROTOCOL.md §6–7); others get random keys. */
const SHAPES = new Map<number, readonly string[]>([
  [CONNECT_SHAPE, ['userName', 'password', 'clientIdentifier']],
  [9, ['keyword', 'fuzzy', 'page']],
  [10, ['targetUserId', 'reason']],
  [14, ['version']],
  [15, ['targetUid', 'status']],
  [16, ['version']],
  [18, ['conversationType', 'target', 'line', 'from', 'content', 'messageId', 'timestamp']],
  [19, ['messageId', 'type', 'pullType', 'sendMessageCount']],
  [21, ['groupInfo', 'groupMembers']],
  [23, ['groupId', 'version']],
  [24, ['groupId', 'groupMembers']],
  [25, ['groupId', 'memberIds']],
  [26, ['groupId']],
  [27, ['groupId', 'type', 'value']],
  [28, ['type', 'value', 'infoEntries', 'entries']],
  [29, ['mediaType']],
  [30, ['messageUid']],
  [32, ['conversation', 'beforeUid', 'count']],
  [33, ['groupId']],
  [34, ['mediaType', 'key']],
  [35, ['targetUserId', 'reason']],
  [37, ['messageUids', 'conversation']],
  [38, ['conversation', 'messageUid', 'timestamp']],
  [39, ['conversation', 'messageUid']],
  [64, ['seq', 'count', 'version']],
  [80, ['groupId', 'memberIds', 'value']],
  [81, ['groupId', 'memberId']],
  [82, ['groupId', 'memberIds', 'value']],
  [83, ['groupId', 'value']],
  [96, ['targetUid']],
  [97, ['targetUid', 'status']],
  [98, ['version']],
]);
const KEYS = [...new Set([...SHAPES.values()].flat())];

/** Sub-signals that have a shape here: most fuzzed requests go to one, the rest anywhere. */
const SHAPED_SUB_SIGNALS = [...SHAPES.keys(), ARRAY_OF_UIDS, ARRAY_OF_GIDS].filter(
  (sub) => sub >= 0,
);

/** A PUBLISH sub-signal: a shaped one 70% of the time, else any of 0–127. */
export function subSignalPick(rng: Rng): number {
  return rng.chance(0.7) ? rng.pick(SHAPED_SUB_SIGNALS) : rng.int(128);
}

const UID_KEYS = new Set([
  'target', 'targetUid', 'targetUserId', 'memberId', 'from', 'userName', 'uid',
]);
const UID_LIST_KEYS = new Set(['memberIds', 'mentionedTargets', 'userIds']);

const EDGE_NUMBERS = [
  0, 1, -1, 2, 3, 4, 5, 100, 127, 128, 255, 256, 1000, 2 ** 31 - 1, 2 ** 31, 2 ** 32,
  2 ** 53 - 1, 2 ** 53, -(2 ** 53), 1.5, NaN, Infinity, -Infinity, -0, 1e308,
];
const EDGE_BIGINTS = [2n ** 63n, 2n ** 64n - 1n, -(2n ** 63n), 2n ** 53n + 1n];
const EDGE_STRINGS = [
  '', ' ', 'a', '0', '1', '-1', '1e3', '0x10', '9007199254740993', '18446744073709551616',
  '__proto__', HEARTBEAT_TEXT, '\u0000', '\ud800', '😀😀', '|', 'null', '{}', '[]', '%s%n',
  '../../etc/passwd', '<script>', 'NaN',
];

export function edgeString(rng: Rng): string {
  const roll = rng.int(20);
  if (roll === 0) return 'x'.repeat(rng.range(60, 300));
  if (roll === 1) return '中'.repeat(rng.range(20, 200));
  // Rarely past MESSAGE_CONTENT_BYTES_MAX, so sizes are judged, not just shapes.
  if (roll === 2 && rng.chance(0.05)) return 'y'.repeat(rng.range(65_000, 70_000));
  if (roll === 3) return rng.bytes(rng.range(1, 16)).toString('latin1');
  return rng.pick(EDGE_STRINGS);
}

function uidPick(rng: Rng, world: FuzzWorld): string {
  if (world.bystanders.length > 0 && rng.chance(0.05)) return rng.pick(world.bystanders);
  return world.uids.length > 0 ? rng.pick(world.uids) : edgeString(rng);
}

function gidPick(rng: Rng, world: FuzzWorld): Tree {
  if (world.gids.length > 0 && rng.chance(0.7)) return rng.pick(world.gids);
  return rng.chance(0.5) ? edgeString(rng) : rng.pick(EDGE_NUMBERS);
}

/** A leaf of any JSON-ish type, biased to edge values. */
function leafRandom(rng: Rng, world: FuzzWorld): Tree {
  switch (rng.int(9)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(EDGE_NUMBERS);
    case 3:
      return rng.pick(EDGE_BIGINTS);
    case 4:
      return rng.range(-10, 300);
    case 5:
      return rng.bytes(rng.int(24));
    case 6:
      return { ext: rng.int(256), data: rng.bytes(rng.int(8)) };
    case 7:
      return uidPick(rng, world);
    default:
      return edgeString(rng);
  }
}

function keyRandom(rng: Rng): string {
  const roll = rng.int(10);
  if (roll < 2) return rng.pick(DANGEROUS_KEYS);
  if (roll < 8) return rng.pick(KEYS);
  return edgeString(rng);
}

/** Nodes one generated content may have: keeps every frame near or under the frame limit. */
const TREE_NODES_MAX = 4_000;

/** What is left of a content's node allowance; shared by everything generated for it. */
export interface Budget {
  nodes: number;
}

/**
 * A random value tree; `depth` bounds its height and `budget` its size (a leaf once spent).
 * Rarely a 30-40 level chain, or an array or map of hundreds to thousands of entries.
 */
export function treeRandom(
  rng: Rng,
  world: FuzzWorld,
  depth: number,
  budget: Budget = { nodes: TREE_NODES_MAX },
): Tree {
  budget.nodes--;
  if (depth <= 0 || budget.nodes <= 0 || rng.chance(0.45)) return leafRandom(rng, world);
  if (rng.chance(0.01)) {
    let tree: Tree = leafRandom(rng, world);
    for (let i = rng.range(30, 40); i > 0; i--)
      tree = i % 2 === 0 ? [tree] : mapOf([[keyRandom(rng), tree]]);
    return tree;
  }
  const count = Math.min(
    rng.chance(0.02) ? rng.range(100, 3000) : rng.int(5),
    Math.max(0, budget.nodes),
  );
  if (rng.chance(0.5))
    return Array.from({ length: count }, () => treeRandom(rng, world, depth - 1, budget));
  const entries: [string, Tree][] = [];
  for (let i = 0; i < Math.min(count, 64); i++)
    entries.push([keyRandom(rng), treeRandom(rng, world, depth - 1, budget)]);
  return mapOf(entries, rng.chance(0.2));
}

function mapOf(entries: readonly (readonly [string, Tree])[], escaped = false): Tree {
  return { map: entries.map(([key, value]): TreeEntry => ({ key, escaped, value })) };
}

function uidList(rng: Rng, world: FuzzWorld): Tree {
  const length = rng.chance(0.03) ? rng.range(1_990, 2_100) : rng.int(6);
  return Array.from({ length }, () =>
    rng.chance(0.95) ? uidPick(rng, world) : leafRandom(rng, world),
  );
}

function messageContent(rng: Rng, world: FuzzWorld): Tree {
  const entries: [string, Tree][] = [
    [
      'type',
      rng.chance(0.7)
        ? rng.pick([1, 2, 3, 5, 80, 90, 91, 104, 400, 401, 1000])
        : leafRandom(rng, world),
    ],
    ['searchableContent', edgeString(rng)],
    ['content', rng.chance(0.5) ? edgeString(rng) : ''],
    ['binaryContent', rng.chance(0.2) ? rng.bytes(rng.int(64)).toString('base64') : ''],
    ['mediaType', rng.chance(0.8) ? rng.int(6) : leafRandom(rng, world)],
    ['mentionedType', rng.chance(0.8) ? rng.int(3) : leafRandom(rng, world)],
    ['mentionedTargets', uidList(rng, world)],
  ];
  if (rng.chance(0.1))
    entries.push([rng.pick(DANGEROUS_KEYS), treeRandom(rng, world, 2, { nodes: 16 })]);
  return mapOf(entries.filter(() => rng.chance(0.9)));
}

/** A value for a known key: real ids where ids go, edge values otherwise, sometimes mistyped. */
function valueFor(rng: Rng, world: FuzzWorld, key: string, budget: Budget): Tree {
  if (rng.chance(0.1)) return treeRandom(rng, world, 2, budget);
  if (UID_KEYS.has(key)) return rng.chance(0.8) ? uidPick(rng, world) : leafRandom(rng, world);
  if (UID_LIST_KEYS.has(key)) return uidList(rng, world);
  switch (key) {
    case 'groupId':
      return gidPick(rng, world);
    case 'groupMembers':
      return Array.from({ length: rng.chance(0.02) ? rng.range(1_990, 2_050) : rng.int(5) }, () =>
        mapOf([
          ['memberId', uidPick(rng, world)],
          ['type', rng.int(5)],
        ]),
      );
    case 'content':
      return messageContent(rng, world);
    case 'conversation':
      return mapOf([
        ['type', rng.int(4)],
        ['target', rng.chance(0.5) ? uidPick(rng, world) : gidPick(rng, world)],
        ['line', rng.int(2)],
      ]);
    case 'password':
      return rng.chance(0.5) ? rng.bytes(rng.int(40) * 3).toString('base64') : edgeString(rng);
    case 'groupInfo':
      return mapOf([
        ['name', edgeString(rng)],
        ['portrait', edgeString(rng)],
        ['type', rng.int(3)],
        ['extra', edgeString(rng)],
      ]);
    case 'conversationType':
    case 'type':
    case 'status':
    case 'line':
    case 'pullType':
      return rng.chance(0.7) ? rng.int(5) : rng.pick(EDGE_NUMBERS);
    default:
      return rng.chance(0.5)
        ? rng.pick(EDGE_NUMBERS)
        : rng.chance(0.5)
          ? String(rng.int(1_000_000))
          : edgeString(rng);
  }
}

/** The content of one PUBLISH of `subSignal`: shaped like the real request most of the time. */
export function contentFor(rng: Rng, world: FuzzWorld, subSignal: number): Tree {
  const budget: Budget = { nodes: TREE_NODES_MAX };
  if (rng.chance(0.1)) return treeRandom(rng, world, 4, budget);
  if (subSignal === ARRAY_OF_UIDS) return uidList(rng, world);
  if (subSignal === ARRAY_OF_GIDS)
    return Array.from({ length: rng.int(5) }, () => gidPick(rng, world));
  const keys = SHAPES.get(subSignal) ?? Array.from({ length: rng.int(4) }, () => keyRandom(rng));
  const entries: [string, Tree][] = keys
    .filter(() => rng.chance(0.85))
    .map((key) => [key, valueFor(rng, world, key, budget)]);
  if (rng.chance(0.1)) entries.push([keyRandom(rng), treeRandom(rng, world, 3, budget)]);
  return mapOf(entries, rng.chance(0.05));
}
