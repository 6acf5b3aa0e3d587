#!/usr/bin/env bash
# Time from launch to GET /readyz = 200, and resident memory (RSS) once ready, on PGlite (fresh and existing
# DATA_DIR) and, when DATABASE_URL is set, on PostgreSQL.
# Usage: scripts/bench/startup.sh [runs] [how ...]
#   how: node  compiled dist/src/main.js (default; what the systemd unit and container run)
#        npm   `npm start` (npm → node dist/src/main.js)
#        tsx   src/main.ts through tsx (how `npm start` ran before the compiled build)
# RSS "server" is the process that serves (the largest; for tsx, its node child); "tree" adds the npm/tsx wrappers.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
shift || true
hows=("${@:-node}")
port=39123

node scripts/build.mjs --if-stale

launch() { # how
  case $1 in
    node) exec node dist/src/main.js ;;
    npm) exec npm start --silent ;;
    tsx) exec node_modules/.bin/tsx src/main.ts ;;
    *) echo "unknown: $1" >&2; exit 2 ;;
  esac
}

descendants() { # pid → pid and all its descendants
  echo "$1"
  for c in $(ps -o pid= --ppid "$1"); do descendants "$c"; done
}
rss_kb() { ps -o rss= -p "$1" | tr -d ' '; }

measure() { # how, label, env...
  local how=$1 label=$2; shift 2
  local times=() servers=() trees=()
  for _ in $(seq 1 "$runs"); do
    local args=("${@//@FRESH@/fresh-$RANDOM$RANDOM}")
    local t0; t0=$(date +%s%N)
    env "${args[@]}" PORT=$port LOG_LEVEL=warn ADMIN_TOKEN=bench-admin-token-0123456789 \
      bash -c "$(declare -f launch); launch $how" >/dev/null 2>&1 &
    local pid=$!
    until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/readyz)" = 200 ]; do sleep 0.02; done
    local t1; t1=$(date +%s%N)
    local tree=0 server=0 p r
    for p in $(descendants $pid); do
      r=$(rss_kb "$p" || echo 0); tree=$((tree + ${r:-0}))
      [ "${r:-0}" -gt "$server" ] && server=$r # the serving node is the largest; npm and tsx wrap it
    done
    kill -TERM $pid; wait $pid || true
    times+=($(( (t1 - t0) / 1000000 )))
    servers+=($((server / 1024)))
    trees+=($((tree / 1024)))
  done
  echo "$how, $label: ready in ${times[*]} ms; RSS server ${servers[*]} MiB, tree ${trees[*]} MiB"
}

for how in "${hows[@]}"; do
  dir=$(mktemp -d)
  measure "$how" "pglite, first start (creates and migrates)" DATA_DIR="$dir/@FRESH@"
  measure "$how" "pglite, existing data dir" DATA_DIR="$dir/kept"
  rm -rf "$dir"
  if [ -n "${DATABASE_URL:-}" ]; then
    measure "$how" "postgres" DATABASE_URL="$DATABASE_URL"
  fi
done
