#!/usr/bin/env bash
# Time from `npm start`-equivalent (tsx src/main.ts) to GET /readyz = 200, on PGlite (fresh and existing DATA_DIR)
# and, when DATABASE_URL is set, on PostgreSQL. Usage: scripts/bench/startup.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
port=39123

measure() { # label, env...
  local label=$1; shift
  local total=()
  for _ in $(seq 1 "$runs"); do
    local t0; t0=$(date +%s%N)
    local args=("${@//@FRESH@/fresh-$RANDOM$RANDOM}")
    env "${args[@]}" PORT=$port LOG_LEVEL=warn ADMIN_TOKEN=bench-admin-token-0123456789 node_modules/.bin/tsx src/main.ts >/dev/null 2>&1 &
    local pid=$!
    until [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/readyz)" = 200 ]; do sleep 0.02; done
    local t1; t1=$(date +%s%N)
    kill -TERM $pid; wait $pid || true
    total+=($(( (t1 - t0) / 1000000 )))
  done
  echo "$label: ${total[*]} ms"
}

dir=$(mktemp -d)
measure "pglite, first start (creates and migrates)" DATA_DIR="$dir/@FRESH@"
measure "pglite, existing data dir" DATA_DIR="$dir/kept"
rm -rf "$dir"
if [ -n "${DATABASE_URL:-}" ]; then
  measure "postgres" DATABASE_URL="$DATABASE_URL"
fi
