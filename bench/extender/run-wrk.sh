#!/usr/bin/env bash
# Load-tests the real berth-extender binary over HTTP keep-alive with wrk. The binary serves a
# synthetic cluster (hidden flags --synthetic-nodes/--synthetic-pods, no apiserver) and the
# requests are kube-scheduler-shaped ExtenderArgs (nodeCacheCapable: true) for a pod with
# required anti-affinity, preferred affinity and a volume claim.
# Usage: bench/extender/run-wrk.sh [BUILD_DIR] [DURATION] [NODES] [PODS]
#   BUILD_DIR  a build containing scheduler-extender/berth-extender (default: build-bench)
#   DURATION   per run, wrk syntax (default: 10s)
#   NODES PODS synthetic cluster size (default: 5000 150000)
set -euo pipefail
cd "$(dirname "$0")/../.."
build="${1:-build-bench}"
duration="${2:-10s}"
nodes="${3:-5000}"
pods="${4:-150000}"
bin="$build/scheduler-extender/berth-extender"
script="bench/extender/wrk/extender.lua"
command -v wrk >/dev/null || { echo "wrk is not installed (tools/install-deps.sh)" >&2; exit 1; }
[ -x "$bin" ] || { echo "missing $bin; build it first (tools/build.sh bench)" >&2; exit 1; }

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

for candidates in 1 500 5000; do
  "$bin" --synthetic-nodes "$nodes" --print-synthetic-request "$candidates" > "$tmp/args-$candidates.json"
done

"$bin" --synthetic-nodes "$nodes" --synthetic-pods "$pods" --bind-address 127.0.0.1:0 \
  > "$tmp/out" 2> "$tmp/err" &
pid=$!
url=""
for _ in $(seq 1 600); do
  url=$(sed -n 's/^berth-extender: serving on //p' "$tmp/out")
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$tmp/err" >&2; exit 1; }
  sleep 0.1  # polling for the server's first output line (it loads the cluster first)
done
[ -n "$url" ] || { echo "berth-extender did not start" >&2; exit 1; }
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
echo "berth-extender at $url with $nodes nodes and $pods pods: RSS $((rss_kb / 1024)) MiB"

run() {  # run <candidates> <connections> [alternate]
  local candidates="$1" conns="$2" alternate="${3:-}"
  local threads=$(( conns < 2 ? 1 : 2 ))
  local what="filter"
  [ -n "$alternate" ] && what="filter+prioritize alternating"
  echo "== $candidates candidate(s), $conns connection(s), $what:" \
       "wrk -t$threads -c$conns -d$duration --latency -s $script $url"
  local vars=(BODY_FILE="$tmp/args-$candidates.json")
  [ -n "$alternate" ] && vars+=(ALTERNATE=1)
  env "${vars[@]}" wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$script" "$url" |
    grep -E "Requests/sec|Latency |  50%|  99%"
}

for conns in 1 8; do
  run 1 "$conns"
  run 500 "$conns" alternate
  run 5000 "$conns" alternate
done
