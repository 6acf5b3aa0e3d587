#!/usr/bin/env bash
# One webhook benchmark (telegram-webhook.ts) on two versions of the code, alternating: BASE (a commit, run from a
# git worktree of it) and the working tree, ROUNDS times each, every run on a freshly created database. This
# machine's speed drifts over minutes by more than most changes are worth, so a change is judged by alternating
# runs, never by one run before and one after.
#
#   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_ab scripts/bench/alternate.sh BASE [MODE] [ROUNDS] [SECONDS]
#   MODE: start | checkin | declare (default checkin); ROUNDS default 4; SECONDS default 10; 16 concurrent.
#
# The database in BENCH_DATABASE_URL is dropped and created before every run, so its name must start with
# "bench". Prints one line per run and the mean of each side: updates/s, CPU ms per update, p99 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
base=${1:?usage: alternate.sh BASE [start|checkin|declare] [ROUNDS] [SECONDS]}
mode=${2:-checkin}
rounds=${3:-4}
seconds=${4:-10}
url=${BENCH_DATABASE_URL:?BENCH_DATABASE_URL (a database whose name starts with bench) is required}
db=${url##*/}
db=${db%%\?*}
[[ $db == bench* ]] || { echo "the database name must start with bench (it is dropped before every run): $db" >&2; exit 2; }
admin=${url%/*}/postgres

tree=$(mktemp -d)
git worktree add --detach -q "$tree" "$base"
ln -s "$PWD/node_modules" "$tree/node_modules"
trap 'git worktree remove --force "$tree"' EXIT

run() { # dir → "updates/s cpu-ms p99"
  psql -q "$admin" -c "drop database if exists $db" -c "create database $db" 2>/dev/null
  (cd "$1" && BENCH_DATABASE_URL=$url node_modules/.bin/tsx scripts/bench/telegram-webhook.ts "$seconds" 16 "$mode" 2>/dev/null) |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s.slice(s.indexOf("{")));
      console.log(r.requestsPerSecond, r.cpuMsPerRequest, r.latencyMs.p99)})'
}

echo "$mode, ${seconds} s each, 16 concurrent: base $(git rev-parse --short "$base") against the working tree"
printf '%-6s %-12s %12s %14s %10s\n' round code updates/s 'CPU ms/update' 'p99 ms'
declare -a a b
for i in $(seq 1 "$rounds"); do
  read -r r c p < <(run "$tree")
  printf '%-6s %-12s %12s %14s %10s\n' "$i" base "$r" "$c" "$p"
  a+=("$r $c $p")
  read -r r c p < <(run "$PWD")
  printf '%-6s %-12s %12s %14s %10s\n' "$i" 'working tree' "$r" "$c" "$p"
  b+=("$r $c $p")
done
mean() { printf '%s\n' "$@" | awk '{r+=$1; c+=$2; p+=$3; n++} END {printf "%12.1f %14.2f %10.1f\n", r/n, c/n, p/n}'; }
printf '%-6s %-12s %s\n' mean base "$(mean "${a[@]}")"
printf '%-6s %-12s %s\n' mean 'working tree' "$(mean "${b[@]}")"
