// Strict standard-Base64 decoding for auth input. Node's decoder is lenient (it skips bad
// characters, accepts URL-safe ones and stray bits), so two different texts could name the same
// bytes; here exactly one canonical text decodes, and oversized text is refused before decoding.

const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The bytes of canonical standard Base64 (`+/`, `=` padding, length a multiple of 4), or null for
 * empty, oversized (> charsMax), non-Base64 or non-canonical text. Never throws.
 */
export function base64DecodeStrict(text: string, charsMax: number): Buffer | null {
  if (text.length === 0 || text.length > charsMax || text.length % 4 !== 0) return null;
  if (!BASE64_PATTERN.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Re-encoding catches non-zero padding bits ("AB==" vs "AA=="): one text per byte string.
  if (bytes.toString('base64') !== text) return null;
  return bytes;
}
