#!/usr/bin/env bash
# search_by_id requests/s with metrics on (the default) vs off (`metrics.enabled: false`),
# alternating in one invocation: two release servers on the same data, one idle while the
# other is measured (the machine is shared and noisy: only the same-run ratio means
# anything). Issue 19's aim: off/on within 3 %.
#
#   Benchmarks/metrics.sh [ROUNDS]     (default 5 pairs, 5 s per run)
#
# Needs wrk (installed when missing) and a release build
# (`swift build -c release --scratch-path .build-release`, or LYRE=path/to/lyre).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-64}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
LYRE=${LYRE:-.build-release/release/lyre}
WORK=$(mktemp -d /tmp/lyre-metrics.XXXXXX)
ON_PORT=19945
OFF_PORT=19946
AUTH="Basic $(printf 'admin:password' | base64)"
cleanup() { kill "${ON_PID:-0}" "${OFF_PID:-0}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
post() { curl -s -u admin:password -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$1/"; }
rate() { awk '/Requests\/sec/ {print int($2)}'; }

start() {  # port root yaml
    mkdir -p "$2"
    printf '%s' "$3" >"$2/harperdb-config.yaml"
    HDB_ADMIN_USERNAME=admin HDB_ADMIN_PASSWORD=password "$LYRE" run --root "$2" --port "$1" >"$2.log" 2>&1 &
    echo $!
}
ON_PID=$(start $ON_PORT "$WORK/on" $'metrics:\n  enabled: true\n')
OFF_PID=$(start $OFF_PORT "$WORK/off" $'metrics:\n  enabled: false\n')
for port in $ON_PORT $OFF_PORT; do
    until curl -s -o /dev/null "http://127.0.0.1:$port/health"; do sleep 0.05; done
    post $port '{"operation":"create_table","database":"bench","table":"one","primary_key":"id"}' >/dev/null
    post $port '{"operation":"insert","database":"bench","table":"one","records":[{"id":0,"dog_name":"Penny","owner_name":"Kyle"}]}' >/dev/null
done
# Sanity: metrics answer on one server only.
[ "$(curl -s -o /dev/null -w '%{http_code}' -u admin:password "http://127.0.0.1:$ON_PORT/metrics")" = 200 ]
[ "$(curl -s -o /dev/null -w '%{http_code}' -u admin:password "http://127.0.0.1:$OFF_PORT/metrics")" = 404 ]

BODY='{"operation":"search_by_id","database":"bench","table":"one","ids":[0],"get_attributes":["dog_name","owner_name"]}'
run() { BODY="$BODY" AUTH="$AUTH" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s Benchmarks/post.lua "http://127.0.0.1:$1/" | rate; }
run $ON_PORT >/dev/null; run $OFF_PORT >/dev/null   # warm-up
echo "| pair | metrics on req/s | metrics off req/s | on/off |"
echo "|---|---|---|---|"
sum=0
for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) -eq 1 ]; then on=$(run $ON_PORT); off=$(run $OFF_PORT); else off=$(run $OFF_PORT); on=$(run $ON_PORT); fi
    ratio=$(awk "BEGIN {printf \"%.3f\", $on / $off}")
    sum=$(awk "BEGIN {print $sum + $ratio}")
    echo "| $round | $on | $off | $ratio |"
done
echo
echo "mean on/off: $(awk "BEGIN {printf \"%.3f\", $sum / $ROUNDS}")"
