// The only way Magpie loads uWebSockets.js: never `import 'uWebSockets.js'` for values. Every
// byte that reaches dlopen matches a SHA-256 pinned in uws_pins.ts, hashed just before loading.
// On glibc < 2.38 it loads a patched copy (uws_glibc_patch.ts) from a cache next to node_modules.
// Loading is synchronous and once per thread; a failure throws an Error saying what to do, and
// there is no fallback to any other binary.

import type * as Uws from 'uWebSockets.js';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as osConstants, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { threadId } from 'node:worker_threads';
import { glibcPatchC23, glibcVersionCompare, type GlibcPatch } from './uws_glibc_patch.js';
import { UWS_BINARY_PINS, UWS_PACKAGE_VERSION } from './uws_pins.js';

export type UwsModule = typeof Uws;
/** Re-exported so that code outside transport/ never imports 'uWebSockets.js' itself. */
export type UwsListenSocket = Uws.us_listen_socket;

/** The first glibc that has the __isoc23_* symbols the Linux binaries import. */
const GLIBC_UNPATCHED_MIN = '2.38';

/** What loadUws did, for the start-up log. */
export interface UwsLoadInfo {
  readonly packageVersion: string;
  readonly binaryName: string;
  readonly originalPath: string;
  readonly originalSha256: string;
  /** Runtime glibc, e.g. '2.36'; null when not on Linux. */
  readonly glibcRuntime: string | null;
  readonly patched: boolean;
  readonly loadedPath: string;
  readonly loadedSha256: string;
  readonly renamedSymbols: readonly string[];
  readonly loadDurationMs: number;
}

/** Where the binary is and where a patched copy may be cached; tests pass their own. */
export interface UwsBinarySource {
  readonly binaryPath: string;
  /** uws_<platform>_<arch>_<abi>.node: selects the pinned hashes. */
  readonly binaryName: string;
  /** Tried in order; the first usable one holds the patched copy. */
  readonly cacheDirs: readonly string[];
  readonly glibcRuntime: string | null;
}

/** A verified file, ready for dlopen. */
export interface UwsPrepared {
  readonly patched: boolean;
  readonly originalSha256: string;
  readonly loadedPath: string;
  readonly loadedSha256: string;
  readonly renamedSymbols: readonly string[];
}

let loaded: { readonly module: UwsModule; readonly info: UwsLoadInfo } | undefined;

/** Loads uWS.js for this thread (once; later calls return the same module). Throws on failure. */
export function loadUws(): UwsModule {
  loaded ??= loadUwsFrom(uwsBinarySourceDefault());
  return loaded.module;
}

/** What loadUws did in this thread, or undefined before it succeeded. */
export function uwsLoadInfo(): UwsLoadInfo | undefined {
  return loaded?.info;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The runtime glibc version ('2.36'), or null off Linux. Throws on a Linux without glibc. */
export function glibcRuntimeVersion(): string | null {
  if (process.platform !== 'linux') return null;
  // Node reports the glibc it runs on; there is no cheaper public API for it.
  const report: unknown = process.report.getReport();
  const header = isRecord(report) ? report['header'] : undefined;
  const version = isRecord(header) ? header['glibcVersionRuntime'] : undefined;
  if (typeof version !== 'string') {
    throw new Error('uWS.js Linux binaries need glibc, and none was found (musl?): ' +
      'run Magpie on a glibc distribution such as Debian 12+');
  }
  return version;
}

/** node_modules/uWebSockets.js, resolved as Node would from this file (nothing is loaded). */
export function uwsPackageDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve('uWebSockets.js'));
  } catch (err) {
    throw new Error(`uWebSockets.js is not installed (${errorMessage(err)}): run \`npm ci\``);
  }
}

/** The installed package's binary for this platform, arch and Node ABI, and the cache dirs. */
export function uwsBinarySourceDefault(): UwsBinarySource {
  const packageDir = uwsPackageDir();
  const manifest: unknown = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));
  const version = isRecord(manifest) ? manifest['version'] : undefined;
  if (version !== UWS_PACKAGE_VERSION) {
    throw new Error(`uWebSockets.js ${String(version)} is installed but Magpie pins ` +
      `${UWS_PACKAGE_VERSION}: run \`npm ci\`, or update src/transport/uws_pins.ts`);
  }
  const binaryName = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
  const uid = process.getuid?.() ?? 'user';
  return {
    binaryPath: join(packageDir, binaryName),
    binaryName,
    cacheDirs: [
      join(packageDir, '..', '.cache', 'magpie-uws'),
      join(tmpdir(), `magpie-uws-${uid}`),
    ],
    glibcRuntime: glibcRuntimeVersion(),
  };
}

function fileRead(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`cannot read ${what} ${path} (${errorMessage(err)}): ` +
      'reinstall with `npm ci`');
  }
}

/** Verifies the original, and patches it when the runtime glibc needs that. Does not dlopen. */
export function uwsBinaryPrepare(source: UwsBinarySource): UwsPrepared {
  const { binaryName, binaryPath, glibcRuntime } = source;
  const pin = UWS_BINARY_PINS.get(binaryName);
  if (pin === undefined) {
    throw new Error(`uWS.js ${UWS_PACKAGE_VERSION} has no binary ${binaryName} (Node ` +
      `${process.version}): use Node 20, 22, 24 or 25 on Linux or macOS (x64, arm64) ` +
      'or Windows x64');
  }
  const original = fileRead(binaryPath, 'uWS.js binary');
  const originalSha256 = sha256Hex(original);
  if (originalSha256 !== pin.sha256) {
    throw new Error(`uWS.js binary hash mismatch: ${binaryPath} has SHA-256 ${originalSha256}, ` +
      `expected ${pin.sha256} (${UWS_PACKAGE_VERSION}); the file is corrupt or was replaced: ` +
      'reinstall with `npm ci`');
  }
  if (glibcRuntime === null || glibcVersionCompare(glibcRuntime, GLIBC_UNPATCHED_MIN) >= 0) {
    return { patched: false, originalSha256, loadedPath: binaryPath,
      loadedSha256: originalSha256, renamedSymbols: [] };
  }
  const needs = `glibc ${glibcRuntime} found; uWS.js ${UWS_PACKAGE_VERSION} needs ` +
    `${GLIBC_UNPATCHED_MIN}`;
  if (pin.patchedSha256 === null) throw new Error(`${needs} and ${binaryName} has no patch`);
  let patch: GlibcPatch;
  try {
    patch = glibcPatchC23(original);
  } catch (err) {
    throw new Error(`${needs}, and patching ${binaryName} failed: ${errorMessage(err)}`);
  }
  if (glibcVersionCompare(glibcRuntime, patch.glibcRequired) < 0) {
    throw new Error(`${needs}, or ${patch.glibcRequired} with Magpie's patch: ` +
      'run on a newer system (e.g. Debian 12, Ubuntu 24.04)');
  }
  const patchedSha256 = sha256Hex(patch.bytes);
  if (patchedSha256 !== pin.patchedSha256) {
    throw new Error(`patching ${binaryName} produced SHA-256 ${patchedSha256}, not the pinned ` +
      `${pin.patchedSha256}: a bug in uws_glibc_patch.ts; refusing to load it`);
  }
  const fileName = `${basename(binaryName, '.node')}-${originalSha256}.node`;
  const loadedPath = cacheStore(patch.bytes, patchedSha256, fileName, source.cacheDirs);
  return { patched: true, originalSha256, loadedPath, loadedSha256: patchedSha256,
    renamedSymbols: patch.renamed };
}

/** Why a cache dir must not be used, or null. Others could swap a file in a shared dir. */
function cacheDirProblem(dir: string): string | null {
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) return 'not a directory';
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `owned by uid ${stat.uid}, not ${uid}`;
  if ((stat.mode & 0o022) !== 0) return 'writable by group or others';
  return null;
}

function fileSha256OrNull(path: string): string | null {
  try {
    return sha256Hex(readFileSync(path));
  } catch {
    return null; // Absent or unreadable: (re)written below.
  }
}

function cacheStoreIn(dir: string, fileName: string, bytes: Buffer, sha256: string): string {
  mkdirSync(dirname(dir), { recursive: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The dir must be private: the window between our hash and dlopen is then only ours.
  const problem = cacheDirProblem(dir);
  if (problem !== null) throw new Error(problem);
  const path = join(dir, fileName);
  if (fileSha256OrNull(path) === sha256) return path;
  // Threads and processes may race here: each writes its own temp file, and rename is atomic,
  // so a reader sees either no file or a complete one (it hashes it before dlopen anyway).
  const temp = `${path}.${process.pid}.${threadId}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temp, bytes, { flag: 'wx', mode: 0o644 });
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
  return path;
}

/** Writes the patched binary to the first usable cache dir; returns its path. */
function cacheStore(bytes: Buffer, sha256: string, fileName: string,
  dirs: readonly string[]): string {
  const problems: string[] = [];
  for (const dir of dirs) {
    try {
      return cacheStoreIn(dir, fileName, bytes, sha256);
    } catch (err) {
      problems.push(`${dir}: ${errorMessage(err)}`);
    }
  }
  throw new Error(`cannot store the patched uWS.js binary (${problems.join('; ')}): make ` +
    'node_modules/.cache writable by this user, or set TMPDIR to a private writable dir');
}

function uwsExportsCheck(exports: unknown, path: string): UwsModule {
  const isUws = isRecord(exports) && typeof exports['App'] === 'function' &&
    typeof exports['us_listen_socket_close'] === 'function' &&
    typeof exports['us_socket_local_port'] === 'function';
  if (!isUws) throw new Error(`${path} loaded but does not export uWS.js's App`);
  // The addon's exports object is what index.d.ts declares; checked above at its key entries.
  return exports as UwsModule;
}

/** Loads a file uwsBinaryPrepare has just verified (its last step was hashing these bytes). */
function uwsDlopen(prepared: UwsPrepared, glibcRuntime: string | null): UwsModule {
  const { loadedPath } = prepared;
  const holder: { exports: unknown } = { exports: {} };
  try {
    // RTLD_NOW binds every symbol here, so a missing one fails at start, not mid-request.
    process.dlopen(holder, loadedPath, osConstants.dlopen.RTLD_NOW);
  } catch (err) {
    throw new Error(`loading ${loadedPath} failed (glibc ${glibcRuntime ?? 'n/a'}, patched ` +
      `${prepared.patched}): ${errorMessage(err)}`);
  }
  return uwsExportsCheck(holder.exports, loadedPath);
}

/** Verifies, patches if needed, and loads. Not cached: loadUws is the cached entry point. */
export function loadUwsFrom(source: UwsBinarySource):
  { readonly module: UwsModule; readonly info: UwsLoadInfo } {
  const startMs = performance.now();
  const prepared = uwsBinaryPrepare(source);
  const module = uwsDlopen(prepared, source.glibcRuntime);
  const info: UwsLoadInfo = {
    packageVersion: UWS_PACKAGE_VERSION,
    binaryName: source.binaryName,
    originalPath: source.binaryPath,
    originalSha256: prepared.originalSha256,
    glibcRuntime: source.glibcRuntime,
    patched: prepared.patched,
    loadedPath: prepared.loadedPath,
    loadedSha256: prepared.loadedSha256,
    renamedSymbols: prepared.renamedSymbols,
    loadDurationMs: Math.round((performance.now() - startMs) * 10) / 10,
  };
  return { module, info };
}
