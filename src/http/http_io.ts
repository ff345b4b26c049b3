// Small helpers over uWS HTTP: bounded JSON bodies, JSON answers with CORS on every response
// (browsers drop answers without it), and the abort bookkeeping uWS requires for async replies.

import type { HttpResponse } from 'uWebSockets.js';
import { HTTP_BODY_BYTES_MAX } from '../limits.js';

export interface Reply {
  aborted: boolean;
  json(status: string, body: unknown): void;
}

export const CORS_HEADERS: readonly (readonly [string, string])[] = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Methods', 'GET, POST, PUT, OPTIONS'],
  ['Access-Control-Allow-Headers', 'Content-Type'],
  ['Access-Control-Max-Age', '3600'],
];

export function replyOf(res: HttpResponse): Reply {
  const reply: Reply = {
    aborted: false,
    json(status, body) {
      if (reply.aborted) return;
      reply.aborted = true;
      res.cork(() => {
        res.writeStatus(status);
        for (const [name, value] of CORS_HEADERS) res.writeHeader(name, value);
        res.writeHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(body));
      });
    },
  };
  res.onAborted(() => {
    reply.aborted = true;
  });
  return reply;
}

/** Read the body as JSON; undefined when it is too large or not JSON. Call synchronously. */
export function bodyJson(res: HttpResponse, reply: Reply): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let overflow = false;
    res.onData((chunk, isLast) => {
      if (reply.aborted || overflow) return;
      bytes += chunk.byteLength;
      if (bytes > HTTP_BODY_BYTES_MAX) {
        overflow = true;
        return resolve(undefined);
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        resolve(undefined);
      }
    });
  });
}
