#!/usr/bin/env bash
# Instructions per request of GET /health and GET /api/me (a cached key), counted by
# callgrind: repeatable whatever else the machine does, unlike wall-clock throughput.
# Usage: scripts/callgrind-keys.sh [requests]   (needs valgrind, curl, python3; builds release;
# no other callgrind process may run meanwhile)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
PORT=${PORT:-4099}
SECRET=callgrind-bench-secret
cargo build --release --quiet --bin cti-server
BIN="${CARGO_TARGET_DIR:-target}/release/cti-server"
[ -x "$BIN" ] || BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys;print(json.load(sys.stdin)["target_directory"])')/release/cti-server"
OUT=$(mktemp -d)
(cd "$OUT" && INTERNAL_API_SECRET=$SECRET PORT=$PORT LOG_LEVEL=warn \
  valgrind --tool=callgrind --instr-atstart=no "$BIN" --host 127.0.0.1 >server.log 2>&1) &
trap 'kill %1 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.5; done
auth=(-H "authorization: Bearer $SECRET" -H 'content-type: application/json')
APP=$(curl -sf -X POST "http://127.0.0.1:$PORT/internal/apps" "${auth[@]}" -d '{"name":"callgrind"}' | python3 -c 'import json,sys;print(json.load(sys.stdin)["id"])')
KEY=$(curl -sf -X POST "http://127.0.0.1:$PORT/internal/apps/$APP/api-key" "${auth[@]}" | python3 -c 'import json,sys;print(json.load(sys.stdin)["api_key"])')
curl -sf "http://127.0.0.1:$PORT/api/me" -H "x-app-api-key: $KEY" >/dev/null   # the key is now cached
urls() { for _ in $(seq 1 "$N"); do printf 'http://127.0.0.1:%s%s -o /dev/null ' "$PORT" "$1"; done; }
callgrind_control -i on >/dev/null
# shellcheck disable=SC2046
curl -s $(urls /health); callgrind_control -d health >/dev/null
# shellcheck disable=SC2046
curl -s -H "x-app-api-key: $KEY" $(urls /api/me); callgrind_control -d me >/dev/null
per_request() { grep '^totals:' "$(grep -l "Trigger: dump $1" "$OUT"/callgrind.out.*)" | awk -v n="$N" '{printf "%.0f", $2 / n}'; }
H=$(per_request health); M=$(per_request me)
echo "instructions per request (user space, $N requests each): GET /health $H, GET /api/me $M (+$((M - H)) for the key check)"
