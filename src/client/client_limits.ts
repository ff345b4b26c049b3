// Every bound the client SDK keeps, with its unit last and why. The server's limits live in
// src/limits.ts; these are the client's own (a client must be bounded too: benches run thousands).

import { assert } from '../errors.js';

/** Requests awaiting an answer on one connection; one more is refused with OVER_FREQUENCY. */
export const CLIENT_REQUESTS_IN_FLIGHT_MAX = 4096;
/** Native request ids are uint16 and 0 is reserved for server pushes. */
export const REQUEST_ID_MAX = 0xffff;
/** A request unanswered for this long is rejected with TIMEOUT. */
export const REQUEST_TIMEOUT_MS_DEFAULT = 10_000;
/** Opening a socket plus CONNECT/CONNECT_ACK must finish within this time. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** PING period; the server closes a native connection silent for interval + 60 s. */
export const PING_INTERVAL_MS_DEFAULT = 30_000;
/** First reconnect delay; doubled per failed attempt. */
export const RECONNECT_DELAY_MS_DEFAULT = 200;
/** Reconnect delays never exceed this, however many attempts failed. */
export const RECONNECT_DELAY_MS_MAX = 10_000;
/** A connection that lived this long resets the backoff; shorter ones (flapping) do not. */
export const CONNECTION_STABLE_MS = 5_000;
/** UNEXPECT_NODE redirects followed per connect before giving up (a loop means a bad map). */
export const CONNECT_REDIRECTS_MAX = 3;
/** Pages pulled in one sync round; a server that never reaches its head cannot spin us forever. */
export const SYNC_PAGES_PER_ROUND_MAX = 100_000;
/** Bytes a connection may hold unsent (slow network) before new requests are refused. */
export const CLIENT_SEND_BUFFER_BYTES_MAX = 8 * 1024 * 1024;
/** Largest HTTP answer the login helpers read. */
export const HTTP_RESPONSE_BYTES_MAX = 256 * 1024;
/** Time a graceful disconnect waits for the socket to close before closing it hard. */
export const DISCONNECT_LINGER_MS = 1_000;

assert(RECONNECT_DELAY_MS_DEFAULT <= RECONNECT_DELAY_MS_MAX, 'first delay is within the cap');
assert(CLIENT_REQUESTS_IN_FLIGHT_MAX < REQUEST_ID_MAX, 'a free request id always exists');
