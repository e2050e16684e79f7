#!/usr/bin/env bash
# Load-tests berth-http-echo-server with wrk: plain and TLS, 1 and 8 connections, ~1 KB POSTs.
# Usage: bench/http/run-wrk.sh [BUILD_DIR] [DURATION]
#   BUILD_DIR  a build with -DBERTH_BENCH=ON (default: build-bench, see tools/build.sh bench)
#   DURATION   per run, wrk syntax (default: 10s)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build-bench}"
duration="${2:-10s}"
server_bin="$build/bench/http/berth-http-echo-server"
script="bench/http/wrk/post.lua"
command -v wrk >/dev/null || { echo "wrk is not installed (tools/install-deps.sh)" >&2; exit 1; }
[ -x "$server_bin" ] || { echo "missing $server_bin; build with tools/build.sh bench" >&2; exit 1; }

pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; }
trap cleanup EXIT

run() {  # run <label> <server flags...>
  local label="$1"; shift
  local out; out=$(mktemp)
  "$server_bin" --listen 127.0.0.1:0 "$@" >"$out" 2>/dev/null &
  pid=$!
  local url=""
  for _ in $(seq 1 100); do
    url=$(head -n 1 "$out")
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "server failed to start" >&2; exit 1; }
    sleep 0.05  # polling for the server's first output line, not timing anything
  done
  rm -f "$out"
  for conns in 1 8; do
    local threads=$(( conns < 2 ? 1 : 2 ))
    echo "== $label, $conns connection(s): wrk -t$threads -c$conns -d$duration --latency -s $script $url/filter"
    wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$script" "$url/filter" |
      grep -E "Requests/sec|Latency |  50%|  99%"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  pid=""
}

run "plain"
run "tls" --tls
