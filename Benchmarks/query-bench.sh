#!/usr/bin/env bash
# Loads bench.dog through the Operations API and times the searches of query.md with wrk.
# Usage: query-bench.sh <records> [url]   (server running, HDB_ADMIN_USERNAME/PASSWORD set)
set -euo pipefail
N=${1:-10000}
URL=${2:-http://127.0.0.1:9925/}
AUTH="$(printf '%s:%s' "${HDB_ADMIN_USERNAME:-admin}" "${HDB_ADMIN_PASSWORD:-password}" | base64)"
post() { printf '%s' "$1" | curl -s -H "Authorization: Basic $AUTH" -H 'Content-Type: application/json' --data-binary @- "$URL"; echo; }

post '{"operation":"create_database","database":"bench"}' >/dev/null || true
post '{"operation":"create_table","database":"bench","table":"dog","primary_key":"id"}' >/dev/null || true
BREEDS=$(( N / 100 ))
for ((start = 1; start <= N; start += 10000)); do
  end=$(( start + 9999 < N ? start + 9999 : N ))
  records=$(awk -v s="$start" -v e="$end" -v b="$BREEDS" 'BEGIN { srand(7); printf "["
    for (i = s; i <= e; i++) { if (i > s) printf ","
      printf "{\"id\":%d,\"breed\":%d,\"rank\":%d,\"name\":\"dog-%d\",\"weight\":%d}", i, i % b, i, i, 1 + int(rand() * 100) }
    printf "]" }')
  post "{\"operation\":\"insert\",\"database\":\"bench\",\"table\":\"dog\",\"records\":$records}" >/dev/null
done

declare -A QUERIES=(
  [equals-100]='{"operation":"search_by_value","database":"bench","table":"dog","attribute":"breed","value":42,"get_attributes":["id","name"]}'
  [between-1000]='{"operation":"search_by_conditions","database":"bench","table":"dog","conditions":[{"attribute":"rank","comparator":"between","value":[5000,5999]}]}'
  [sorted-limit-10]='{"operation":"search_by_conditions","database":"bench","table":"dog","limit":10,"sort":{"attribute":"weight","descending":true},"conditions":[{"attribute":"weight","comparator":"greater_than","value":0}]}'
  [and-selective]="{\"operation\":\"search_by_conditions\",\"database\":\"bench\",\"table\":\"dog\",\"conditions\":[{\"attribute\":\"rank\",\"comparator\":\"between\",\"value\":[1,$N]},{\"attribute\":\"breed\",\"value\":42}]}"
  [contains-keyscan]='{"operation":"search_by_conditions","database":"bench","table":"dog","conditions":[{"attribute":"name","comparator":"contains","value":"-99"}]}'
)
LUA=$(mktemp --suffix=.lua)
trap 'rm -f "$LUA"' EXIT
for name in "${!QUERIES[@]}"; do
  body=${QUERIES[$name]}
  printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.headers["Authorization"] = "Basic %s"\nwrk.body = [[%s]]\n' "$AUTH" "$body" > "$LUA"
  echo "== $name (N=$N), $(post "$body" | wc -c) bytes"
  wrk -t2 -c16 -d"${DURATION:-30s}" --latency -s "$LUA" "$URL" | grep -E 'Requests/sec|50%|99%'
done
