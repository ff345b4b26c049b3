// The HTTP control plane on the main thread: login, route, health, metrics and the dev-mode
// chaos hook. Every answer carries CORS headers; OPTIONS is answered for any path.

import { timingSafeEqual } from 'node:crypto';
import type { TemplatedApp } from 'uWebSockets.js';
import { DEVICE_ID_CHARS_MAX, USER_ID_CHARS_MAX } from '../limits.js';
import { asFields, fieldString } from '../protocol/fields.js';
import { partitionOf } from '../router/partition_map.js';
import type { ShardStats } from '../router/control.js';
import type { Supervisor } from '../supervisor.js';
import { bodyJson, CORS_HEADERS, replyOf } from './http_io.js';
import { login, sendCode, type LoginDeps } from './login.js';

export interface ControlPlaneDeps extends LoginDeps {
  readonly supervisor: Supervisor;
  readonly devMode: boolean;
  readonly adminToken: string;
  readonly isDraining: () => boolean;
}

/** A shard's figures from its last Stats second: transactions, rows and timeline entries
 * waiting for write-back, heads cached, garbage-collection pauses. */
const SHARD_METRICS: readonly (readonly [string, (stats: ShardStats) => number])[] = [
  ['magpie_commits_per_second', (stats) => stats.commitsPerSecond],
  ['magpie_commit_writes_mean', (stats) => stats.commitWritesMean],
  ['magpie_commit_wait_p50_ms', (stats) => stats.commitWaitP50Ms],
  ['magpie_commit_callback_p50_ms', (stats) => stats.commitCallbackP50Ms],
  ['magpie_commit_durable_p50_ms', (stats) => stats.commitDurableP50Ms],
  ['magpie_commit_durable_max_ms', (stats) => stats.commitDurableMaxMs],
  ['magpie_conversation_rows_waiting', (stats) => stats.conversationRowsWaiting],
  ['magpie_timeline_entries_held', (stats) => stats.timelineEntriesHeld],
  ['magpie_timeline_heads_cached', (stats) => stats.timelineHeadsCached],
  ['magpie_gc_pause_ms', (stats) => stats.gcPauseMs],
  ['magpie_gc_pause_max_ms', (stats) => stats.gcPauseMaxMs],
];

export function controlPlaneRoutes(app: TemplatedApp, deps: ControlPlaneDeps): void {
  app.options('/*', (res) => {
    res.cork(() => {
      res.writeStatus('204 No Content');
      for (const [name, value] of CORS_HEADERS) res.writeHeader(name, value);
      res.end();
    });
  });

  app.post('/send_code', (res) => {
    const reply = replyOf(res);
    void bodyJson(res, reply).then((body) => {
      const { code, message } = sendCode(deps, body);
      reply.json('200 OK', { code, message, result: null });
    });
  });

  app.post('/login', (res) => {
    const reply = replyOf(res);
    void bodyJson(res, reply)
      .then((body) => login(deps, body, 'clientId'))
      .then((outcome) => {
        if (!outcome.ok) return reply.json('200 OK', { code: outcome.code, message: outcome.message, result: null });
        const result = { userId: outcome.uid, token: outcome.compatToken, register: outcome.register };
        reply.json('200 OK', { code: 0, message: 'success', result });
      }, () => reply.json('200 OK', { code: 4, message: 'server error', result: null }));
  });

  app.post('/v1/login', (res) => {
    const reply = replyOf(res);
    void bodyJson(res, reply)
      .then((body) => login(deps, body, 'deviceId'))
      .then((outcome) => {
        if (!outcome.ok) return reply.json('200 OK', { code: outcome.code, message: outcome.message });
        const { uid, token, compatToken, register, shard } = outcome;
        const result = { userId: uid, token, compatToken, register, endpoints: deps.endpointOf(shard) };
        reply.json('200 OK', { code: 0, result });
      }, () => reply.json('200 OK', { code: 4, message: 'server error' }));
  });

  app.get('/v1/route', (res, req) => {
    const reply = replyOf(res);
    const uid = new URLSearchParams(req.getQuery() ?? '').get('uid');
    if (!uid) return reply.json('400 Bad Request', { code: 251, message: 'uid required' });
    const shard = deps.partitions.shardOf(uid);
    reply.json('200 OK', { code: 0, result: { ...deps.endpointOf(shard), partition: partitionOf(uid) } });
  });

  app.get('/healthz', (res) => replyOf(res).json('200 OK', { ok: true }));
  app.get('/readyz', (res) => {
    const ready = deps.supervisor.ready && !deps.isDraining();
    replyOf(res).json(ready ? '200 OK' : '503 Service Unavailable', { ready });
  });

  app.get('/metrics', (res) => {
    const lines: string[] = [];
    lines.push('# TYPE magpie_sessions gauge', '# TYPE magpie_actors gauge', '# TYPE magpie_outbox_pending gauge');
    // Lag and heap cover each shard's last one-second Stats interval.
    lines.push('# TYPE magpie_event_loop_lag_p99_ms gauge');
    lines.push('# TYPE magpie_event_loop_lag_max_ms gauge', '# TYPE magpie_heap_used_bytes gauge');
    for (const [name] of SHARD_METRICS) lines.push(`# TYPE ${name} gauge`);
    deps.supervisor.stats.forEach((stats, shard) => {
      lines.push(`magpie_sessions{shard="${shard}"} ${stats.sessions}`);
      lines.push(`magpie_actors{shard="${shard}"} ${stats.actors}`);
      lines.push(`magpie_outbox_pending{shard="${shard}"} ${stats.outboxPending}`);
      lines.push(`magpie_event_loop_lag_p99_ms{shard="${shard}"} ${stats.loopLagP99Ms}`);
      lines.push(`magpie_event_loop_lag_max_ms{shard="${shard}"} ${stats.loopLagMaxMs}`);
      lines.push(`magpie_heap_used_bytes{shard="${shard}"} ${stats.heapUsedBytes}`);
      for (const [name, of] of SHARD_METRICS) lines.push(`${name}{shard="${shard}"} ${of(stats)}`);
    });
    res.cork(() => {
      for (const [name, value] of CORS_HEADERS) res.writeHeader(name, value);
      res.writeHeader('Content-Type', 'text/plain; version=0.0.4');
      res.end(`${lines.join('\n')}\n`);
    });
  });

  const adminAllowed = (authorization: string): boolean => {
    if (deps.adminToken === '') return deps.devMode;
    const given = Buffer.from(authorization);
    const wanted = Buffer.from(`Bearer ${deps.adminToken}`);
    return given.length === wanted.length && timingSafeEqual(given, wanted);
  };

  app.post('/v1/admin/ban', (res, req) => {
    const reply = replyOf(res);
    const allowed = adminAllowed(req.getHeader('authorization'));
    void bodyJson(res, reply).then(async (body) => {
      if (!allowed) return reply.json('403 Forbidden', { code: 248, message: 'admin token required' });
      const fields = asFields(body);
      const uid = fields === undefined ? undefined : fieldString(fields, 'uid', USER_ID_CHARS_MAX);
      if (!uid) return reply.json('400 Bad Request', { code: 251, message: 'uid required' });
      const banned = fields?.['banned'] !== false;
      const code = await deps.supervisor.userBan(deps.partitions.shardOf(uid), uid, banned);
      reply.json(code === 0 ? '200 OK' : '503 Service Unavailable', { code });
    });
  });

  app.post('/v1/admin/kick', (res, req) => {
    const reply = replyOf(res);
    const allowed = adminAllowed(req.getHeader('authorization'));
    void bodyJson(res, reply).then(async (body) => {
      if (!allowed) return reply.json('403 Forbidden', { code: 248, message: 'admin token required' });
      const fields = asFields(body);
      const uid = fields === undefined ? undefined : fieldString(fields, 'uid', USER_ID_CHARS_MAX);
      const deviceId = fields === undefined ? undefined : fieldString(fields, 'deviceId', DEVICE_ID_CHARS_MAX);
      if (!uid || !deviceId) return reply.json('400 Bad Request', { code: 251, message: 'uid and deviceId required' });
      const code = await deps.supervisor.sessionRevoke(deps.partitions.shardOf(uid), uid, deviceId);
      reply.json(code === 0 ? '200 OK' : '503 Service Unavailable', { code });
    });
  });

  app.post('/v1/admin/crash-shard', (res, req) => {
    const reply = replyOf(res);
    const shard = Number(new URLSearchParams(req.getQuery() ?? '').get('shard'));
    if (!deps.devMode) return reply.json('403 Forbidden', { code: 248, message: 'dev mode only' });
    const done = Number.isInteger(shard) && deps.supervisor.crash(shard);
    reply.json(done ? '200 OK' : '400 Bad Request', { code: done ? 0 : 251 });
  });

  // Bench hook: benches measuring memory per connection collect garbage first (dev mode, and
  // the server must run with --expose-gc, else 254).
  app.post('/v1/admin/gc', (res) => {
    const reply = replyOf(res);
    if (!deps.devMode) return reply.json('403 Forbidden', { code: 248, message: 'dev mode only' });
    void deps.supervisor.collect().then((code) => reply.json('200 OK', { code }));
  });

  app.any('/*', (res) => replyOf(res).json('404 Not Found', { code: 253, message: 'not found' }));
}
