#!/usr/bin/env bash
# Live delivery, 10,000 clients: the stream instance pinned to CPU 0, everything else (the
# webhook instance, the tool, PostgreSQL, Redis) to CPU 1. Usage: scripts/bench/ws.sh [binary]
source "$(dirname "$0")/common.sh"
export DATABASE_URL=$DB REDIS_URL=redis://127.0.0.1:6379
PORT=4000 taskset -c 1 "$SERVER" >/tmp/cti-bench-ws-a.log 2>&1 &
a=$!
PORT=4001 taskset -c 0 "$SERVER" >/tmp/cti-bench-ws-b.log 2>&1 &
b=$!
trap 'kill $a $b 2>/dev/null' EXIT
wait_up 4000 && wait_up 4001
taskset -c 1 "$BENCH" --url http://127.0.0.1:4000 ws --stream-url http://127.0.0.1:4001 \
  --clients "${CLIENTS:-10000}" --rate "${RATE:-5}" --seconds 10 --server-pid "$b" | tail -1
