#include "sim/cluster/flags.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "kube/core/strings.h"
#include "sim/cluster/duration.h"

namespace berth::sim {

namespace {

constexpr std::string_view kUsage =
    "Simulated cluster:\n"
    "  --nodes N                   fake nodes to register (default 3)\n"
    "  --node-cpu Q, --node-memory Q, --node-pods N\n"
    "                              capacity = allocatable per node (default 4, 8Gi, 110)\n"
    "  --node-name-prefix P        node names P0..PN-1 (default sim-node-)\n"
    "  --node-labels k=v,...       extra labels on every node\n"
    "  --zones a,b,c               topology.kubernetes.io/zone values, round-robin\n"
    "                              (default zone-a,zone-b,zone-c)\n"
    "  --region R                  topology.kubernetes.io/region (default region-1)\n"
    "  --racks-per-zone N          topology.berth.dev/rack values per zone (default 1)\n"
    "  --node-lease-interval D     node Lease renewal period (default 10s)\n"
    "  --node-status-interval D    node status heartbeat period (default 5m)\n"
    "  --kubelet[=BOOL]            run pods bound to the fake nodes (default true)\n"
    "  --pod-start-delay D         bound pod to Running/Ready (default 500ms; per pod:\n"
    "                              annotation sim.berth.dev/start-delay)\n"
    "  --pod-start-jitter F        start delay varies by +-F (default 0.2)\n"
    "  --pod-stop-delay D          graceful termination, bounded by the grace period\n"
    "                              (default 500ms; per pod: sim.berth.dev/stop-delay)\n"
    "  --crash-loop-backoff D      first CrashLoopBackOff delay, doubling to 30x (default 10s)\n"
    "  --controllers[=BOOL]        run the ReplicaSet and Deployment controllers (default true)\n"
    "  --concurrent-replicaset-syncs N, --concurrent-deployment-syncs N   (default 2, 2)\n"
    "  --scheduler[=BOOL]          run the scheduler simulator (default true)\n"
    "  --scheduler-name NAME       schedulerName it serves with extenders\n"
    "                              (default berth-scheduler)\n"
    "  --default-scheduler[=BOOL]  also schedule default-scheduler pods, without\n"
    "                              extenders (default true)\n"
    "  --percentage-of-nodes-to-score N   0 = adaptive (default), 1..100\n"
    "  --extender-url URL          add an extender (urlPrefix); the --extender-* flags\n"
    "                              below apply to the last one added\n"
    "  --extender-weight N         (default 1)\n"
    "  --extender-node-cache-capable[=BOOL]   (default true)\n"
    "  --extender-ignorable[=BOOL] (default false)\n"
    "  --extender-http-timeout D   (default 5s)\n"
    "  --extender-filter-verb V, --extender-prioritize-verb V   (default filter,\n"
    "                              prioritize; empty = not called)\n"
    "  --extender-ca-file PATH, --extender-insecure-skip-verify[=BOOL]   TLS to the extender\n"
    "  --webhook-service NS/NAME=HOST:PORT   call admission webhooks whose clientConfig names\n"
    "                              service NS/NAME at HOST:PORT (TLS verified for\n"
    "                              NAME.NS.svc, as the apiserver does); repeatable\n"
    "  --seed N                    seed for kubelet jitter, scheduler tie-breaks and faults\n"
    "Fault injection (also GET/PUT /admin/faults on the API listener):\n"
    "  --fault-error-rate F        fraction of matching requests answered with an error\n"
    "  --fault-error-code C        429 (with Retry-After), 500, 503 or 504 (default 500)\n"
    "  --fault-retry-after S       Retry-After seconds of 429s (default 1)\n"
    "  --fault-verbs v,...         get,list,watch,create,update,patch,delete,deletecollection\n"
    "                              (default all)\n"
    "  --fault-resources r,...     plurals, or plural/subresource (default all)\n"
    "  --fault-latency D, --fault-latency-jitter D   added to matching requests\n"
    "  --fault-internal[=BOOL]     the rule also hits the in-process components\n"
    "  --fault-drop-watches-every D      cut every open watch's connection every D\n"
    "  --fault-expire-history-every D    forced 410: expire the watch history every D\n"
    "  --fault-seed N              seed of fault decisions\n"
    "  --fault-config FILE         a FaultConfig JSON file (as PUT /admin/faults takes)\n";

kube::Error bad(std::string_view flag, const std::string& why) {
  return kube::Error::make(kube::Reason::kInvalid, std::string(flag) + ": " + why);
}

std::vector<std::string> list(std::string_view text) {
  std::vector<std::string> out;
  for (auto part : kube::split(text, ',')) {
    auto t = kube::trim(part);
    if (!t.empty()) out.emplace_back(t);
  }
  return out;
}

}  // namespace

std::string_view ClusterFlags::usage() {
  return kUsage;
}

kube::Result<bool> ClusterFlags::parse(std::string_view name,
                                       const std::optional<std::string>& inline_value,
                                       const std::function<std::string()>& next) {
  auto value = [&]() -> std::string { return inline_value ? *inline_value : next(); };
  auto boolean = [&]() -> kube::Result<bool> {
    if (!inline_value) return true;
    const std::string& v = *inline_value;
    if (v == "true" || v == "1" || v == "t") return true;
    if (v == "false" || v == "0" || v == "f") return false;
    return bad(name, "must be true or false, got \"" + v + "\"");
  };
  auto integer = [&](long long min, long long max) -> kube::Result<long long> {
    std::string v = value();
    auto n = kube::parse_int(v);
    if (!n || *n < min || *n > max) {
      return bad(name, "must be an integer between " + std::to_string(min) + " and " +
                           std::to_string(max) + ", got \"" + v + "\"");
    }
    return *n;
  };
  auto fraction = [&]() -> kube::Result<double> {
    std::string v = value();
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || !(d >= 0 && d <= 1)) {
      return bad(name, "must be a number between 0 and 1, got \"" + v + "\"");
    }
    return d;
  };
  auto duration = [&]() -> kube::Result<std::chrono::milliseconds> {
    std::string v = value();
    auto d = parse_duration(v);
    if (!d) return bad(name, "must be a duration such as 500ms or 10s, got \"" + v + "\"");
    return *d;
  };
  auto extender = [&]() -> kube::Result<scheduling::ExtenderConfig*> {
    auto& list = options_.scheduler_options.extenders;
    if (list.empty()) return bad(name, "needs an --extender-url before it");
    return &list.back();
  };
  SimClusterOptions& o = options_;
  NodePoolOptions& n = o.nodes;

  if (name == "--nodes") {
    KUBE_ASSIGN_OR_RETURN(long long v, integer(0, 32768));
    n.count = static_cast<int>(v);
  } else if (name == "--node-cpu") {
    n.cpu = value();
  } else if (name == "--node-memory") {
    n.memory = value();
  } else if (name == "--node-pods") {
    KUBE_ASSIGN_OR_RETURN(long long v, integer(1, 250));
    n.pods = static_cast<int>(v);
  } else if (name == "--node-name-prefix") {
    n.name_prefix = value();
  } else if (name == "--node-labels") {
    for (const auto& kv : list(value())) {
      auto eq = kv.find('=');
      if (eq == std::string::npos) return bad(name, "expects key=value pairs, got \"" + kv + "\"");
      n.labels[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
  } else if (name == "--zones") {
    n.zones = list(value());
  } else if (name == "--region") {
    n.region = value();
  } else if (name == "--racks-per-zone") {
    KUBE_ASSIGN_OR_RETURN(long long v, integer(1, 1000));
    n.racks_per_zone = static_cast<int>(v);
  } else if (name == "--node-lease-interval") {
    KUBE_ASSIGN_OR_RETURN(n.lease_interval, duration());
  } else if (name == "--node-status-interval") {
    KUBE_ASSIGN_OR_RETURN(n.status_interval, duration());
  } else if (name == "--kubelet") {
    KUBE_ASSIGN_OR_RETURN(o.kubelet, boolean());
  } else if (name == "--pod-start-delay") {
    KUBE_ASSIGN_OR_RETURN(o.kubelet_options.pod_start_delay, duration());
  } else if (name == "--pod-start-jitter") {
    KUBE_ASSIGN_OR_RETURN(o.kubelet_options.start_jitter, fraction());
  } else if (name == "--pod-stop-delay") {
    KUBE_ASSIGN_OR_RETURN(o.kubelet_options.pod_stop_delay, duration());
  } else if (name == "--crash-loop-backoff") {
    KUBE_ASSIGN_OR_RETURN(o.kubelet_options.crash_loop_backoff, duration());
    o.kubelet_options.max_crash_loop_backoff = o.kubelet_options.crash_loop_backoff * 30;
  } else if (name == "--controllers") {
    KUBE_ASSIGN_OR_RETURN(o.controllers, boolean());
  } else if (name == "--concurrent-replicaset-syncs") {
    KUBE_ASSIGN_OR_RETURN(long long v, integer(1, 64));
    o.controller_options.replicaset_workers = static_cast<int>(v);
  } else if (name == "--concurrent-deployment-syncs") {
    KUBE_ASSIGN_OR_RETURN(long long v, integer(1, 64));
    o.controller_options.deployment_workers = static_cast<int>(v);
  } else if (name == "--scheduler") {
    KUBE_ASSIGN_OR_RETURN(o.scheduler, boolean());
  } else if (name == "--scheduler-name") {
    o.scheduler_options.scheduler_name = value();
  } else if (name == "--default-scheduler") {
    KUBE_ASSIGN_OR_RETURN(o.scheduler_options.default_scheduler, boolean());
  } else if (name == "--percentage-of-nodes-to-score") {
    KUBE_ASSIGN_OR_RETURN(o.scheduler_options.percentage_of_nodes_to_score, integer(0, 100));
  } else if (name == "--extender-url") {
    scheduling::ExtenderConfig e;
    e.url_prefix = value();
    o.scheduler_options.extenders.push_back(std::move(e));
  } else if (name == "--extender-weight") {
    KUBE_ASSIGN_OR_RETURN(auto* e, extender());
    KUBE_ASSIGN_OR_RETURN(e->weight, integer(1, 1000000));
  } else if (name == "--extender-node-cache-capable") {
    KUBE_ASSIGN_OR_RETURN(auto* e, extender());
    KUBE_ASSIGN_OR_RETURN(e->node_cache_capable, boolean());
  } else if (name == "--extender-ignorable") {
    KUBE_ASSIGN_OR_RETURN(auto* e, extender());
    KUBE_ASSIGN_OR_RETURN(e->ignorable, boolean());
  } else if (name == "--extender-http-timeout") {
    KUBE_ASSIGN_OR_RETURN(auto* e, extender());
    KUBE_ASSIGN_OR_RETURN(e->http_timeout, duration());
  } else if (name == "--extender-filter-verb") {
    KUBE_ASSIGN_OR_RETURN(auto* e, extender());
    e->filter_verb = value();
  } else if (name == "--extender-prioritize-verb") {
    KUBE_ASSIGN_OR_RETURN(auto* e, extender());
    e->prioritize_verb = value();
  } else if (name == "--extender-ca-file") {
    KUBE_ASSIGN_OR_RETURN(auto* e, extender());
    std::string path = value();
    std::ifstream in(path, std::ios::binary);
    if (!in) return bad(name, "cannot read " + path);
    std::ostringstream pem;
    pem << in.rdbuf();
    e->ca_pem = pem.str();
  } else if (name == "--extender-insecure-skip-verify") {
    KUBE_ASSIGN_OR_RETURN(auto* e, extender());
    KUBE_ASSIGN_OR_RETURN(e->insecure_skip_verify, boolean());
  } else if (name == "--webhook-service") {
    // NAMESPACE/NAME=HOST:PORT: where a webhook configuration's service reference is served.
    std::string v = value();
    auto eq = v.find('=');
    auto slash = v.find('/');
    if (eq == std::string::npos || slash == std::string::npos || slash > eq || slash == 0 ||
        slash + 1 == eq || eq + 1 == v.size()) {
      return bad(name, "want NAMESPACE/NAME=HOST:PORT, got \"" + v + "\"");
    }
    o.api.webhooks.service_addresses[v.substr(0, eq)] = v.substr(eq + 1);
  } else if (name == "--seed") {
    KUBE_ASSIGN_OR_RETURN(long long v, integer(0, std::numeric_limits<long long>::max()));
    o.seed = static_cast<std::uint64_t>(v);
  } else if (name == "--fault-error-rate") {
    KUBE_ASSIGN_OR_RETURN(fault_rule_.error_rate, fraction());
    fault_rule_set_ = true;
  } else if (name == "--fault-error-code") {
    KUBE_ASSIGN_OR_RETURN(long long v, integer(0, 999));
    if (v != 429 && v != 500 && v != 503 && v != 504)
      return bad(name, "must be 429, 500, 503 or 504");
    fault_rule_.code = static_cast<int>(v);
    fault_rule_set_ = true;
  } else if (name == "--fault-retry-after") {
    KUBE_ASSIGN_OR_RETURN(long long v, integer(0, 3600));
    fault_rule_.retry_after_seconds = static_cast<int>(v);
    fault_rule_set_ = true;
  } else if (name == "--fault-verbs") {
    fault_rule_.verbs = list(value());
    for (const auto& v : fault_rule_.verbs) {
      if (!is_fault_verb(v)) return bad(name, "unknown verb \"" + v + "\"");
    }
    fault_rule_set_ = true;
  } else if (name == "--fault-resources") {
    fault_rule_.resources = list(value());
    fault_rule_set_ = true;
  } else if (name == "--fault-latency") {
    KUBE_ASSIGN_OR_RETURN(fault_rule_.latency, duration());
    fault_rule_set_ = true;
  } else if (name == "--fault-latency-jitter") {
    KUBE_ASSIGN_OR_RETURN(fault_rule_.jitter, duration());
    fault_rule_set_ = true;
  } else if (name == "--fault-internal") {
    KUBE_ASSIGN_OR_RETURN(fault_rule_.internal, boolean());
    fault_rule_set_ = true;
  } else if (name == "--fault-drop-watches-every") {
    KUBE_ASSIGN_OR_RETURN(o.faults.drop_watches_every, duration());
  } else if (name == "--fault-expire-history-every") {
    KUBE_ASSIGN_OR_RETURN(o.faults.expire_history_every, duration());
  } else if (name == "--fault-seed") {
    KUBE_ASSIGN_OR_RETURN(long long v, integer(0, std::numeric_limits<long long>::max()));
    o.faults.seed = static_cast<std::uint64_t>(v);
  } else if (name == "--fault-config") {
    fault_config_file_ = value();
  } else {
    return false;
  }
  return true;
}

kube::Result<SimClusterOptions> ClusterFlags::finish() {
  SimClusterOptions o = options_;
  if (!fault_config_file_.empty()) {
    std::ifstream in(fault_config_file_, std::ios::binary);
    if (!in) return bad("--fault-config", "cannot read " + fault_config_file_);
    std::ostringstream text;
    text << in.rdbuf();
    auto config = parse_fault_config(text.str());
    if (!config.ok()) return bad("--fault-config", config.error().message);
    FaultConfig merged = std::move(config).value();
    // Flags given next to the file take precedence over it.
    if (o.faults.seed != 0) merged.seed = o.faults.seed;
    if (o.faults.drop_watches_every.count() > 0)
      merged.drop_watches_every = o.faults.drop_watches_every;
    if (o.faults.expire_history_every.count() > 0) {
      merged.expire_history_every = o.faults.expire_history_every;
    }
    o.faults = std::move(merged);
  }
  if (fault_rule_set_) o.faults.rules.push_back(fault_rule_);
  KUBE_RETURN_IF_ERROR(validate(o.nodes));
  KUBE_RETURN_IF_ERROR(validate(o.kubelet_options));
  KUBE_RETURN_IF_ERROR(validate(o.scheduler_options));
  return o;
}

}  // namespace berth::sim
