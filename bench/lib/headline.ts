// The one figure that stands for a case result (its "headline"), per bench: what run.ts picks a
// median run by and what report.ts puts in PERF.md's result column. Throughputs for closed
// loops and limits; for an open loop the rate is given, so its send→deliver p99 stands for it.

import { figure } from './medians.js';
import type { Json } from './medians.js';

export interface Headline {
  /** Dotted path into the case result. */
  readonly path: string;
  readonly unit: string;
  /** Throughputs: higher is better; latencies: lower. */
  readonly higherBetter: boolean;
}

const THROUGHPUTS: Readonly<Record<string, Headline>> = {
  micro_codec: { path: 'opsPerSec', unit: 'ops/s', higherBetter: true },
  micro_snowflake: { path: 'opsPerSec', unit: 'ops/s', higherBetter: true },
  limits_uws_echo: { path: 'msgsPerSec', unit: 'msgs/s', higherBetter: true },
  limits_lmdb_put: { path: 'putsPerSec', unit: 'puts/s', higherBetter: true },
  limits_lmdb_message: { path: 'msgsPerSec', unit: 'msgs/s', higherBetter: true },
  one_to_one: { path: 'ackedPerSec', unit: 'msgs/s', higherBetter: true },
  group_fanout: { path: 'deliveriesPerSec', unit: 'deliveries/s', higherBetter: true },
  peer_ejabberd: { path: 'deliveredPerSec', unit: 'msgs/s', higherBetter: true },
  http: { path: 'okPerSec', unit: 'req/s', higherBetter: true },
};

/** For a bench this file does not know yet: the first of these its results have. */
const RATES_GUESSED = ['msgsPerSec', 'ackedPerSec', 'deliveredPerSec', 'opsPerSec',
  'putsPerSec', 'okPerSec'];

const OPEN_LOOP: Headline = { path: 'deliver.p99Ms', unit: 'ms deliver p99', higherBetter: false };
const PEER_RATIO: Headline = { path: 'deliveredRatio', unit: '× ejabberd', higherBetter: true };

/** The headline of `result`; null when it has no figure we know. */
export function headlineOf(result: Json): Headline | null {
  const bench = String(result['bench']);
  if (result['mode'] === 'open') return OPEN_LOOP;
  if (bench === 'peer_ejabberd' && result['server'] === 'ratio') return PEER_RATIO;
  const known = THROUGHPUTS[bench];
  if (known !== undefined) return known;
  const path = RATES_GUESSED.find((p) => figure(result, p) !== null);
  return path === undefined ? null : { path, unit: '', higherBetter: true };
}
