// Field readers for untrusted content: each returns undefined when the field is missing or of
// the wrong shape, so decoders stay one line per field. The compat client sends numbers as
// numbers or numeric strings; both are accepted where the protocol says so.

export type Fields = Readonly<Record<string, unknown>>;

export function asFields(value: unknown): Fields | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Fields)
    : undefined;
}

/** A string, or an integer given as a number or bigint; at most `charsMax` long in every form. */
export function fieldString(fields: Fields, key: string, charsMax: number): string | undefined {
  const text = stringOf(fields[key]);
  return text !== undefined && text.length <= charsMax ? text : undefined;
}

/** Numbers become strings too: the limit applies to the text (a 70-digit bigint is no uid). */
function stringOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (typeof value === 'bigint') return value.toString();
  return undefined;
}

/** An integer given as a number or a numeric string; `null`/missing gives `fallback`. */
export function fieldInteger(fields: Fields, key: string, fallback?: number): number | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= 0n ? Number(value) : undefined;
  }
  if (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) {
    const parsed = Number(value);
    return Number.isSafeInteger(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** A 64-bit id given as a number, bigint or decimal string. */
export function fieldUid(fields: Fields, key: string): bigint | undefined {
  const value = fields[key];
  if (typeof value === 'bigint') return value >= 0n && value < 1n << 64n ? value : undefined;
  if (typeof value === 'number')
    return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) {
    const parsed = BigInt(value);
    return parsed < 1n << 64n ? parsed : undefined;
  }
  return undefined;
}

export function fieldStringList(
  fields: Fields,
  key: string,
  countMax: number,
  charsMax: number,
): string[] | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > countMax) return undefined;
  const out: string[] = [];
  for (const item of value) {
    const text = typeof item === 'bigint' ? undefined : stringOf(item);
    if (text === undefined || text.length > charsMax) return undefined;
    out.push(text);
  }
  return out;
}
