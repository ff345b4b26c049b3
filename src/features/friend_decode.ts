// Decoders shared by the friends feature's requests: untrusted content in, typed values or
// undefined out. Clients send numbers as numbers or numeric strings; both are accepted.

import { USER_ID_CHARS_MAX } from '../limits.js';
import { asFields, fieldInteger, fieldString, type Fields } from '../protocol/fields.js';

/** A `version` (ms) as FRP/FP/BLP send it: null, a number or a numeric string; else 0. */
export function versionDecode(content: unknown): number {
  const fields = asFields(content);
  if (fields === undefined) return 0;
  const version = fieldInteger(fields, 'version', 0);
  return version === undefined || version < 0 ? 0 : version;
}

/** The first of `keys` that holds a non-empty uid. */
export function uidFieldOf(fields: Fields, ...keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = fieldString(fields, key, USER_ID_CHARS_MAX);
    if (value) return value;
  }
  return undefined;
}

/** A text field that may be missing (''), or undefined when too long or of the wrong type. */
export function textFieldOf(fields: Fields, key: string, charsMax: number): string | undefined {
  const value = fields[key];
  if (value === undefined || value === null) return '';
  return fieldString(fields, key, charsMax);
}
