#!/usr/bin/env bash
# User and system CPU per request of one read route, with wrk (8 connections, 5 s), against
# the last app seeded by reads.sh. Usage: scripts/bench/split.sh [cti-server binary] [path]
source "$(dirname "$0")/common.sh"
path="${2:-/api/calls?limit=50}"
DATABASE_URL=$DB PORT=4000 taskset -c 0 "$SERVER" >/tmp/cti-bench-split.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_up 4000
key=$(reads_key 4000)
taskset -c 1 wrk -t1 -c8 -d2s -H "x-app-api-key: $key" "http://127.0.0.1:4000$path" >/dev/null
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
out=$(taskset -c 1 wrk -t1 -c8 -d5s -H "x-app-api-key: $key" "http://127.0.0.1:4000$path")
read -r u2 s2 < <(awk '{print $14, $15}' "/proc/$pid/stat")
n=$(echo "$out" | awk '/requests in/ {print $1}')
echo "$path: $n requests, user $(( (u2 - u1) * 10000000 / n )) ns, system $(( (s2 - s1) * 10000000 / n )) ns per request"
