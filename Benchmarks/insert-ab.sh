#!/usr/bin/env bash
# Durable single-record inserts of two binaries, alternating in one invocation (the machine
# is shared and noisy: only the same-run ratio means anything).
#
#   Benchmarks/insert-ab.sh BASELINE NEW [ROUNDS]    (default 3 rounds of each, 5 s per run)
#
# Each run starts the binary on a fresh root, creates bench.one and drives it with
# Benchmarks/insert.lua (64 connections, increasing keys), like write-async.sh's durable runs.
# Needs wrk (installed when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
A=$1; B=$2; ROUNDS=${3:-3}
DURATION=${DURATION:-5s}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
WORK=$(mktemp -d /tmp/lyre-ab.XXXXXX)
PORT=${LYRE_BENCH_PORT:-19936}
AUTH="Basic $(printf 'admin:password' | base64)"
cleanup() { [[ -n "${LYRE_PID:-}" ]] && kill "$LYRE_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
post() { curl -s -u admin:password -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$PORT/"; }
rate() { awk '/Requests\/sec/ {print int($2)}'; }
run() {  # binary -> inserts/s
    rm -rf "$WORK/root"
    HDB_ADMIN_USERNAME=admin HDB_ADMIN_PASSWORD=password "$1" run --root "$WORK/root" --port "$PORT" >"$WORK/lyre.log" 2>&1 &
    LYRE_PID=$!
    until curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; do sleep 0.05; done
    post '{"operation":"create_table","database":"bench","table":"one","primary_key":"id"}' >/dev/null
    THREADS=2 AUTH="$AUTH" wrk -t2 -c64 -d"$DURATION" -s Benchmarks/insert.lua "http://127.0.0.1:$PORT/" | rate
    kill "$LYRE_PID"; wait "$LYRE_PID" 2>/dev/null || true; LYRE_PID=""
}
echo "| round | baseline inserts/s | new inserts/s | ratio |"
echo "|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
    a=$(run "$A"); b=$(run "$B")
    echo "| $round | $a | $b | $(awk "BEGIN {printf \"%.2f\", $b / $a}") |"
done
