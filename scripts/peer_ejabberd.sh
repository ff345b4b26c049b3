#!/bin/sh
# The bench's ejabberd peer: install (apt-get, if missing), configure, start on loopback,
# register users, stop. The logic and the list of changed settings are in
# scripts/peer_ejabberd.ts; this builds it if needed and runs it. Run as root.
#   scripts/peer_ejabberd.sh setup --users 200 | start | register | stop | status | settings
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$root/dist/scripts/peer_ejabberd.js" ]; then
  (cd "$root" && npx tsc -p tsconfig.json)
fi
exec node "$root/dist/scripts/peer_ejabberd.js" "$@"
