// The parts of an MP (pull) answer the bench generators read: seq, sender, content type and the
// send time the generator wrote into the text. One decoder for the 1:1 and group generators,
// for MP pages and for the entries an MN carries inline.

export interface PulledEntry {
  readonly seq: number;
  readonly from: string;
  /** Content type, -1 when absent. */
  readonly type: number;
  /** Send time in µs written by the generator as the message text; NaN for other messages. */
  readonly stampUs: number;
}

export interface PulledPage {
  readonly current: number;
  readonly head: number;
  readonly entries: PulledEntry[];
}

function record(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
}

/** Null if `list` is not a list of native entries (with seq). */
function entriesOf(list: unknown): PulledEntry[] | null {
  if (!Array.isArray(list)) return null;
  const entries: PulledEntry[] = [];
  for (const item of list) {
    const entry = record(item);
    const seq = entry?.['seq'];
    const from = entry?.['from'];
    const content = record(entry?.['content']);
    const text = content?.['content'];
    const type = content?.['type'];
    if (typeof seq !== 'number' || typeof from !== 'string') return null;
    entries.push({
      seq,
      from,
      type: typeof type === 'number' ? type : -1,
      stampUs: typeof text === 'string' ? Number(text) : NaN,
    });
  }
  return entries;
}

/** Null if `result` is not an MP page in the native shape. */
export function pageOf(result: unknown): PulledPage | null {
  const page = record(result);
  const entries = entriesOf(page?.['messageResponseList']);
  const current = page?.['current'];
  const head = page?.['head'];
  if (entries === null || typeof current !== 'number' || typeof head !== 'number') return null;
  return { current, head, entries };
}

/** An MN push: its head and the entries it carries inline ([] when none, PROTOCOL.md §8.1);
 * null if it is not an MN body. */
export function notifyOf(body: unknown): { head: number; entries: PulledEntry[] } | null {
  const fields = record(body);
  const head = fields?.['messageHead'];
  if (typeof head !== 'number') return null;
  const list = fields?.['messageResponseList'];
  const entries = list === undefined ? [] : entriesOf(list);
  return entries === null ? null : { head, entries };
}
