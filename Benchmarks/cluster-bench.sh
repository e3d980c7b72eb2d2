#!/usr/bin/env bash
# Clustering benchmarks (issue 17): two release-build nodes on loopback, each with its own
# root, ports and nats-servers, replicating bench.lag and bench.one both ways.
#
#   Benchmarks/cluster-bench.sh
#
# 1. replication lag A → B at a steady 5,000 records/s (100 requests/s of 50) and p50/p99,
#    then the same with one connection sending as fast as it can (the maximum rate);
# 2. durable single-record inserts (wrk, 64 connections) on a node with clustering on and
#    subscribed by B, against a node with clustering off, alternating, same run;
# 3. after the clustered insert run at the maximum rate: how long B takes to hold every record.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10s}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
scripts/bootstrap
[ -n "${SKIP_BUILD:-}" ] || swift build -c release --product lyre >/dev/null
LYRE=${LYRE_BIN:-$PWD/.build/release/lyre}
WORK=$(mktemp -d /tmp/lyre-cluster-bench.XXXXXX)
AUTH="Basic $(printf 'admin:password' | base64)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 1; rm -rf "$WORK"; }
trap cleanup EXIT

source Benchmarks/cluster-common.sh  # post, cluster
rate() { awk '/Requests\/sec/ {print int($2)}'; }
start() {  # name api-port
  HDB_ADMIN_USERNAME=admin HDB_ADMIN_PASSWORD=password "$LYRE" run --root "$WORK/$1" --port "$2" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  until curl -s -o /dev/null "http://127.0.0.1:$2/health"; do sleep 0.05; done
}

A=29925; B=29926; OFF=29927
start a $A; start b $B; start off $OFF
cluster $A a 29930; cluster $B b 29940 29930
for port in $A $B $OFF; do
  for t in lag one; do post $port "{\"operation\":\"create_table\",\"database\":\"bench\",\"table\":\"$t\",\"primary_key\":\"id\"}" >/dev/null; done
done
until post $A '{"operation":"add_node","node_name":"b","subscriptions":[{"schema":"bench","table":"lag","subscribe":true,"publish":true},{"schema":"bench","table":"one","subscribe":true,"publish":true}]}' | grep -q Successfully; do sleep 0.5; done

LAG=$(python3 Benchmarks/cluster_lag.py $A $B 5000 "${LAG_SECONDS:-20}" 50)
LAGMAX=$(python3 Benchmarks/cluster_lag.py $A $B 0 "${LAG_SECONDS:-20}" 50 100000000)

insert() { THREADS=2 OFFSET="$1" AUTH="$AUTH" wrk -t2 -c64 -d"$DURATION" -s Benchmarks/insert.lua "http://127.0.0.1:$2/" | rate; }
ON=(); OFFR=()
for round in 1 2 3; do
  OFFR+=("$(insert $((round * 100000000)) $OFF)")
  ON+=("$(insert $((round * 100000000)) $A)")
done
# Every record inserted on A must reach B: time from the end of the last run.
END=$(date +%s%N)
COUNT_A=$(post $A '{"operation":"sql","sql":"SELECT count(*) AS n FROM bench.one"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["n"])')
until [ "$(post $B '{"operation":"sql","sql":"SELECT count(*) AS n FROM bench.one"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["n"])')" -ge "$COUNT_A" ]; do sleep 0.1; done
DRAIN_MS=$(( ($(date +%s%N) - END) / 1000000 ))

echo "| measure | result |"
echo "|---|---|"
echo "| replication lag A→B at a steady 5,000 records/s (50/request), ${LAG_SECONDS:-20} s | $LAG |"
echo "| replication lag A→B at the maximum rate of one connection (50/request), ${LAG_SECONDS:-20} s | $LAGMAX |"
echo "| durable inserts, 1 record/request, 64 connections: clustering off, rounds | ${OFFR[*]} records/s |"
echo "| the same on a clustered node subscribed by another, rounds (alternating with the above) | ${ON[*]} records/s |"
echo "| after the last clustered run ($COUNT_A records on A): until B holds them all | ${DRAIN_MS} ms |"
