// Rewrites, in memory, a uWS.js Linux binary linked against glibc 2.38 so that glibc 2.36/2.37
// loads it. Its only GLIBC_2.38 needs are the C23 entry points (`__isoc23_strtol`, …) that
// glibc 2.38's headers substitute for strtol, strtoul and sscanf. The patch binds each one to the
// classic function of the same name at the base version, and marks the GLIBC_2.38 need weak.
//
// Why this is sound:
// - Renaming moves st_name 9 bytes on, past "__isoc23_", into the same .dynstr string: no string
//   is rewritten and nothing moves. Undefined symbols sit below .gnu.hash's first symbol, so no
//   hash table changes (checked, as is the absence of a SysV DT_HASH).
// - glibc's dl-version treats a missing version whose Vernaux has VER_FLG_WEAK as non-fatal, and
//   after the rename no symbol refers to GLIBC_2.38 any more.
// - The C23 variants differ only in accepting binary: "0b"/"0B" prefixes in strtol-family calls
//   with base 0 or 2, and 0b for %i plus the %b conversion in scanf. The classic sscanf also reads
//   "%as"/"%a[" as the GNU allocate modifier. In the 20.57.0 x64 build the call sites are strtol
//   base 10 (env UWS_HTTP_MAX_HEADERS_SIZE, LSQUIC_LOG_SECRETS), strtoul base 0 (libstdc++'s
//   GLIBCXX_TUNABLES) and sscanf "%lu" / "%lx": only a "0b…" GLIBCXX_TUNABLES value would parse
//   differently, and uWS relies on none of it.

import {
  EM_AARCH64, EM_X86_64, VERSYM_INDEX_MASK, elfDynamicTablesRead, elfSymbolVersion,
  type ElfDynamicTables, type ElfVersionNeed,
} from './uws_elf.js';

const C23_PREFIX = '__isoc23_';
const C23_PREFIX_BYTES = 9;
const GLIBC_C23_VERSION = 'GLIBC_2.38';
const LIBC_SONAME = 'libc.so.6';
/** Vernaux flag: a missing version is not fatal (glibc elf/dl-version.c, match_symbol). */
const VER_FLG_WEAK = 0x2;

/** C23 entry point → the classic function with identical behaviour outside binary literals. */
const C23_RENAMES: ReadonlyMap<string, string> = new Map([
  ['__isoc23_strtol', 'strtol'],
  ['__isoc23_strtoul', 'strtoul'],
  ['__isoc23_strtoll', 'strtoll'],
  ['__isoc23_strtoull', 'strtoull'],
  ['__isoc23_sscanf', 'sscanf'],
  ['__isoc23_vsscanf', 'vsscanf'],
  ['__isoc23_fscanf', 'fscanf'],
  ['__isoc23_vfscanf', 'vfscanf'],
  ['__isoc23_scanf', 'scanf'],
  ['__isoc23_vscanf', 'vscanf'],
]);

/** The first libc symbol version per machine: every classic function above exists at it. */
const LIBC_BASE_VERSIONS: ReadonlyMap<number, string> = new Map([
  [EM_X86_64, 'GLIBC_2.2.5'],
  [EM_AARCH64, 'GLIBC_2.17'],
]);

export interface GlibcPatch {
  readonly bytes: Buffer;
  /** What was rebound, e.g. '__isoc23_strtol → strtol@GLIBC_2.2.5'. */
  readonly renamed: readonly string[];
  /** Highest glibc the patched file still requires, e.g. '2.36'. */
  readonly glibcRequired: string;
}

/** Parses '2.36' or 'GLIBC_2.2.5' into numbers; throws on anything else (e.g. GLIBC_PRIVATE). */
export function glibcVersionParse(version: string): number[] {
  const match = /^(?:GLIBC_)?(\d+(?:\.\d+)+)$/.exec(version);
  if (match?.[1] === undefined) throw new Error(`unrecognised glibc version '${version}'`);
  return match[1].split('.').map(Number);
}

export function glibcVersionCompare(a: string, b: string): number {
  const left = glibcVersionParse(a);
  const right = glibcVersionParse(b);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const delta = (left[i] ?? 0) - (right[i] ?? 0);
    if (delta !== 0) return delta;
  }
  return 0;
}

function libcNeed(tables: ElfDynamicTables, name: string): ElfVersionNeed {
  const found = tables.versionNeeds.filter((n) => n.file === LIBC_SONAME && n.name === name);
  const need = found[0];
  if (need === undefined || found.length !== 1) {
    throw new Error(`expected one ${name} need of ${LIBC_SONAME}, found ${found.length}`);
  }
  return need;
}

/** The highest GLIBC_x.y version still required (weak needs are optional by definition). */
export function glibcRequiredOf(tables: ElfDynamicTables): string {
  let highest = '2.0';
  for (const need of tables.versionNeeds) {
    if ((need.flags & VER_FLG_WEAK) !== 0 || !need.name.startsWith('GLIBC_')) continue;
    const version = glibcVersionParse(need.name).join('.');
    if (glibcVersionCompare(version, highest) > 0) highest = version;
  }
  return highest;
}

function renameTarget(tables: ElfDynamicTables, name: string, nameOffset: number): string {
  const target = C23_RENAMES.get(name);
  if (target === undefined || name !== C23_PREFIX + target) {
    throw new Error(`symbol ${name} needs ${GLIBC_C23_VERSION} and has no known pre-2.38 ` +
      'equivalent; this binary cannot be patched (use a system with glibc >= 2.38)');
  }
  const moved = tables.dynstrAt(nameOffset + C23_PREFIX_BYTES);
  if (moved !== target) throw new Error(`.dynstr at ${name}+9 reads '${moved}', not '${target}'`);
  return target;
}

/** Returns a patched copy; the input is untouched. Throws if anything is not as expected. */
export function glibcPatchC23(original: Buffer): GlibcPatch {
  const tables = elfDynamicTablesRead(original);
  const baseName = LIBC_BASE_VERSIONS.get(tables.machine);
  if (baseName === undefined) throw new Error(`unsupported ELF machine ${tables.machine}`);
  const c23 = libcNeed(tables, GLIBC_C23_VERSION);
  const base = libcNeed(tables, baseName);
  const bytes = Buffer.allocUnsafe(original.length); // Every byte is overwritten by the copy.
  original.copy(bytes);
  const renamed: string[] = [];
  for (const symbol of tables.symbols) {
    if ((symbol.versym & VERSYM_INDEX_MASK) !== c23.index) continue;
    const target = renameTarget(tables, symbol.name, symbol.nameOffset);
    // Only undefined, non-hidden references outside .gnu.hash may be renamed freely.
    const isPlainReference = symbol.isUndefined && symbol.versym === c23.index &&
      symbol.index < tables.gnuHashSymbolFirst;
    if (!isPlainReference) throw new Error(`symbol ${symbol.name} is not a plain reference`);
    bytes.writeUInt32LE(symbol.nameOffset + C23_PREFIX_BYTES, symbol.entryOffset);
    bytes.writeUInt16LE(base.index, symbol.versymOffset);
    renamed.push(`${symbol.name} → ${target}@${baseName}`);
  }
  if (renamed.length === 0) throw new Error(`no symbol refers to ${GLIBC_C23_VERSION}`);
  bytes.writeUInt16LE(c23.flags | VER_FLG_WEAK, c23.auxOffset + 4);
  return { bytes, renamed, glibcRequired: glibcPatchCheck(bytes, c23.name, baseName) };
}

/** Re-reads the output: nothing may refer to the weakened version, renamed ones are classic. */
function glibcPatchCheck(bytes: Buffer, c23Name: string, baseName: string): string {
  const tables = elfDynamicTablesRead(bytes);
  const c23 = libcNeed(tables, c23Name);
  if ((c23.flags & VER_FLG_WEAK) === 0) throw new Error(`${c23Name} need is not weak`);
  for (const symbol of tables.symbols) {
    const version = elfSymbolVersion(tables, symbol);
    if (version?.index === c23.index || symbol.name.startsWith(C23_PREFIX)) {
      throw new Error(`patched file still refers to ${symbol.name}@${version?.name ?? '?'}`);
    }
    if ([...C23_RENAMES.values()].includes(symbol.name) && version !== undefined &&
      version.name !== baseName) {
      throw new Error(`patched ${symbol.name} is bound to ${version.name}, not ${baseName}`);
    }
  }
  return glibcRequiredOf(tables);
}
