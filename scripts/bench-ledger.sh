#!/usr/bin/env bash
# Runs the ledger benchmark matrix of docs/benchmarks.md: both engines,
# batched and naive, uniform and --hot 0.9, at concurrency 256 and 1024.
# Each run gets a fresh database; prints one JSON line per run.
# Usage: scripts/bench-ledger.sh [postgres-admin-url]
set -euo pipefail
cd "$(dirname "$0")/.."
admin=${1:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
pg=${admin%/*}/okpay_bench?sslmode=disable
bin=$(mktemp -d)/okpay
go build -o "$bin" ./cmd/okpay
data=$(mktemp -d)
for engine in sqlite postgres; do
  for mode in batched naive; do
    n=100000; [ "$mode" = naive ] && n=20000
    for c in 256 1024; do
      for hot in 0 0.9; do
        if [ "$engine" = sqlite ]; then
          rm -rf "$data"; where=(--data "$data")
        else
          psql "$admin" -qc "DROP DATABASE IF EXISTS okpay_bench" -c "CREATE DATABASE okpay_bench" >/dev/null
          where=(--database-url "$pg")
        fi
        "$bin" bench ledger "${where[@]}" --mode "$mode" --transfers "$n" --accounts 10000 \
          --concurrency "$c" --hot "$hot" --json 2>/dev/null
      done
    done
  done
done
