#!/usr/bin/env bash
# A/B of two commits under the same conditions. Builds each in a temporary git worktree (npm ci,
# tsc), then runs the 1:1 closed loop and one open-loop rate interleaved (base, new, new, base,
# then the other way round) with the two limits (uWS echo, LMDB puts) once per round, so the
# drift of a shared machine hits both sides alike. Result files land in bench/results/<date>-ab-<base>-<new>/{base,new}/.
# Usage: scripts/bench_ab.sh <base-rev> [new-rev (default HEAD)] [rounds (default 3)]
set -euo pipefail
top=$(git rev-parse --show-toplevel)
base_rev=$(git -C "$top" rev-parse --short "${1:?usage: bench_ab.sh <base-rev> [new-rev] [rounds]}")
new_rev=$(git -C "$top" rev-parse --short "${2:-HEAD}")
rounds=${3:-3}
time_ms=${AB_TIME_MS:-10000}
open_rate=${AB_OPEN_RATE:-5000}
out="$top/bench/results/$(date -u +%Y-%m-%d)-ab-$base_rev-$new_rev"
work=$(mktemp -d "${TMPDIR:-/tmp}/magpie-ab-XXXXXX")
trap 'git -C "$top" worktree remove --force "$work/base" 2>/dev/null || true;
      git -C "$top" worktree remove --force "$work/new" 2>/dev/null || true; rm -rf "$work"' EXIT

build() { # side rev
  git -C "$top" worktree add --quiet --detach "$work/$1" "$2"
  (cd "$work/$1" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && npx tsc -p tsconfig.json)
  mkdir -p "$out/$1"
}

run() { # side bench args...
  local side=$1 bench=$2
  shift 2
  touch "$work/started"
  (cd "$work/$side" && timeout 300 node "dist/bench/$bench.js" "$@" | grep -v '^{' || true)
  # Only this run's file: the checkout holds older result files too.
  find "$work/$side/bench/results" -maxdepth 1 -name "$bench-*.json" -newer "$work/started" \
    -exec mv {} "$out/$side/" \;
}

build base "$base_rev"
build new "$new_rev"
for round in $(seq 1 "$rounds"); do
  echo "# round $round/$rounds: base $base_rev, new $new_rev"
  run new limits_uws_echo --time 5000 --warmup 2000
  run new limits_lmdb_put --time 3000 --warmup 500
  # ABBA: each side goes first in every other round, so a box that slows within a round (disk
  # write-back of the previous run, page cache) does not always hit the same side.
  if [ $((round % 2)) -eq 1 ]; then first=base second=new; else first=new second=base; fi
  for side in "$first" "$second"; do
    run "$side" one_to_one --time "$time_ms" --warmup 2000
  done
  for side in "$second" "$first"; do
    run "$side" one_to_one --open-loop --rate "$open_rate" --time "$time_ms" --warmup 2000
  done
done
echo "# results in $out; medians: node dist/bench/perf_median.js --other-max 25 $out/base/*.json"
