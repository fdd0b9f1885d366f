# Shared by the scripts in this directory (sourced). SERVER: the cti-server binary to
# measure (first argument of each script, default the release build); BENCH: cti-bench.
# Needs the local PostgreSQL with a database cti_bench (createdb -h 127.0.0.1 -U postgres
# cti_bench) and, where said, Redis. Run them on a quiet machine, one at a time.
set -euo pipefail
TARGET="${CARGO_TARGET_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/target}"
SERVER="${1:-$TARGET/release/cti-server}"
BENCH="${BENCH:-$TARGET/release/cti-bench}"
SECRET=bench-secret-0123456789
DB="${DBURL:-postgres://postgres@127.0.0.1/cti_bench}"
export INTERNAL_API_SECRET=$SECRET LOG_LEVEL=warn RATE_LIMIT_APP_PER_MINUTE=0

wait_up() { for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0; sleep 0.2; done; return 1; }

# A fresh key of the most recently seeded `cti-bench reads` app, on the server at port $1.
reads_key() {
  local app
  app=$(psql -h 127.0.0.1 -U postgres cti_bench -tAc "select id from apps where name='cti-bench reads' order by created_at desc limit 1")
  curl -s -X POST "http://127.0.0.1:$1/internal/apps/$app/api-key" -H "authorization: Bearer $SECRET" |
    python3 -c 'import json,sys;print(json.load(sys.stdin)["api_key"])'
}
