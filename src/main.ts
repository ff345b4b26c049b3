// Process entry: config → uWS → directory → shards → HTTP control plane → supervise. SIGTERM
// and SIGINT drain: /readyz turns 503, listeners stop, clients get GOING_AWAY, commits settle,
// and the process exits by SHUTDOWN_DRAIN_MS at the latest.

import path from 'node:path';
import { LoginCodes } from './auth/login_codes.js';
import { tokenKeysDev, tokenKeysParse } from './auth/token_keys.js';
import { ConfigError, configLoad } from './config.js';
import { controlPlaneRoutes } from './http/control_plane.js';
import { Snowflake } from './ids/snowflake.js';
import { SHUTDOWN_DRAIN_MS } from './limits.js';
import { PartitionMap } from './router/partition_map.js';
import { directoryOpen, idLeaseLoad, idLeaseStore } from './store/directory.js';
import { Supervisor } from './supervisor.js';
import { loadUws, uwsLoadInfo } from './transport/uws_loader.js';

/** Snowflake shard bits reserved for the main thread's own ids (user ids). */
const MAIN_THREAD_ID_SHARD = 15;
const DEV_LOGIN_CODE = '556677';
/** The user-id lease runs this far ahead of issued ids (ms). */
const USER_ID_LEASE_AHEAD_MS = 60_000;

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

let supervisorForExit: Supervisor | undefined;

async function main(): Promise<void> {
  const config = configLoad(process.argv.slice(2), process.env);
  const uws = loadUws();
  const info = uwsLoadInfo();
  log(`uWebSockets.js loaded${info === undefined ? '' : `: ${JSON.stringify(info)}`}`);
  const tokenKeys =
    config.devMode && config.tokenKeys === ''
      ? tokenKeysDev(config.dataDir)
      : tokenKeysParse(config.tokenKeys);
  const directory = directoryOpen(path.join(config.dataDir, 'control'));
  // User ids must never repeat, even across a restart with the clock stepped back: keep a lease.
  let idLeaseMs = Math.max(idLeaseLoad(directory), Date.now()) + USER_ID_LEASE_AHEAD_MS;
  const ids = new Snowflake(config.nodeId, MAIN_THREAD_ID_SHARD, idLeaseLoad(directory));
  await idLeaseStore(directory, idLeaseMs);
  setInterval(() => {
    const issued = Math.max(ids.lastMs(), Date.now());
    if (issued + USER_ID_LEASE_AHEAD_MS / 2 < idLeaseMs) return;
    idLeaseMs = issued + USER_ID_LEASE_AHEAD_MS;
    void idLeaseStore(directory, idLeaseMs);
  }, 1_000).unref();
  let draining = false;
  const supervisor = new Supervisor(config, tokenKeys, {
    log,
    fatal: (reason) => {
      log(`fatal: ${reason}`);
      // Workers must close uWS before the process ends, or exit turns into an abort.
      void supervisor.drain().then(() => process.exit(1));
    },
  });
  supervisorForExit = supervisor;
  await supervisor.start();
  const codes = new LoginCodes({
    devMode: config.devMode,
    devCode: DEV_LOGIN_CODE,
    send: (mobile, code) => {
      // No SMS gateway is configured: dev mode logs the code; production would hand it over.
      if (config.devMode) log(`login code for ${mobile}: ${code}`);
    },
  });
  const app =
    config.tlsCertFile === ''
      ? uws.App()
      : uws.SSLApp({ cert_file_name: config.tlsCertFile, key_file_name: config.tlsKeyFile });
  controlPlaneRoutes(app, {
    codes,
    directory,
    supervisor,
    partitions: new PartitionMap(config.shards),
    tokenKeys,
    uidNew: () => ids.next().toString(36),
    endpointOf: (shard) => {
      const ports = supervisor.portsOf(shard);
      return { host: config.publicHost, wsPort: ports?.wsPort ?? 0, tcpPort: ports?.tcpPort ?? 0 };
    },
    devMode: config.devMode,
    adminToken: config.adminToken,
    isDraining: () => draining,
  });
  let httpSocket: unknown;
  const httpPort = await new Promise<number>((resolve, reject) => {
    app.listen(config.host, config.httpPort, (socket) => {
      if (socket === false)
        return reject(new Error(`HTTP listen failed on ${config.host}:${config.httpPort}`));
      httpSocket = socket;
      resolve(
        uws.us_socket_local_port(
          socket as unknown as Parameters<typeof uws.us_socket_local_port>[0],
        ),
      );
    });
  });
  const ports = supervisor.publicPorts;
  log(
    `magpie ready: http ${httpPort}, ws ${ports.ws}, tcp ${ports.tcp}, shards ${config.shards}, dev ${config.devMode}`,
  );
  // One machine-readable line for scripts and tests that start the server on port 0.
  log(
    `MAGPIE_READY ${JSON.stringify({ http: httpPort, ws: ports.ws, tcp: ports.tcp, shards: config.shards, pid: process.pid })}`,
  );

  const shutdown = (signal: string): void => {
    if (draining) return;
    draining = true;
    log(`${signal}: draining`);
    setTimeout(() => process.exit(0), SHUTDOWN_DRAIN_MS + 1_000).unref();
    void supervisor.drain().then(async () => {
      if (httpSocket !== undefined)
        uws.us_listen_socket_close(httpSocket as Parameters<typeof uws.us_listen_socket_close>[0]);
      await directory.env.close();
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`magpie: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `magpie: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  const drained = supervisorForExit?.drain() ?? Promise.resolve();
  void drained.then(() => process.exit(1));
});
