#!/usr/bin/env bash
# Instructions per stored webhook event (callgrind; 5 s of `cti-bench ingest` after a 2 s
# warm-up, both counted), with PostgreSQL and Redis. Usage:
# scripts/bench/callgrind-ingest.sh [cti-server binary] [concurrency, default 16]
# valgrind hides SHA-NI from the CPU it emulates, so the webhook signature's SHA-256 runs in
# software here (~37,000 instructions an event for a 2.5 KB body) but not on the real host.
source "$(dirname "$0")/common.sh"
concurrency="${2:-16}"
out=$(mktemp -d)
(cd "$out" && DATABASE_URL=$DB REDIS_URL=redis://127.0.0.1:6379 PORT=4002 \
  exec valgrind --tool=callgrind --instr-atstart=no "$SERVER" >server.log 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf http://127.0.0.1:4002/health >/dev/null && break; sleep 0.5; done
callgrind_control -i on >/dev/null
"$BENCH" --url http://127.0.0.1:4002 ingest --concurrency "$concurrency" --apps 1 --seconds 5 >/dev/null
callgrind_control -d run >/dev/null
events=$(psql -h 127.0.0.1 -U postgres cti_bench -tAc \
  "select count(*) from events where app_id = (select id from apps where name = 'cti-bench ingest 0' order by created_at desc limit 1)")
file=$(grep -l "Trigger: dump run" "$out"/callgrind.out.*)
echo "ingest at concurrency $concurrency: $events events, $(grep '^totals:' "$file" | awk -v n="$events" '{printf "%.0f", $2 / n}') instructions per event ($file)"
