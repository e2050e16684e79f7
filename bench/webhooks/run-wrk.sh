#!/usr/bin/env bash
# Load-tests /mutate/pods over TLS keep-alive with wrk at 1, 8 and 64 connections. The server
# (1 io thread) is pinned to CPU 0 and wrk to CPU 1, so the server has one core to itself.
# Usage: bench/webhooks/run-wrk.sh [BUILD_DIR] [DURATION]
#   BUILD_DIR  a build with -DBERTH_BENCH=ON (default: build-bench)
#   DURATION   per run, wrk syntax (default: 10s)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build-bench}"
duration="${2:-10s}"
server_bin="$build/bench/webhooks/berth-webhooks-bench-server"
script="bench/webhooks/wrk/mutate.lua"
command -v wrk >/dev/null || { echo "wrk is not installed (tools/install-deps.sh)" >&2; exit 1; }
[ -x "$server_bin" ] || { echo "missing $server_bin; build with tools/build.sh bench" >&2; exit 1; }
pin_server=(); pin_wrk=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  pin_server=(taskset -c 0); pin_wrk=(taskset -c 1)
fi

tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

export BERTH_REVIEW="$tmp/review.json"
"${pin_server[@]}" "$server_bin" --listen 127.0.0.1:0 --write-review "$BERTH_REVIEW" \
  >"$tmp/out" 2>/dev/null &
pid=$!
url=""
for _ in $(seq 1 100); do
  url=$(head -n 1 "$tmp/out")
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "server failed to start" >&2; exit 1; }
  sleep 0.05  # polling for the server's first output line, not timing anything
done
echo "review: $(wc -c <"$BERTH_REVIEW") bytes"
for conns in 1 8 64; do
  threads=$(( conns < 2 ? 1 : 2 ))
  echo "== $conns connection(s): wrk -t$threads -c$conns -d$duration --latency -s $script $url/mutate/pods"
  "${pin_wrk[@]}" wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$script" \
    "$url/mutate/pods" | grep -E "Requests/sec|Latency |  50%|  90%|  99%|Non-2xx|Socket errors"
done
