#!/usr/bin/env bash
# Instructions per request of one read route (callgrind, 100 requests after 5 warm-ups),
# against the last app seeded by reads.sh. Usage: scripts/bench/callgrind-read.sh [binary] [path]
source "$(dirname "$0")/common.sh"
path="${2:-/api/calls?limit=50}"
out=$(mktemp -d)
(cd "$out" && DATABASE_URL=$DB PORT=4001 exec valgrind --tool=callgrind --instr-atstart=no "$SERVER" >server.log 2>&1) &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do curl -sf http://127.0.0.1:4001/health >/dev/null && break; sleep 0.5; done
key=$(reads_key 4001)
for _ in 1 2 3 4 5; do curl -s -o /dev/null "http://127.0.0.1:4001$path" -H "x-app-api-key: $key"; done
for _ in $(seq 1 100); do printf 'url = "http://127.0.0.1:4001%s"\n-o /dev/null\n' "$path"; done >"$out/urls"
callgrind_control -i on >/dev/null
curl -s -K "$out/urls" -H "x-app-api-key: $key"
callgrind_control -d run >/dev/null
file=$(grep -l "Trigger: dump run" "$out"/callgrind.out.*)
echo "$path: $(grep '^totals:' "$file" | awk '{printf "%.0f", $2 / 100}') instructions per request ($file)"
