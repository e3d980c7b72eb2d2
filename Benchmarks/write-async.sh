#!/usr/bin/env bash
# Durable inserts vs storage.writeAsync, alternating in one invocation (the machine is
# shared and noisy: only the same-run ratio means anything).
#
#   Benchmarks/write-async.sh [ROUNDS]     (default 3 rounds of each, 5 s per run)
#
# Needs wrk (installed when missing) and a release build (`swift build -c release`, or
# LYRE=path/to/lyre).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
DURATION=${DURATION:-5s}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
LYRE=${LYRE:-.build/release/lyre}
WORK=$(mktemp -d /tmp/lyre-wa.XXXXXX)
PORT=19935
AUTH="Basic $(printf 'admin:password' | base64)"
cleanup() { kill "${LYRE_PID:-0}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
post() { curl -s -u admin:password -H 'Content-Type: application/json' -d "$1" "http://127.0.0.1:$PORT/"; }
rate() { awk '/Requests\/sec/ {print int($2)}'; }

HDB_ADMIN_USERNAME=admin HDB_ADMIN_PASSWORD=password "$LYRE" run --root "$WORK/root" --port "$PORT" >"$WORK/lyre.log" 2>&1 &
LYRE_PID=$!
until curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; do sleep 0.05; done
post '{"operation":"create_table","database":"bench","table":"one","primary_key":"id"}' >/dev/null

mode() {  # true | false, applied by restart
    post "{\"operation\":\"set_configuration\",\"storage_writeAsync\":$1}" >/dev/null
    post '{"operation":"restart"}' >/dev/null
    sleep 1
    until curl -s -o /dev/null "http://127.0.0.1:$PORT/health"; do sleep 0.05; done
}
offset=0
echo "| round | durable inserts/s | writeAsync inserts/s | ratio |"
echo "|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
    mode false
    durable=$(THREADS=2 OFFSET=$offset AUTH="$AUTH" wrk -t2 -c64 -d"$DURATION" -s Benchmarks/insert.lua "http://127.0.0.1:$PORT/" | rate)
    offset=$((offset + 10000000))
    mode true
    async=$(THREADS=2 OFFSET=$offset AUTH="$AUTH" wrk -t2 -c64 -d"$DURATION" -s Benchmarks/insert.lua "http://127.0.0.1:$PORT/" | rate)
    offset=$((offset + 10000000))
    echo "| $round | $durable | $async | $(awk "BEGIN {printf \"%.2f\", $async / $durable}") |"
done
