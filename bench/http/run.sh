#!/usr/bin/env bash
# HTTP API load test of one node: acknowledged durable writes/s and marked reads/s with p99
# latency, then the same while 50 WebSocket subscribers follow the live feed.
# Usage: bench/http/run.sh [SECONDS]   (default 15 s per run). Needs wrk (apt) and cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
seconds=${1:-15}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p liptako -p liptako-loadgen
bin=$root/target/release
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
port=18181
RUST_LOG=warn "$bin/liptako" init --data "$work/node" --nation MLI --admin-password bench-password-1 \
  --http 127.0.0.1:$port >/dev/null
"$bin/liptako" user add --data "$work/node" --name reader --nation BFA --clearance DR \
  --role viewer --password bench-password-2 >/dev/null
RUST_LOG=warn "$bin/liptako" serve --data "$work/node" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do curl -sf localhost:$port/healthz >/dev/null && break; sleep 0.1; done
login() {
  curl -sf -XPOST localhost:$port/api/v1/auth/login -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\"}" | sed 's/.*"token":"\([^"]*\)".*/\1/'
}
admin=$(login admin bench-password-1)
reader=$(login reader bench-password-2)

# Server CPU (user+system ticks of 10 ms) around each wrk run: CPU per request is robust to
# what else the machine is doing, unlike requests per second.
cpu_ticks() { awk '{print $14 + $15}' /proc/$server/stat; }
declare -A ticks
summary() { # label, wrk output file
  local rps p50 p99 errors n us
  rps=$(awk '/Requests\/sec/ {print $2}' "$2")
  p50=$(awk '$1=="50%" {print $2}' "$2")
  p99=$(awk '$1=="99%" {print $2}' "$2")
  errors=$(awk '/Non-2xx/ {print $5}' "$2")
  n=$(awk '/requests in/ {print $1}' "$2")
  us=$(( ${ticks[$2]} * 10000 / n ))
  printf '%-44s %10s req/s   p50 %8s   p99 %8s   server CPU %3s us/req   non-2xx %s\n' \
    "$1" "$rps" "$p50" "$p99" "$us" "${errors:-0}"
}
timed_wrk() { # output file, wrk args...
  local out=$1 before; shift
  before=$(cpu_ticks)
  wrk "$@" >"$out"
  ticks[$out]=$(( $(cpu_ticks) - before ))
}

run_pair() { # suffix
  TOKEN=$admin timed_wrk "$work/write$1.txt" -t1 -c64 -d"${seconds}s" --latency \
    -s bench/http/post.lua "http://127.0.0.1:$port"
  # Ids of what exists (the admin sees everything); the reader sees a part of them.
  curl -sf "localhost:$port/api/v1/reports?limit=1000" -H "authorization: Bearer $admin" \
    | grep -o '"id":"[^"]*"' | cut -d'"' -f4 >"$work/ids.txt"
  TOKEN=$reader IDS_FILE=$work/ids.txt timed_wrk "$work/read$1.txt" -t1 -c64 \
    -d"${seconds}s" --latency -s bench/http/get.lua "http://127.0.0.1:$port"
}

echo "machine: $(nproc) cores, $(uname -r); wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'); liptako $("$bin/liptako" --version | awk '{print $2}')"
run_pair ""
# The same reader over only the ids it may see (its own list): every answer a 200 with the body.
curl -sf "localhost:$port/api/v1/reports?limit=1000" -H "authorization: Bearer $reader" \
  | grep -o '"id":"[^"]*"' | cut -d'"' -f4 >"$work/visible-ids.txt"
TOKEN=$reader IDS_FILE=$work/visible-ids.txt timed_wrk "$work/read-visible.txt" -t1 -c64 \
  -d"${seconds}s" --latency -s bench/http/get.lua "http://127.0.0.1:$port"
summary "writes (POST /reports, durable, 64 conns)" "$work/write.txt"
summary "reads (GET /reports/{id}, BFA/DR reader)" "$work/read.txt"
summary "reads, only ids the reader may see (200s)" "$work/read-visible.txt"

"$bin/liptako-loadgen" ws --url "ws://127.0.0.1:$port/api/v1/live" --token "$reader" \
  --clients 50 --seconds $((2 * seconds + 5)) >"$work/ws.txt" &
loadgen=$!
sleep 2
run_pair "-ws"
wait $loadgen
summary "writes with 50 WebSocket subscribers" "$work/write-ws.txt"
summary "reads with 50 WebSocket subscribers" "$work/read-ws.txt"
cat "$work/ws.txt"
echo "reports stored: $(curl -sf localhost:$port/metrics | awk '/^liptako_store_versions_committed_total/ {print $2}')"
