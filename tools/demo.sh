#!/usr/bin/env bash
# Berth's demo: builds the binaries, starts berth-sim (a local Kubernetes API server with fake
# nodes, a kubelet simulator, controllers and a scheduler), runs berth-extender,
# berth-webhooks and berth-controller against it, registers them as deploy/ does in a
# cluster, and shows each feature with the real kubectl. Every step checks its outcome: the
# script exits non-zero if Berth does not behave as shown.
#
# Usage: tools/demo.sh [--keep] [--no-build] [--headless]
#   --keep       leave the cluster and Berth running at the end (Ctrl-C stops everything)
#   --no-build   use the binaries already in $BERTH_BUILD_DIR (default build/)
#   --headless   no colours, no pauses (the e2e test runs it this way)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

keep=0 build=1 headless=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --no-build) build=0 ;;
    --headless) headless=1 ;;
    *) echo "usage: $0 [--keep] [--no-build] [--headless]" >&2; exit 2 ;;
  esac
done

if [ -t 1 ] && [ $headless = 0 ]; then
  bold=$'\e[1m' dim=$'\e[2m' green=$'\e[32m' red=$'\e[31m' blue=$'\e[34m' off=$'\e[0m'
else
  bold='' dim='' green='' red='' blue='' off=''
fi
step() { printf '\n%s==> %s%s\n' "$bold$blue" "$*" "$off"; }
say() { printf '%s\n' "$*"; }
ok() { printf '%s  ok%s %s\n' "$green" "$off" "$*"; }
fail() { printf '%sdemo: %s%s\n' "$red" "$*" "$off" >&2; exit 1; }
show() { printf '%s$ %s%s\n' "$dim" "$*" "$off"; "$@"; }
pause() { if [ $headless = 0 ] && [ -t 0 ]; then sleep "${1:-1}"; fi; }

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND (quietly) until it succeeds; stops
# at once if one of the started processes has exited.
wait_until() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds)) pid
  until "$@" >/dev/null 2>&1; do
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || fail "a component exited while waiting for $what (logs below)"
    done
    if [ $SECONDS -ge $deadline ]; then fail "timed out after ${seconds}s waiting for $what"; fi
    sleep 0.2
  done
}

if [ $build = 1 ]; then
  step "Installing dependencies and building Berth (tools/build.sh)"
  tools/install-deps.sh
  bin=$(tools/build.sh normal berth-sim berth-extender berth-webhooks berth-controller | tail -n 1)
else
  bin=${BERTH_BUILD_DIR:-build}
fi
bin=$(cd "$bin" && pwd)
for b in sim/berth-sim scheduler-extender/berth-extender webhooks/berth-webhooks \
  controllers/berth-controller; do
  [ -x "$bin/$b" ] || fail "$bin/$b is missing (build it with tools/build.sh)"
done
command -v kubectl >/dev/null || fail "kubectl is not installed (tools/install-deps.sh installs it)"
command -v curl >/dev/null || fail "curl is not installed (tools/install-deps.sh installs it)"
command -v jq >/dev/null || fail "jq is not installed (tools/install-deps.sh installs it)"

work=$(mktemp -d /tmp/berth-demo.XXXXXX)
pids=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ $rc -ne 0 ] && [ -f "$work/kubeconfig" ]; then
    say "the cluster when the demo stopped:"
    k get pods -A -o "custom-columns=NAMESPACE:.metadata.namespace,POD:.metadata.name,NODE:.spec.nodeName,PHASE:.status.phase" 2>&1 | tail -n 30 || true
    k get events -A -o "custom-columns=OBJECT:.involvedObject.name,REASON:.reason,MESSAGE:.message" 2>&1 | tail -n 30 || true
  fi
  # Berth first, berth-sim last, so that the controller can still release its Lease.
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  if [ $rc -ne 0 ]; then
    say "logs of the components:"
    for f in "$work"/*.log; do
      [ -f "$f" ] && { say "--- $(basename "$f") (last 20 lines)"; tail -n 20 "$f"; }
    done
  fi
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free port on 127.0.0.1, below the kernel's ephemeral range (which other programs' port-0
# listeners and outgoing connections draw from, so a port picked there can be taken before
# our process binds it): nothing answers a connection to it.
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
free_port() {
  local p low=10000 span=$((ephemeral_low - 10000))
  [ "$span" -gt 1000 ] || { low=20000; span=10000; }
  for _ in $(seq 200); do
    p=$((low + (RANDOM * 32768 + RANDOM) % span))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  fail "no free port found"
}
extender_port=$(free_port)
webhooks_port=$(free_port)
webhooks_metrics=$(free_port)
controller_metrics=$(free_port)

export KUBECONFIG=$work/kubeconfig
k() { kubectl --cache-dir "$work/kube-cache" "$@"; }

step "Starting berth-sim: an API server with 6 fake nodes in 3 zones"
"$bin/sim/berth-sim" --listen 127.0.0.1:0 --secure-listen 127.0.0.1:0 \
  --write-kubeconfig "$KUBECONFIG" --nodes 6 --zones zone-a,zone-b,zone-c \
  --pod-start-delay 300ms --crash-loop-backoff 1s \
  --extender-url "http://127.0.0.1:$extender_port" --extender-weight 5 \
  --extender-http-timeout 2s \
  --webhook-service "berth-system/berth-webhooks=127.0.0.1:$webhooks_port" \
  >"$work/sim.out" 2>"$work/sim.log" &
pids+=($!)
wait_until 20 "berth-sim to serve" grep -q "serving on https" "$work/sim.out"
say "$(grep 'serving on https' "$work/sim.out")"
show k get nodes -L topology.kubernetes.io/zone

step "Registering Berth: namespace, CRDs and webhook configurations (from deploy/)"
show k apply -f deploy/namespace.yaml -f deploy/crds/ -f deploy/webhooks/webhookconfigurations.yaml \
  -f deploy/webhooks/config.yaml -f deploy/extender/config.yaml
wait_until 20 "the Rollout CRD to be established" \
  test "$(k get crd rollouts.berth.dev -o jsonpath='{.status.conditions[?(@.type=="Established")].status}')" = True
k -n berth-system get configmap berth-webhooks-config -o jsonpath='{.data.webhooks\.yaml}' >"$work/webhooks.yaml"
k -n berth-system get configmap berth-extender-config -o jsonpath='{.data.extender\.yaml}' >"$work/extender.yaml"

step "Starting berth-extender, berth-webhooks and berth-controller"
"$bin/scheduler-extender/berth-extender" --kubeconfig "$KUBECONFIG" \
  --bind-address "127.0.0.1:$extender_port" --config "$work/extender.yaml" >"$work/extender.log" 2>&1 &
pids+=($!)
"$bin/webhooks/berth-webhooks" --kubeconfig "$KUBECONFIG" --bind-address "127.0.0.1:$webhooks_port" \
  --metrics-bind-address "127.0.0.1:$webhooks_metrics" --config "$work/webhooks.yaml" \
  --namespace berth-system --shutdown-delay 0 >"$work/webhooks.log" 2>&1 &
pids+=($!)
"$bin/controllers/berth-controller" --kubeconfig "$KUBECONFIG" --leader-elect \
  --leader-elect-namespace berth-system --metrics-bind-address "127.0.0.1:$controller_metrics" \
  >"$work/controller.log" 2>&1 &
pids+=($!)
wait_until 30 "berth-extender to be ready" curl -sf "http://127.0.0.1:$extender_port/readyz"
ok "berth-extender ready on 127.0.0.1:$extender_port (caches synced)"
wait_until 30 "berth-webhooks to be ready" curl -sf "http://127.0.0.1:$webhooks_metrics/readyz"
wait_until 30 "berth-webhooks to write the caBundle" \
  test -n "$(k get mutatingwebhookconfiguration berth-webhooks -o jsonpath='{.webhooks[0].clientConfig.caBundle}')"
ok "berth-webhooks ready on 127.0.0.1:$webhooks_port; it wrote its CA into the webhook configurations:"
show k -n berth-system get secret berth-webhooks-tls
wait_until 30 "berth-controller to lead" curl -sf "http://127.0.0.1:$controller_metrics/readyz"
ok "berth-controller ready and leading (Lease berth-system/berth-controller)"
pause 1

# --- 1. placement -------------------------------------------------------------------------
step "1. Placement by berth-extender: anti-affinity spreads frontend, affinity pulls the cache to it"
show k apply -f deploy/samples/namespace.yaml -f deploy/samples/affinity.yaml
running() { # NAME COUNT: COUNT pods of app NAME are Running
  test "$(k -n berth-demo get pods -l "app.kubernetes.io/name=$1" \
    --field-selector status.phase=Running -o name | wc -l)" -ge "$2"
}
wait_until 60 "3 frontend pods to run" running frontend 3
wait_until 60 "2 frontend-cache pods to run" running frontend-cache 2
columns='POD:.metadata.name,NODE:.spec.nodeName,PHASE:.status.phase'
show k -n berth-demo get pods -o "custom-columns=$columns" --sort-by=.metadata.name
frontend_nodes=$(k -n berth-demo get pods -l app.kubernetes.io/name=frontend -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}')
[ "$(sort -u <<<"$frontend_nodes" | wc -l)" -eq 3 ] || fail "frontend pods share a node: $frontend_nodes"
ok "the three frontend pods are on three different nodes"
cache_nodes=$(k -n berth-demo get pods -l app.kubernetes.io/name=frontend-cache -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}')
while read -r n; do
  grep -qx "$n" <<<"$frontend_nodes" || fail "frontend-cache pod on $n, a node without frontend"
done <<<"$cache_nodes"
ok "every frontend-cache pod sits next to a frontend pod"

pod=$(k -n berth-demo get pods -l app.kubernetes.io/name=frontend-cache -o jsonpath='{.items[0].metadata.name}')
say ""
say "Why there? berth-extender explains its last decision for $pod (GET /explain):"
explain=$(curl -sf "http://127.0.0.1:$extender_port/explain?pod=berth-demo/$pod&verb=prioritize&limit=1")
jq -r '.decisions[0] | "  \(.verb) of \(.pod.namespace)/\(.pod.name), \(.candidates) candidate nodes:",
  (.nodes | sort_by(-.score) | .[:6][] | "    \(.node)  score \(.score)/10   " +
   (.policies | to_entries | map("\(.key) \(.value.normalized)/100") | join(", ")))' \
  <<<"$explain" || fail "unexpected /explain answer: $explain"

show k -n berth-demo scale deployment frontend --replicas 7
failed_scheduling() {
  [ -n "$(k -n berth-demo get events --field-selector reason=FailedScheduling -o name)" ]
}
wait_until 60 "a FailedScheduling event for the 7th frontend pod" failed_scheduling
say "Six nodes, seven pods that refuse to share one: the last stays Pending, and says why:"
show k -n berth-demo get events --field-selector reason=FailedScheduling \
  -o custom-columns=OBJECT:.involvedObject.name,MESSAGE:.message
k -n berth-demo scale deployment frontend --replicas 3 >/dev/null
pause 2

# --- 2. injection -------------------------------------------------------------------------
step "2. Injection by berth-webhooks: a log-shipper sidecar and a secret mount"
show k apply -f deploy/samples/injection.yaml
show k -n berth-demo get pod app-with-sidecar \
  -o custom-columns='INIT:.spec.initContainers[*].name,CONTAINERS:.spec.containers[*].name,INJECTED:.metadata.annotations.berth\.dev/injected'
containers=$(k -n berth-demo get pod app-with-sidecar -o jsonpath='{.spec.initContainers[*].name} {.spec.containers[*].name}')
[ "$(wc -w <<<"$containers")" -ge 2 ] || fail "no sidecar was injected: $containers"
mounts=$(k -n berth-demo get pod app-with-sidecar -o jsonpath='{.spec.containers[0].volumeMounts[*].mountPath}')
grep -q /var/run/berth/secrets/demo-credentials <<<"$mounts" || fail "secret not mounted: $mounts"
ok "sidecar injected, demo-credentials mounted read-only at /var/run/berth/secrets/demo-credentials"
show k apply -f deploy/samples/injection.yaml
again=$(k -n berth-demo get pod app-with-sidecar -o jsonpath='{.spec.initContainers[*].name} {.spec.containers[*].name}')
[ "$(wc -w <<<"$again")" -eq "$(wc -w <<<"$containers")" ] || fail "re-apply injected again: $again"
ok "re-applying injects nothing twice (the pod carries a marker annotation)"
pause 2

# --- 3. policy ----------------------------------------------------------------------------
step "3. Policy by berth-webhooks: berth-demo enforces it, so a :latest privileged pod is refused"
if out=$(k apply -f deploy/samples/denied-pod.yaml 2>&1); then
  fail "the denied pod was admitted: $out"
fi
printf '%s$ kubectl apply -f deploy/samples/denied-pod.yaml%s\n%s\n' "$dim" "$off" "$out"
grep -q 'denied the request' <<<"$out" || fail "unexpected refusal: $out"
ok "refused, with one line per thing to fix"
pause 2

# --- 4. rollout ---------------------------------------------------------------------------
step "4. A canary Rollout by berth-controller"
show k apply -f tools/demo/rollout.yaml
phase() { k -n berth-demo get rollout shop -o jsonpath='{.status.phase}'; }
watch_rollout() { # SECONDS TARGET-PHASE...: prints each change until a target phase
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds)) last='' now p
  while :; do
    now=$(k -n berth-demo get rollout shop --no-headers \
      -o custom-columns='PHASE:.status.phase,STEP:.status.currentStepIndex,READY:.status.readyReplicas,MESSAGE:.status.message' 2>/dev/null || true)
    if [ "$now" != "$last" ]; then say "  $now"; last=$now; fi
    p=$(awk '{print $1}' <<<"$now")
    for t in "$@"; do [ "$p" = "$t" ] && return 0; done
    [ $SECONDS -lt $deadline ] || fail "rollout shop did not reach $* within ${seconds}s"
    sleep 0.5
  done
}
say "  PHASE  STEP  READY  MESSAGE"
watch_rollout 60 Healthy
ok "five pods of the first revision are serving"

say ""
say "A new version rolls out 40% -> pause -> 100%; the stable pods stay until canaries are ready:"
show k -n berth-demo patch rollout shop --type json \
  -p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"registry.k8s.io/e2e-test-images/agnhost:2.47"}]'
watch_rollout 90 Healthy
only_new_version() {
  local images
  images=$(k -n berth-demo get pods -l app.kubernetes.io/name=shop -o jsonpath='{.items[*].spec.containers[0].image}')
  ! grep -q 2.45 <<<"$images"
}
wait_until 30 "the old revision's pods to terminate" only_new_version
ok "all pods run agnhost:2.47"

say ""
say "Now a version that crash-loops (berth-sim's kubelet makes it crash): the analysis aborts it."
stable=$(k -n berth-demo get rollout shop -o jsonpath='{.status.stableHash}')
show k -n berth-demo patch rollout shop --type json -p '[
  {"op":"add","path":"/spec/template/metadata/annotations","value":{"sim.berth.dev/fail":"crash-loop"}},
  {"op":"replace","path":"/spec/template/spec/containers/0/image","value":"registry.k8s.io/e2e-test-images/agnhost:2.48"}]'
watch_rollout 90 Degraded Aborted
ready_stable=$(k -n berth-demo get pods -l "app.kubernetes.io/name=shop,berth.dev/pod-template-hash=$stable" \
  -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
[ "$ready_stable" -ge 5 ] || fail "only $ready_stable stable pods are ready after the rollback"
ok "rolled back: $ready_stable pods of the stable revision serve, the canary is gone"
say "The Rollout's last events:"
k -n berth-demo get events --field-selector involvedObject.kind=Rollout \
  -o custom-columns=REASON:.reason,MESSAGE:.message | tail -n 4

step "Done"
cat <<EOF
Berth placed pods by affinity, injected a sidecar, refused a bad pod and rolled back a bad
release, all on berth-sim. Next:
  - install it into a real cluster: README.md "Installing into a cluster", deploy/README.md
  - explore this cluster yourself: tools/demo.sh --keep, then use the KUBECONFIG it prints
  - every feature's sample: deploy/samples/README.md
  - how fast it is: bench/README.md
EOF
if [ $keep = 1 ]; then
  say ""
  say "Still running. In another terminal:  export KUBECONFIG=$KUBECONFIG"
  say "Ctrl-C stops berth-sim and Berth."
  wait
fi
