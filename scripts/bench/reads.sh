#!/usr/bin/env bash
# The read API (seeds a new app first): server CPU per request, the server pinned to CPU 0 and
# the tool to CPU 1. DBURL=...?sslmode=disable to compare without TLS to PostgreSQL.
# Usage: scripts/bench/reads.sh [cti-server binary]
source "$(dirname "$0")/common.sh"
DATABASE_URL=$DB PORT=4000 taskset -c 0 "$SERVER" >/tmp/cti-bench-reads.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_up 4000
taskset -c 1 "$BENCH" reads --server-pid "$pid" --analyze-url postgres://postgres@127.0.0.1/cti_bench
