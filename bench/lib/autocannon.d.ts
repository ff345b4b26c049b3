// Types for the part of autocannon 8 the HTTP bench uses (the package ships none): one instance
// per case, driven through its options, its 'response'/'reqError' events and stop().

declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  /** Per-connection scratch space autocannon hands to setupRequest and onResponse. */
  export type AutocannonContext = Record<string, unknown>;

  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Called before each request of a connection; returns the request to send. */
    setupRequest?: (request: AutocannonRequest, context: AutocannonContext) => AutocannonRequest;
    /** Called with each whole response (the body as text). */
    onResponse?: (status: number, body: string, context: AutocannonContext) => void;
  }

  export interface AutocannonOptions {
    url: string;
    connections: number;
    pipelining: number;
    /** Seconds. */
    duration: number;
    /** Seconds before a request counts as timed out. */
    timeout: number;
    requests: AutocannonRequest[];
  }

  export interface AutocannonInstance extends EventEmitter {
    /** Ends the run at its next sample tick (≤ 1 s); the callback then fires. */
    stop(): void;
  }

  export default function autocannon(options: AutocannonOptions,
    done: (err: Error | null, result: unknown) => void): AutocannonInstance;
}
