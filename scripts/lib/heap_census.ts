// Reads a V8 .heapsnapshot and sums self sizes per node type and name (for objects, the
// constructor), the census scripts/heap_per_connection.ts diffs between snapshots.

import fs from 'node:fs';

export type Census = Map<string, { count: number; bytes: number }>;

interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: string[];
    readonly node_types: [string[], ...unknown[]]; readonly edge_fields: string[];
    readonly edge_types: [string[], ...unknown[]] } };
  readonly nodes: number[];
  readonly edges: number[];
  readonly strings: string[];
}

/** Names that are per-instance data, not kinds: grouped under their type alone. */
const NAMED_BY_TYPE = new Set(['string', 'number', 'concatenated string', 'sliced string', 'code',
  'regexp', 'bigint']);

export function heapCensus(file: string): Census {
  const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const owners = ownersOf(snap);
  const census: Census = new Map();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!] ?? '?';
    const name = snap.strings[snap.nodes[i + nameAt]!] ?? '?';
    const kind = NAMED_BY_TYPE.has(type) ? `(${type})` : `${type}:${name.slice(0, 60)}`;
    const stored = type === 'array' || type === 'hidden' || type === 'number';
    const owner = stored ? owners.get(i) : undefined;
    const key = owner === undefined ? kind : `${kind} in ${owner}`;
    const row = census.get(key) ?? { count: 0, bytes: 0 };
    row.count++;
    row.bytes += snap.nodes[i + sizeAt]!;
    census.set(key, row);
  }
  return census;
}

/** For each node, the first retainer's name and the edge's name: whose backing store it is. */
function ownersOf(snap: Snapshot): Map<number, string> {
  const meta = snap.snapshot.meta;
  const width = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const edgeCountAt = meta.node_fields.indexOf('edge_count');
  const nameAt = meta.node_fields.indexOf('name');
  const edgeTypeAt = meta.edge_fields.indexOf('type');
  const edgeNameAt = meta.edge_fields.indexOf('name_or_index');
  const toAt = meta.edge_fields.indexOf('to_node');
  const edgeTypes = meta.edge_types[0];
  const owners = new Map<number, string>();
  let edge = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const parent = (snap.strings[snap.nodes[i + nameAt]!] ?? '?').slice(0, 40);
    const count = snap.nodes[i + edgeCountAt]!;
    for (let e = 0; e < count; e++, edge += edgeWidth) {
      const to = snap.edges[edge + toAt]!;
      if (owners.has(to)) continue;
      const edgeType = edgeTypes[snap.edges[edge + edgeTypeAt]!];
      if (edgeType === 'weak') continue;
      const raw = snap.edges[edge + edgeNameAt]!;
      const label = edgeType === 'element' || edgeType === 'hidden' ? `[${raw}]`
        : (snap.strings[raw] ?? '?');
      owners.set(to, `${parent}.${label}`);
    }
  }
  return owners;
}
