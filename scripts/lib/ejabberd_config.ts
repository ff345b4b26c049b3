// The configuration the peer ejabberd runs with: its ejabberd.yml, ejabberdctl.cfg, inetrc
// and the nofile entry for the `ejabberd` user, written to a directory this tool owns (the
// package's /etc/ejabberd is never edited), and the list of every setting changed from Debian's
// default with the reason, which scripts/peer_ejabberd prints and PERF.md quotes.

/** Both listeners bind here only; the peer must never be reachable from outside the box. */
export const EJABBERD_HOST_IP = '127.0.0.1';
export const EJABBERD_C2S_PORT = 5222;
export const EJABBERD_HTTP_PORT = 5281;
/** The XMPP domain; every bench user is <name>@EJABBERD_DOMAIN. */
export const EJABBERD_DOMAIN = 'localhost';
/** A node name of our own, so a stray default `ejabberd@localhost` node is never touched. */
export const EJABBERD_NODE = 'magpie-peer@localhost';
/** Raised from Debian's 100 so an offline receiver's backlog is stored, not bounced. */
export const OFFLINE_MESSAGES_MAX = 1_000_000;
/** Messages queued per c2s process before ejabberd drops the connection. */
export const FSM_QUEUE_MAX = 1_000_000;
export const LISTEN_BACKLOG = 4_096;
/** Open files for the `ejabberd` user (PAM resets the soft limit to 1,024; hard cap here). */
export const EJABBERD_NOFILE = 20_000;
export const LIMITS_FILE = '/etc/security/limits.d/magpie-peer-ejabberd.conf';

export interface EjabberdSetting {
  readonly setting: string;
  readonly debian: string;
  readonly here: string;
  readonly why: string;
}

/**
 * Every difference from the Debian 23.01 package's ejabberd.yml / ejabberdctl.cfg that affects
 * the 1:1 path. `schedulerFlags` is null when the BEAM's default busy-wait is kept.
 */
export function ejabberdSettings(schedulerFlags: string | null): EjabberdSetting[] {
  return [
    { setting: 'c2s_shaper', debian: 'normal (3,000 B/s, burst 20,000) for all but admin',
      here: 'none for all', why: 'the default throttles every connection to 3 KB/s' },
    { setting: 'max_user_offline_messages', debian: '100 (admin 5,000)',
      here: String(OFFLINE_MESSAGES_MAX), why: 'offline storage on without bouncing at 100' },
    { setting: 'max_fsm_queue', debian: 'unset (10,000)', here: String(FSM_QUEUE_MAX),
      why: 'a burst must queue, not drop the session' },
    { setting: 'listener backlog', debian: '5 (gen_tcp default)', here: String(LISTEN_BACKLOG),
      why: 'connect bursts at setup' },
    { setting: 'loglevel', debian: 'info', here: 'warning', why: 'no log line per login' },
    { setting: 'c2s listener', debian: ':::5222, starttls_required',
      here: `${EJABBERD_HOST_IP}:${EJABBERD_C2S_PORT}, plain (no STARTTLS)`,
      why: 'loopback only; Magpie is measured without TLS too' },
    { setting: 'SASL', debian: 'SCRAM first (scram password storage)',
      here: 'PLAIN offered and used', why: 'a login costs no PBKDF2 (logins are not measured)' },
    { setting: 'auth_password_format', debian: 'scram', here: 'plain', why: 'as SASL' },
    { setting: 'other listeners', debian: '5223, 5269, 5280, 5443 (TLS), 3478 STUN, 1883 MQTT',
      here: `only ejabberd_http ${EJABBERD_HOST_IP}:${EJABBERD_HTTP_PORT} (/api)`,
      why: 'registration through the REST API; nothing else open' },
    { setting: 'api_permissions', debian: 'loopback may call all but start/stop',
      here: 'loopback may call register, status, registered_users',
      why: 'the script registers users over HTTP (~1 s per `ejabberdctl register`)' },
    { setting: 'modules', debian: '35 modules (mam off, carbons, stream_mgmt, roster, …)',
      here: 'mod_offline, mod_http_api only',
      why: 'nothing off the 1:1 path: no carbons, stream management, MAM, roster pushes' },
    { setting: 'Erlang distribution and epmd', debian: 'all interfaces',
      here: `${EJABBERD_HOST_IP} (inet_dist_use_interface, ERL_EPMD_ADDRESS)`,
      why: 'loopback only' },
    { setting: 'nofile (user ejabberd)', debian: '1,024 soft (PAM via su)',
      here: `${EJABBERD_NOFILE} (${LIMITS_FILE})`, why: 'one fd per connection' },
    { setting: 'BEAM scheduler busy-wait', debian: 'default (+sbwt medium)',
      here: schedulerFlags ?? 'default (not changed)',
      why: 'idle schedulers spin and take CPU the load generator on the same 2 cores needs' },
  ];
}

export function ejabberdSettingsText(schedulerFlags: string | null): string {
  return ejabberdSettings(schedulerFlags)
    .map((s) => `- ${s.setting}: ${s.debian} → ${s.here} (${s.why})`).join('\n');
}

/** ejabberd.yml: a whole file of our own, not a patch of Debian's. */
export function ejabberdYml(): string {
  return `# Written by scripts/peer_ejabberd (Magpie bench peer); rewritten on every start.
loglevel: warning
log_rotate_count: 0
hosts:
  - ${EJABBERD_DOMAIN}
max_fsm_queue: ${FSM_QUEUE_MAX}
listen:
  -
    port: ${EJABBERD_C2S_PORT}
    ip: "${EJABBERD_HOST_IP}"
    module: ejabberd_c2s
    max_stanza_size: 262144
    shaper: none
    access: c2s
    starttls: false
    backlog: ${LISTEN_BACKLOG}
  -
    port: ${EJABBERD_HTTP_PORT}
    ip: "${EJABBERD_HOST_IP}"
    module: ejabberd_http
    backlog: ${LISTEN_BACKLOG}
    request_handlers:
      /api: mod_http_api
auth_method: internal
auth_password_format: plain
disable_sasl_mechanisms:
  - "digest-md5"
  - "x-oauth2"
acl:
  loopback:
    ip:
      - 127.0.0.0/8
access_rules:
  c2s:
    allow: all
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
  "loopback registration":
    who:
      ip: 127.0.0.0/8
    what:
      - register
      - status
      - registered_users
shaper_rules:
  max_user_sessions: 10
  max_user_offline_messages:
    ${OFFLINE_MESSAGES_MAX}: all
  c2s_shaper:
    none: all
modules:
  mod_offline:
    access_max_user_messages: max_user_offline_messages
  mod_http_api: {}
`;
}

/** ejabberdctl.cfg, sourced by ejabberdctl when given `--config-dir`. */
export function ejabberdctlCfg(schedulerFlags: string | null): string {
  const erl = ['-env ERL_CRASH_DUMP_BYTES 0', '-kernel inet_dist_use_interface {127,0,0,1}',
    ...(schedulerFlags === null ? [] : [schedulerFlags])].join(' ');
  return `# Written by scripts/peer_ejabberd (Magpie bench peer).
POLL=true
ERL_MAX_PORTS=65536
ERL_PROCESSES=250000
ERLANG_NODE=${EJABBERD_NODE}
ERL_EPMD_ADDRESS=${EJABBERD_HOST_IP}
ERL_OPTIONS='${erl}'
`;
}

/** The inetrc ejabberdctl passes as ERL_INETRC: resolve localhost without DNS. */
export function ejabberdInetrc(): string {
  return '{lookup,["file","native"]}.\n{host,{127,0,0,1}, ["localhost"]}.\n' +
    '{file, resolv, "/etc/resolv.conf"}.\n';
}

export function ejabberdLimitsConf(): string {
  return '# Written by Magpie scripts/peer_ejabberd: one fd per XMPP connection.\n' +
    `ejabberd soft nofile ${EJABBERD_NOFILE}\nejabberd hard nofile ${EJABBERD_NOFILE}\n`;
}
