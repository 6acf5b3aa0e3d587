#!/usr/bin/env bash
# Every benchmark in sequence (npm run bench). Not part of npm test: they take minutes and want a quiet machine.
#   scripts/bench/run-all.sh            # PGlite in memory
#   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test scripts/bench/run-all.sh   # the same on PostgreSQL
# The load versions of suite tests (the suite keeps small ones for correctness):
#   - test/broadcast/telegram-broadcast.test.ts with 2,000 recipients (the suite: 300)
#   - test/checkin and test/telegram concurrent-checkins with 200 guests at once (the suite: 20)
#   - test/zalo/zalo-bench.test.ts, a burst on the Zalo webhook (skipped in the suite)
#   - test/hardening fuzz tests with 2,000 webhook bodies and 1,000 admin requests (the suite: 400 and 200)
# webhook-compare.ts (khaibao against the two bare reference bots, one table with ratios) needs BENCH_DATABASE_URL.
# memory.ts (the compiled service as a child process: start time, RSS after start and after 10,000 updates) runs on
# PGlite, and on PostgreSQL as well when BENCH_DATABASE_URL is set.
# exposure.ts builds a 1,000,000-visit data set on PostgreSQL and runs only when BENCH_DATABASE_URL is set.
set -uo pipefail
cd "$(dirname "$0")/../.."
failed=0
run() {
  echo
  echo "== $*"
  local t0; t0=$(date +%s)
  "$@" || { echo "!! failed: $*"; failed=1; }
  echo "== $(( $(date +%s) - t0 )) s"
}

run env BENCH_RECIPIENTS=2000 npx vitest run test/broadcast/telegram-broadcast.test.ts
run env BENCH_CHECKINS=200 npx vitest run test/checkin/concurrent-checkins.test.ts test/telegram/concurrent-checkins.test.ts
run env ZALO_BENCH=1 npx vitest run test/zalo/zalo-bench.test.ts
run env FUZZ_BODIES=2000 FUZZ_REQUESTS=1000 npx vitest run test/hardening/webhook-fuzz.test.ts test/hardening/admin-fuzz.test.ts
run npx tsx scripts/bench/broadcast-queue.ts 50000
run npx tsx scripts/bench/broadcast-delivery.ts 25 500
run npx tsx scripts/bench/telegram-webhook.ts 10 16 start
run npx tsx scripts/bench/telegram-webhook.ts 10 16 checkin
run scripts/bench/startup.sh 3
run npx tsx scripts/bench/memory.ts 10000 16 # PGlite, and PostgreSQL too when BENCH_DATABASE_URL is set
if [ -n "${BENCH_DATABASE_URL:-}" ]; then
  run npx tsx scripts/bench/webhook-compare.ts 10 16
  run npx tsx scripts/bench/exposure.ts
else
  echo
  echo "== skipped scripts/bench/webhook-compare.ts (needs PostgreSQL for the bare persistent bot): BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_cmp npx tsx scripts/bench/webhook-compare.ts 10 16"
  echo
  echo "== skipped scripts/bench/exposure.ts (PostgreSQL, minutes): BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/bench/exposure.ts"
fi
exit $failed
