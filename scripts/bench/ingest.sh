#!/usr/bin/env bash
# Webhook ingest, concurrency 64 (or CONCURRENCY), one app, with Redis: events/s, latency, server CPU per event.
# Usage: scripts/bench/ingest.sh [cti-server binary]
source "$(dirname "$0")/common.sh"
DATABASE_URL=$DB REDIS_URL=redis://127.0.0.1:6379 PORT=4000 "$SERVER" >/tmp/cti-bench-ingest.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_up 4000
"$BENCH" ingest --concurrency "${CONCURRENCY:-64}" --apps 1 --seconds 10 --server-pid "$pid" | tail -1
