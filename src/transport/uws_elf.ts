// A read-only ELF64 little-endian reader for the dynamic-linking tables of a shared object:
// dynamic symbols, their version indexes and the version needs (.gnu.version_r). Every offset is
// bounds-checked, and each table found through the section headers is cross-checked against the
// dynamic segment, because that is what ld.so reads: what we parse is what the loader will use.

const ELF_HEADER_BYTES = 64;
const SECTION_HEADER_BYTES = 64;
const PROGRAM_HEADER_BYTES = 56;
const SYMBOL_BYTES = 24;
const VERSYM_BYTES = 2;
const VERNEED_BYTES = 16;
const VERNAUX_BYTES = 16;
const DYNAMIC_ENTRY_BYTES = 16;

const ET_DYN = 3;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const SHT_DYNSYM = 11;
const SHT_GNU_HASH = 0x6ffffff6;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;
const DT_NULL = 0;
const DT_HASH = 4;
const DT_STRTAB = 5;
const DT_SYMTAB = 6;
const DT_STRSZ = 10;
const DT_GNU_HASH = 0x6ffffef5;
const DT_VERSYM = 0x6ffffff0;
const DT_VERNEED = 0x6ffffffe;
const DT_VERNEEDNUM = 0x6fffffff;
const SHN_UNDEF = 0;
/** The high bit of a .gnu.version entry marks a hidden version; the index is the low 15 bits. */
export const VERSYM_INDEX_MASK = 0x7fff;

export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

/** One Vernaux: a version (e.g. GLIBC_2.38) required from one needed file (e.g. libc.so.6). */
export interface ElfVersionNeed {
  readonly file: string;
  readonly name: string;
  /** The index that .gnu.version entries use to refer to this version. */
  readonly index: number;
  readonly flags: number;
  /** File offset of the Vernaux entry, for patching its flags. */
  readonly auxOffset: number;
}

export interface ElfDynamicSymbol {
  readonly index: number;
  readonly name: string;
  /** st_name: offset of the name in .dynstr. */
  readonly nameOffset: number;
  readonly isUndefined: boolean;
  /** Raw .gnu.version entry, hidden bit included. */
  readonly versym: number;
  /** File offset of the Elf64_Sym entry (st_name is its first 4 bytes). */
  readonly entryOffset: number;
  /** File offset of the symbol's .gnu.version entry. */
  readonly versymOffset: number;
}

export interface ElfDynamicTables {
  readonly machine: number;
  readonly symbols: readonly ElfDynamicSymbol[];
  readonly versionNeeds: readonly ElfVersionNeed[];
  /** Symbols below this index are not in .gnu.hash (undefined ones must be). */
  readonly gnuHashSymbolFirst: number;
  /** Reads the NUL-terminated string at an offset into .dynstr. */
  readonly dynstrAt: (offset: number) => string;
}

interface Section {
  readonly name: string;
  readonly type: number;
  readonly addr: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
}

interface Segment {
  readonly type: number;
  readonly offset: number;
  readonly vaddr: number;
  readonly fileBytes: number;
}

export function elfError(message: string): Error {
  return new Error(`ELF: ${message}`);
}

function u64(bytes: Buffer, at: number): number {
  const value = bytes.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw elfError(`64-bit value at ${at} too large`);
  return Number(value);
}

function rangeCheck(bytes: Buffer, offset: number, size: number, what: string): void {
  if (offset < 0 || size < 0 || offset + size > bytes.length) {
    throw elfError(`${what} (offset ${offset}, ${size} bytes) lies outside the file`);
  }
}

function cString(bytes: Buffer, start: number, end: number, what: string): string {
  const nul = bytes.indexOf(0, start);
  if (start >= end || nul < 0 || nul >= end) throw elfError(`${what} at ${start} is unterminated`);
  return bytes.toString('latin1', start, nul);
}

function headerRead(bytes: Buffer): { machine: number; sections: Section[]; segments: Segment[] } {
  rangeCheck(bytes, 0, ELF_HEADER_BYTES, 'ELF header');
  const isElf64Le = bytes.readUInt32BE(0) === 0x7f454c46 && bytes[4] === 2 && bytes[5] === 1;
  if (!isElf64Le) throw elfError('not an ELF64 little-endian file');
  if (bytes.readUInt16LE(16) !== ET_DYN) throw elfError('not a shared object (ET_DYN)');
  const phOffset = u64(bytes, 0x20);
  const shOffset = u64(bytes, 0x28);
  const phCount = bytes.readUInt16LE(0x38);
  const shCount = bytes.readUInt16LE(0x3c);
  const shStrIndex = bytes.readUInt16LE(0x3e);
  const entrySizesOk = bytes.readUInt16LE(0x36) === PROGRAM_HEADER_BYTES &&
    bytes.readUInt16LE(0x3a) === SECTION_HEADER_BYTES;
  if (!entrySizesOk) throw elfError('unexpected program or section header size');
  rangeCheck(bytes, phOffset, phCount * PROGRAM_HEADER_BYTES, 'program headers');
  rangeCheck(bytes, shOffset, shCount * SECTION_HEADER_BYTES, 'section headers');
  const segments: Segment[] = [];
  for (let i = 0; i < phCount; i++) {
    const at = phOffset + i * PROGRAM_HEADER_BYTES;
    segments.push({ type: bytes.readUInt32LE(at), offset: u64(bytes, at + 8),
      vaddr: u64(bytes, at + 16), fileBytes: u64(bytes, at + 32) });
  }
  const raw = [];
  for (let i = 0; i < shCount; i++) {
    const at = shOffset + i * SECTION_HEADER_BYTES;
    raw.push({ nameOffset: bytes.readUInt32LE(at), type: bytes.readUInt32LE(at + 4),
      addr: u64(bytes, at + 16), offset: u64(bytes, at + 24), size: u64(bytes, at + 32),
      link: bytes.readUInt32LE(at + 40), info: bytes.readUInt32LE(at + 44) });
  }
  const shStr = raw[shStrIndex];
  if (shStr === undefined) throw elfError('no section name table');
  rangeCheck(bytes, shStr.offset, shStr.size, 'section name table');
  const namesEnd = shStr.offset + shStr.size;
  const sections = raw.map((s) => ({ ...s,
    name: cString(bytes, shStr.offset + s.nameOffset, namesEnd, 'section name') }));
  return { machine: bytes.readUInt16LE(18), sections, segments };
}

/** Maps a virtual address to its file offset through the PT_LOAD segments, as ld.so does. */
function fileOffsetOf(segments: readonly Segment[], vaddr: number): number {
  const load = segments.find((s) => s.type === PT_LOAD && vaddr >= s.vaddr &&
    vaddr < s.vaddr + s.fileBytes);
  if (load === undefined) throw elfError(`address 0x${vaddr.toString(16)} is in no PT_LOAD`);
  return load.offset + (vaddr - load.vaddr);
}

function dynamicRead(bytes: Buffer, segments: readonly Segment[]): Map<number, number> {
  const dynamic = segments.filter((s) => s.type === PT_DYNAMIC);
  const segment = dynamic[0];
  if (segment === undefined || dynamic.length !== 1) throw elfError('expected one PT_DYNAMIC');
  rangeCheck(bytes, segment.offset, segment.fileBytes, 'dynamic segment');
  const tags = new Map<number, number>();
  for (let at = segment.offset; at + DYNAMIC_ENTRY_BYTES <= segment.offset + segment.fileBytes;
    at += DYNAMIC_ENTRY_BYTES) {
    const tag = u64(bytes, at);
    if (tag === DT_NULL) return tags;
    tags.set(tag, u64(bytes, at + 8));
  }
  throw elfError('dynamic segment has no DT_NULL');
}

function sectionOfType(sections: readonly Section[], type: number, name: string): Section {
  const found = sections.filter((s) => s.type === type);
  const section = found[0];
  if (section === undefined || found.length !== 1 || section.name !== name) {
    throw elfError(`expected exactly one ${name} section`);
  }
  return section;
}

/** Requires a section to be exactly where the dynamic segment tells ld.so to look. */
function dynamicAgrees(section: Section, tags: Map<number, number>, tag: number,
  segments: readonly Segment[]): void {
  const vaddr = tags.get(tag);
  if (vaddr === undefined || vaddr !== section.addr ||
    fileOffsetOf(segments, vaddr) !== section.offset) {
    throw elfError(`${section.name} does not match dynamic tag 0x${tag.toString(16)}`);
  }
}

function versionNeedsRead(bytes: Buffer, verneed: Section, needCount: number,
  dynstrAt: (offset: number) => string): ElfVersionNeed[] {
  rangeCheck(bytes, verneed.offset, verneed.size, '.gnu.version_r');
  const needs: ElfVersionNeed[] = [];
  let needAt = verneed.offset;
  for (let n = 0; n < needCount; n++) {
    rangeCheck(bytes, needAt, VERNEED_BYTES, 'Verneed');
    if (bytes.readUInt16LE(needAt) !== 1) throw elfError('unknown Verneed version');
    const file = dynstrAt(bytes.readUInt32LE(needAt + 4));
    const auxCount = bytes.readUInt16LE(needAt + 2);
    let auxAt = needAt + bytes.readUInt32LE(needAt + 8);
    for (let a = 0; a < auxCount; a++) {
      rangeCheck(bytes, auxAt, VERNAUX_BYTES, 'Vernaux');
      needs.push({ file, name: dynstrAt(bytes.readUInt32LE(auxAt + 8)),
        flags: bytes.readUInt16LE(auxAt + 4), index: bytes.readUInt16LE(auxAt + 6),
        auxOffset: auxAt });
      auxAt += bytes.readUInt32LE(auxAt + 12);
    }
    needAt += bytes.readUInt32LE(needAt + 12);
  }
  return needs;
}

function symbolsRead(bytes: Buffer, dynsym: Section, versym: Section,
  dynstrAt: (offset: number) => string): ElfDynamicSymbol[] {
  rangeCheck(bytes, dynsym.offset, dynsym.size, '.dynsym');
  rangeCheck(bytes, versym.offset, versym.size, '.gnu.version');
  const count = dynsym.size / SYMBOL_BYTES;
  if (!Number.isInteger(count) || versym.size !== count * VERSYM_BYTES) {
    throw elfError('.dynsym and .gnu.version disagree on the symbol count');
  }
  const symbols: ElfDynamicSymbol[] = [];
  for (let index = 0; index < count; index++) {
    const entryOffset = dynsym.offset + index * SYMBOL_BYTES;
    const versymOffset = versym.offset + index * VERSYM_BYTES;
    const nameOffset = bytes.readUInt32LE(entryOffset);
    symbols.push({ index, name: dynstrAt(nameOffset), nameOffset, entryOffset, versymOffset,
      isUndefined: bytes.readUInt16LE(entryOffset + 6) === SHN_UNDEF,
      versym: bytes.readUInt16LE(versymOffset) });
  }
  return symbols;
}

/** Parses the dynamic-linking tables; throws an Error naming what is malformed. */
export function elfDynamicTablesRead(bytes: Buffer): ElfDynamicTables {
  const { machine, sections, segments } = headerRead(bytes);
  const tags = dynamicRead(bytes, segments);
  // A SysV hash table lists undefined symbols too; the rename argument covers .gnu.hash only.
  if (tags.has(DT_HASH)) throw elfError('has a SysV DT_HASH table; only DT_GNU_HASH is handled');
  const dynsym = sectionOfType(sections, SHT_DYNSYM, '.dynsym');
  const versym = sectionOfType(sections, SHT_GNU_VERSYM, '.gnu.version');
  const verneed = sectionOfType(sections, SHT_GNU_VERNEED, '.gnu.version_r');
  const gnuHash = sectionOfType(sections, SHT_GNU_HASH, '.gnu.hash');
  const dynstr = sections[dynsym.link];
  if (dynstr === undefined || dynstr.name !== '.dynstr' || sections[verneed.link] !== dynstr) {
    throw elfError('.dynsym and .gnu.version_r must both link to .dynstr');
  }
  dynamicAgrees(dynsym, tags, DT_SYMTAB, segments);
  dynamicAgrees(dynstr, tags, DT_STRTAB, segments);
  dynamicAgrees(versym, tags, DT_VERSYM, segments);
  dynamicAgrees(verneed, tags, DT_VERNEED, segments);
  dynamicAgrees(gnuHash, tags, DT_GNU_HASH, segments);
  const needCount = tags.get(DT_VERNEEDNUM);
  if (tags.get(DT_STRSZ) !== dynstr.size || needCount === undefined ||
    needCount !== verneed.info) {
    throw elfError('DT_STRSZ or DT_VERNEEDNUM disagrees with the section headers');
  }
  rangeCheck(bytes, dynstr.offset, dynstr.size, '.dynstr');
  rangeCheck(bytes, gnuHash.offset, 8, '.gnu.hash header');
  const dynstrAt = (offset: number): string =>
    cString(bytes, dynstr.offset + offset, dynstr.offset + dynstr.size, '.dynstr string');
  return {
    machine,
    symbols: symbolsRead(bytes, dynsym, versym, dynstrAt),
    versionNeeds: versionNeedsRead(bytes, verneed, needCount, dynstrAt),
    gnuHashSymbolFirst: bytes.readUInt32LE(gnuHash.offset + 4),
    dynstrAt,
  };
}

/** The version name a symbol refers to, or undefined for local/global (index 0/1) symbols. */
export function elfSymbolVersion(tables: ElfDynamicTables, symbol: ElfDynamicSymbol):
  ElfVersionNeed | undefined {
  const index = symbol.versym & VERSYM_INDEX_MASK;
  return tables.versionNeeds.find((need) => need.index === index);
}
