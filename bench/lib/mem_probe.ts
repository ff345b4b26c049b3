// Memory of a process and of the kernel's side of its sockets, for per-connection costs.
// Process: /proc/<pid>/status (RSS split into anonymous memory, which the process owns, and
// file pages, here mostly LMDB's map, which the page cache could drop). Kernel: the network
// namespace's /proc/net/sockstat (sockets in use, TCP buffer pages) and /proc/slabinfo (root
// only; box-wide, so other work on the box shows up in it as noise).

import fs from 'node:fs';

const PAGE_BYTES = 4096;
/** The slab caches an open TCP socket takes objects from: the socket itself, its inode, its
 * dentry and file (a socket is a file), its epoll entry, queued skbs. Others are noise. */
const SOCKET_SLAB_CACHES: ReadonlySet<string> = new Set(['TCP', 'TCPv6', 'sock_inode_cache',
  'dentry', 'filp', 'eventpoll_epi', 'eventpoll_pwq', 'skbuff_head_cache', 'skbuff_small_head']);
/** Caches listed in a slab delta, largest change first. */
const SLAB_CACHES_REPORTED_MAX = 8;

function fileRead(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

export interface ProcMemory {
  readonly rssBytes: number;
  readonly rssAnonBytes: number;
  readonly rssFileBytes: number;
}

export function procMemory(pid: number): ProcMemory | null {
  const status = fileRead(`/proc/${pid}/status`);
  if (status === null) return null;
  const kib = (key: string): number =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rssBytes: kib('VmRSS'), rssAnonBytes: kib('RssAnon'), rssFileBytes: kib('RssFile') };
}

export interface KernelSample {
  /** TCP sockets in use in this network namespace (both ends of a loopback connection). */
  readonly tcpInUse: number | null;
  /** Pages of TCP send/receive buffers in this namespace, as bytes. */
  readonly tcpBufferBytes: number | null;
  /** Slab cache → bytes of active objects (active_objs × objsize); null without root. */
  readonly slab: ReadonlyMap<string, number> | null;
}

function slabRead(): Map<string, number> | null {
  const text = fileRead('/proc/slabinfo');
  if (text === null) return null;
  const caches = new Map<string, number>();
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || line.startsWith('#') || line.startsWith('slabinfo')) continue;
    const active = Number(fields[1]);
    const size = Number(fields[3]);
    if (Number.isFinite(active) && Number.isFinite(size)) caches.set(fields[0]!, active * size);
  }
  return caches;
}

export function kernelSample(): KernelSample {
  const sockstat = fileRead('/proc/net/sockstat') ?? '';
  const tcp = /^TCP: inuse (\d+) .* mem (\d+)$/m.exec(sockstat);
  return {
    tcpInUse: tcp?.[1] === undefined ? null : Number(tcp[1]),
    tcpBufferBytes: tcp?.[2] === undefined ? null : Number(tcp[2]) * PAGE_BYTES,
    slab: slabRead(),
  };
}

export interface KernelDelta {
  readonly tcpInUse: number | null;
  readonly tcpBufferBytes: number | null;
  /** All slab caches together (other work on the box included); null without root. */
  readonly slabBytes: number | null;
  /** The caches sockets use (SOCKET_SLAB_CACHES); null without root. */
  readonly socketSlabBytes: number | null;
  /** The caches that changed most, e.g. TCP, sock_inode_cache, dentry, filp, eventpoll_epi. */
  readonly slabTop: readonly { readonly cache: string; readonly bytes: number }[];
}

export function kernelDelta(from: KernelSample, to: KernelSample): KernelDelta {
  const minus = (a: number | null, b: number | null): number | null =>
    a === null || b === null ? null : a - b;
  let slabBytes: number | null = null;
  let socketSlabBytes: number | null = null;
  const changes: { cache: string; bytes: number }[] = [];
  if (from.slab !== null && to.slab !== null) {
    slabBytes = 0;
    socketSlabBytes = 0;
    for (const [cache, bytes] of to.slab) {
      const change = bytes - (from.slab.get(cache) ?? 0);
      slabBytes += change;
      if (SOCKET_SLAB_CACHES.has(cache)) socketSlabBytes += change;
      changes.push({ cache, bytes: change });
    }
    changes.sort((a, b) => Math.abs(b.bytes) - Math.abs(a.bytes));
  }
  return {
    tcpInUse: minus(to.tcpInUse, from.tcpInUse),
    tcpBufferBytes: minus(to.tcpBufferBytes, from.tcpBufferBytes),
    slabBytes,
    socketSlabBytes,
    slabTop: changes.slice(0, SLAB_CACHES_REPORTED_MAX),
  };
}
