#!/usr/bin/env bash
# Measures payment intents created per second through the /v1 API: for each
# engine, starts one `okpay serve` on a fresh database, creates a scratch
# merchant (its test secret key is the last line `okpay merchant create`
# prints), and runs `okpay bench api` against it at concurrency 64; then
# checks the books with `okpay ledger verify`. Prints one JSON line per
# engine.
# Usage: scripts/bench-api.sh [requests] [postgres-admin-url]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-20000}
admin=${2:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
pg=${admin%/*}/okpay_bench_api?sslmode=disable
work=$(mktemp -d)
bin=$work/okpay
go build -o "$bin" ./cmd/okpay
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
for engine in sqlite postgres; do
  if [ "$engine" = sqlite ]; then
    where=(--data "$work/data")
  else
    psql "$admin" -qc "DROP DATABASE IF EXISTS okpay_bench_api" -c "CREATE DATABASE okpay_bench_api" >/dev/null 2>&1
    where=(--database-url "$pg" --data "$work/pgdata")
  fi
  "$bin" migrate "${where[@]}" >/dev/null 2>&1
  key=$("$bin" merchant create "${where[@]}" --owner "bench@example.com" --name "Bench shop" 2>/dev/null | tail -1)
  OKPAY_LOG_LEVEL=warn "$bin" serve "${where[@]}" --http 127.0.0.1:18080 --smtp off 2>"$work/serve-$engine.log" &
  server=$!
  for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18080/readyz >/dev/null && break; sleep 0.1; done
  OKPAY_BENCH_KEY=$key "$bin" bench api --url http://127.0.0.1:18080/v1/payment_intents \
    --requests "$requests" --concurrency 64 --json | sed "s/^{/{\"engine\":\"$engine\",/"
  kill "$server"; wait "$server" || true
  "$bin" ledger verify "${where[@]}" >/dev/null 2>"$work/verify-$engine.log"
done
