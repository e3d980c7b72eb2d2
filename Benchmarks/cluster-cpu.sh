#!/usr/bin/env bash
# A clustered node's own write overhead (issue 17 item 7), told apart from the machine's:
# durable single-record inserts (wrk, 64 connections, Benchmarks/insert.lua) on node A
# (clustering on, bench.one subscribed both ways by a replica B) against a node with
# clustering off, alternating in one invocation, with each process's CPU time (user +
# system, /proc/<pid>/stat) read around every run and divided by the records inserted.
#
#   Benchmarks/cluster-cpu.sh [ROUNDS] [BINARY...]
#
# ROUNDS (default 5) pairs per binary; BINARY defaults to .build-release/release/lyre (or
# $LYRE_BIN). With two binaries (old, new) each gets its own A, B and unclustered node, and
# the rounds alternate between them too, so the before/after ratio is also a same-run one.
#
# Why CPU per record: on a 2-core machine the replica and the four nats-servers run on the
# cores node A needs, and other work on the machine makes req/s swing by ±50 % between
# runs; a process's CPU time per record depends on what it does per record, not on how much
# of the cores it got. Reported per run: req/s; A's (and the unclustered node's) CPU µs per
# record; B's and the four nats-servers' CPU µs per record of A (read 1 s after the run, so
# what they do with A's records just after it counts too). PERF=<dir> also records a
# profile of A and the unclustered node during each of their runs (perf record -g; perf's own cost then counts in A's
# CPU time, so leave it unset for the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-5}
shift || true
BINS=("$@")
[ ${#BINS[@]} -gt 0 ] || BINS=("${LYRE_BIN:-.build-release/release/lyre}")
DURATION=${DURATION:-5s}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
command -v nats-server >/dev/null || scripts/bootstrap
WORK=$(mktemp -d /tmp/lyre-cluster-cpu.XXXXXX)
AUTH="Basic $(printf 'admin:password' | base64)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

source Benchmarks/cluster-common.sh  # post, cluster
start() {  # binary name api-port -> pid
  HDB_ADMIN_USERNAME=admin HDB_ADMIN_PASSWORD=password "$1" run --root "$WORK/$2" --port "$3" >"$WORK/$2.log" 2>&1 &
  PIDS+=($!)
  until curl -s -o /dev/null "http://127.0.0.1:$3/health"; do sleep 0.05; done
}
# The pid serving an API port (`restart` replaces the process).
pid_of() { ss -Hltnp "sport = :$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo $t; }
HZ=$(getconf CLK_TCK)

# Per binary i: A, B (its replica) and OFF (clustering off).
declare -a A_PORT B_PORT OFF_PORT A_PID B_PID OFF_PID NATS_PIDS
for i in "${!BINS[@]}"; do
  A_PORT[i]=$((29900 + 3 * i)); B_PORT[i]=$((29901 + 3 * i)); OFF_PORT[i]=$((29902 + 3 * i))
  start "${BINS[i]}" "a$i" "${A_PORT[i]}"; start "${BINS[i]}" "b$i" "${B_PORT[i]}"; start "${BINS[i]}" "off$i" "${OFF_PORT[i]}"
  cluster "${A_PORT[i]}" "a$i" $((29930 + 20 * i)); cluster "${B_PORT[i]}" "b$i" $((29940 + 20 * i)) $((29930 + 20 * i))
  for port in "${A_PORT[i]}" "${B_PORT[i]}" "${OFF_PORT[i]}"; do
    post "$port" '{"operation":"create_table","database":"bench","table":"one","primary_key":"id"}' >/dev/null
  done
  until post "${A_PORT[i]}" "{\"operation\":\"add_node\",\"node_name\":\"b$i\",\"subscriptions\":[{\"schema\":\"bench\",\"table\":\"one\",\"subscribe\":true,\"publish\":true}]}" | grep -q Successfully; do sleep 0.5; done
  A_PID[i]=$(pid_of "${A_PORT[i]}"); B_PID[i]=$(pid_of "${B_PORT[i]}"); OFF_PID[i]=$(pid_of "${OFF_PORT[i]}")
  NATS_PIDS[i]=""
  for f in a$i/clustering/hub a$i/clustering/leaf b$i/clustering/hub b$i/clustering/leaf; do NATS_PIDS[i]+="$(cat "$WORK/$f.pid") "; done
done

# One run: prints "req/s node-µs/record B-µs/record nats-µs/record" (the last two 0 for OFF).
run() {  # key-offset port pid [replica-pid nats-pids...]
  local OFFSET=$1 port=$2 pid=$3; shift 3
  local t0 o0=0 t1 o1=0 out n bad
  t0=$(ticks "$pid"); [ $# -gt 0 ] && o0=$(ticks "$1") && n0=$(ticks "${@:2}")
  # PERF=dir: a profile of the node during the run (perf record -g).
  local perf=""
  if [ -n "${PERF:-}" ]; then
    mkdir -p "$PERF"; perf record -g -o "$PERF/$([ $# -gt 0 ] && echo on || echo off)-$pid-$OFFSET.data" -p "$pid" >/dev/null 2>&1 & perf=$!
  fi
  out=$(THREADS=2 OFFSET=$OFFSET AUTH="$AUTH" wrk -t2 -c64 -d"$DURATION" -s Benchmarks/insert.lua "http://127.0.0.1:$port/")
  t1=$(ticks "$pid")
  [ -n "$perf" ] && { kill -INT "$perf"; wait "$perf" 2>/dev/null || true; }
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  bad=$(awk '/Non-2xx/ {print $NF}' <<<"$out"); n=$((n - ${bad:-0}))
  local rb=0 rn=0
  if [ $# -gt 0 ]; then sleep 1; o1=$(ticks "$1"); rb=$((o1 - o0)); rn=$(( $(ticks "${@:2}") - n0 )); fi
  awk -v r="$(awk '/Requests\/sec/ {print int($2)}' <<<"$out")" -v t=$((t1 - t0)) -v b=$rb -v s=$rn -v n="$n" -v hz="$HZ" \
    'BEGIN {printf "%d %.1f %.1f %.1f\n", r, t / hz * 1e6 / n, b / hz * 1e6 / n, s / hz * 1e6 / n}'
}
# Each run inserts new keys: round r's run starts at r * 10^8.
on_run() { run $(($2 * 100000000)) "${A_PORT[$1]}" "${A_PID[$1]}" "${B_PID[$1]}" ${NATS_PIDS[$1]}; }
off_run() { run $(($2 * 100000000)) "${OFF_PORT[$1]}" "${OFF_PID[$1]}"; }

for i in "${!BINS[@]}"; do on_run "$i" 0 >/dev/null; off_run "$i" 0 >/dev/null; done   # warm-up
echo "| round | binary | on req/s | off req/s | on/off req/s | A CPU µs/record | off CPU µs/record | A/off CPU per record | B µs/record | nats-servers µs/record |"
echo "|---|---|---|---|---|---|---|---|---|---|"
RESULTS=$WORK/results
for round in $(seq 1 "$ROUNDS"); do
  order=("${!BINS[@]}"); [ $((round % 2)) -eq 0 ] && order=($(printf '%s\n' "${order[@]}" | sort -rn))
  for i in "${order[@]}"; do
    if [ $((round % 2)) -eq 1 ]; then on=$(on_run "$i" "$round"); off=$(off_run "$i" "$round"); else off=$(off_run "$i" "$round"); on=$(on_run "$i" "$round"); fi
    read -r on_rate on_cpu b_cpu nats_cpu <<<"$on"
    read -r off_rate off_cpu _ _ <<<"$off"
    echo "$i $on_rate $off_rate $on_cpu $off_cpu $b_cpu $nats_cpu" >>"$RESULTS"
    awk -v round="$round" -v i="$i" -v a="$on_rate" -v o="$off_rate" -v ac="$on_cpu" -v oc="$off_cpu" -v b="$b_cpu" -v s="$nats_cpu" \
      'BEGIN {printf "| %d | %d | %d | %d | %.3f | %.1f | %.1f | %.3f | %.1f | %.1f |\n", round, i, a, o, a / o, ac, oc, ac / oc, b, s}'
  done
done
echo
median() { sort -n | awk '{v[NR] = $1} END {printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
for i in "${!BINS[@]}"; do
  echo "binary $i (${BINS[i]}): medians over $ROUNDS pairs: on/off req/s $(awk -v i="$i" '$1 == i {print $2 / $3}' "$RESULTS" | median)," \
    "A/off CPU per record $(awk -v i="$i" '$1 == i {print $4 / $5}' "$RESULTS" | median)," \
    "A $(awk -v i="$i" '$1 == i {print $4}' "$RESULTS" | median) µs/record, off $(awk -v i="$i" '$1 == i {print $5}' "$RESULTS" | median)," \
    "B $(awk -v i="$i" '$1 == i {print $6}' "$RESULTS" | median), nats-servers $(awk -v i="$i" '$1 == i {print $7}' "$RESULTS" | median)"
done
if [ ${#BINS[@]} -ge 2 ]; then
  # Same round, binary 1 against binary 0: A's CPU per record and its req/s.
  echo "binary 1 / binary 0, medians over rounds: A CPU per record" \
    "$(awk '$1 == 0 {z[++a] = $4} $1 == 1 {o[++b] = $4} END {for (k = 1; k <= a; k++) print o[k] / z[k]}' "$RESULTS" | median)," \
    "on req/s $(awk '$1 == 0 {z[++a] = $2} $1 == 1 {o[++b] = $2} END {for (k = 1; k <= a; k++) print o[k] / z[k]}' "$RESULTS" | median)," \
    "on/off req/s ratio $(awk '$1 == 0 {z[++a] = $2 / $3} $1 == 1 {o[++b] = $2 / $3} END {for (k = 1; k <= a; k++) print o[k] / z[k]}' "$RESULTS" | median)"
fi
