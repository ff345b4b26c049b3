// The server under fuzz, started with the shared launcher (scripts/lib/server_process.ts), and
// what the fuzz watches from outside: the process disappearing, shard crash lines in its output,
// and its memory from /proc/<pid>/status (all threads of the process together).

import fs from 'node:fs';
import { serverStart, type ServerPorts } from './lib/server_process.js';

/** Incident lines kept verbatim; the count goes on beyond it. */
const INCIDENTS_KEPT_MAX = 20;
/** Lines that mean a shard (worker) or the process failed; a fuzz run must show none. */
const INCIDENT_PATTERN =
  /exited with code|restart|fatal|assertion failed|uncaught|unhandled|error /i;

/** Memory of the server process, in KiB. */
export interface MemorySample {
  readonly rssKib: number;
  readonly rssAnonKib: number;
  readonly hwmKib: number;
}

export interface FuzzServer {
  readonly pid: number;
  readonly ports: ServerPorts;
  readonly httpBase: string;
  /** Set once the process is found gone before stop() was called. */
  readonly unexpectedExit: string | undefined;
  readonly incidents: readonly string[];
  readonly incidentCount: number;
  /** Null when /proc is not readable (not Linux) or the process has gone. */
  memory(): MemorySample | null;
  /** SIGTERM, wait, remove the data dir. */
  stop(): Promise<number | null>;
}

function statusKib(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

/** The process's /proc status text, or null once it has exited (or is a zombie). */
function procStatus(pid: number): string | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return /^State:\s+Z/m.test(status) ? null : status;
  } catch {
    return null;
  }
}

export async function fuzzServerStart(shards: number): Promise<FuzzServer> {
  const server = await serverStart({ shards });
  const pid = server.ports.pid;
  const procReadable = procStatus(pid) !== null;
  let stopping = false;
  let unexpectedExit: string | undefined;
  const incidents: string[] = [];
  let incidentCount = 0;
  /** Offset into all output ever written (the kept output is a tail: see outputDroppedChars). */
  let scannedChars = 0;
  /** Scans output lines that arrived since the last scan (whole lines only). */
  const scan = (): void => {
    const dropped = server.outputDroppedChars;
    const end = dropped + server.output.lastIndexOf('\n') + 1;
    if (end <= scannedChars) return;
    const from = Math.max(scannedChars, dropped) - dropped;
    for (const line of server.output.slice(from, end - dropped).split('\n')) {
      if (!INCIDENT_PATTERN.test(line)) continue;
      incidentCount++;
      if (incidents.length < INCIDENTS_KEPT_MAX) incidents.push(line.slice(0, 500));
    }
    scannedChars = end;
  };
  return {
    pid,
    ports: server.ports,
    httpBase: server.httpBase,
    get unexpectedExit() {
      if (unexpectedExit === undefined && !stopping && procReadable && procStatus(pid) === null) {
        unexpectedExit = `process ${pid} is gone; output tail:\n${server.output.slice(-2000)}`;
      }
      return unexpectedExit;
    },
    get incidents() {
      scan();
      return incidents;
    },
    get incidentCount() {
      scan();
      return incidentCount;
    },
    memory() {
      const status = procStatus(pid);
      if (status === null) return null;
      return {
        rssKib: statusKib(status, 'VmRSS'),
        rssAnonKib: statusKib(status, 'RssAnon'),
        hwmKib: statusKib(status, 'VmHWM'),
      };
    },
    async stop() {
      stopping = true;
      const code = await server.stop();
      server.cleanup();
      return code;
    },
  };
}
