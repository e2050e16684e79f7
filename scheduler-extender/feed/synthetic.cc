#include "scheduler-extender/feed/synthetic.h"

#include <cstdio>

#include "kube/core/json.h"
#include "scheduler-extender/state/well_known.h"

namespace berth::extender {

namespace {

constexpr std::size_t kNodesPerRack = 20;
constexpr std::size_t kRacksPerZone = 25;
constexpr std::size_t kZonesPerRegion = 5;
constexpr std::size_t kNamespaces = 50;
constexpr std::size_t kReplicas = 30;
const char* const kClasses[] = {"cpu-bound", "io-bound", "latency-critical", "batch", ""};

std::string numbered(const char* prefix, std::size_t n, int width) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s%0*zu", prefix, width, n);
  return buf;
}

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}

std::string app_name(std::size_t app) {
  return numbered("app-", app, 5);
}

std::string namespace_of(std::size_t app) {
  return numbered("ns-", app % kNamespaces, 2);
}

PodAffinityTermSpec app_term(const std::string& app, std::string key, std::int32_t weight) {
  PodAffinityTermSpec t;
  t.selector = *kube::LabelSelector::parse("app=" + app);
  t.topology_key = std::move(key);
  t.weight = weight;
  return t;
}

}  // namespace

std::string synthetic_node_name(std::size_t index) {
  return numbered("node-", index, 5);
}

NodeSpec synthetic_node(std::size_t i) {
  NodeSpec n;
  n.name = synthetic_node_name(i);
  std::size_t rack = i / kNodesPerRack;
  std::size_t zone = rack / kRacksPerZone;
  n.labels = {
      {std::string(well_known::kHostnameLabel), n.name},
      {std::string(well_known::kRackLabel), numbered("rack-", rack, 4)},
      {std::string(well_known::kZoneLabel), numbered("zone-", zone, 3)},
      {std::string(well_known::kRegionLabel), numbered("region-", zone / kZonesPerRegion, 2)},
      {"kubernetes.io/os", "linux"}};
  std::sort(n.labels.begin(), n.labels.end());
  n.allocatable.milli_cpu = 64000;
  n.allocatable.memory = 256LL << 30;
  n.allocatable.ephemeral_storage = 500LL << 30;
  n.allocatable.pods = 110;
  n.images = {{{"registry.example/base:1"}, 80 << 20},
              {{numbered("registry.example/app-", i % 97, 3) + ":1"}, 300 << 20}};
  return n;
}

PodSpec synthetic_pod(const SyntheticCluster& shape, std::size_t i) {
  std::uint64_t r = mix(shape.seed * 1000003 + i);
  std::size_t app = i / kReplicas;
  PodSpec p;
  p.namespace_ = namespace_of(app);
  p.name = app_name(app) + "-" + std::to_string(i % kReplicas);
  p.uid = numbered("uid-", i, 8);
  p.node_name = synthetic_node_name(static_cast<std::size_t>(r % shape.nodes));
  p.phase = "Running";
  p.labels = {{"app", app_name(app)},
              {"pod-template-hash", numbered("h", app * 7 % 1000, 3)},
              {"tier", app % 3 == 0 ? "frontend" : "backend"}};
  const char* cls = kClasses[app % 5];
  if (*cls != '\0') {
    p.labels.emplace_back(std::string(well_known::kWorkloadClassLabel), cls);
    p.workload_class = cls;
  }
  std::sort(p.labels.begin(), p.labels.end());
  p.requests.requests.milli_cpu = 250 + static_cast<std::int64_t>(r % 4) * 250;
  p.requests.requests.memory = (256LL << 20) * static_cast<std::int64_t>(1 + (r >> 8) % 4);
  p.requests.nonzero_milli_cpu = p.requests.requests.milli_cpu;
  p.requests.nonzero_memory = p.requests.requests.memory;
  p.qos = QosClass::kBurstable;
  if (app % 10 == 0) {
    p.required_anti_affinity.push_back(
        app_term(app_name(app), std::string(well_known::kHostnameLabel), 0));
  } else if (app % 10 == 5) {
    p.preferred_affinity.push_back(
        app_term(app_name(app + 1), std::string(well_known::kZoneLabel), 50));
  }
  return p;
}

void populate(ClusterState& state, const SyntheticCluster& shape) {
  auto w = state.write();
  for (std::size_t i = 0; i < kNamespaces; ++i) {
    w.upsert_namespace(numbered("ns-", i, 2), {{"team", i % 2 == 0 ? "a" : "b"}});
  }
  for (std::size_t i = 0; i < shape.nodes; ++i)
    w.upsert_node(synthetic_node(i));
  for (std::size_t i = 0; i < shape.pods; ++i)
    w.upsert_pod(synthetic_pod(shape, i));
  PvSpec pv;
  pv.name = "pv-data";
  w.upsert_volume(pv);
  PvcSpec claim;
  claim.namespace_ = namespace_of(0);
  claim.name = "data";
  claim.volume_name = pv.name;
  claim.data_location =
      DataLocationRecord{{synthetic_node_name(1), synthetic_node_name(2), synthetic_node_name(3)}};
  w.upsert_claim(claim);
  for (ObjectKind kind : {ObjectKind::kPod, ObjectKind::kNode, ObjectKind::kNamespace,
                          ObjectKind::kPersistentVolumeClaim, ObjectKind::kPersistentVolume,
                          ObjectKind::kStorageClass}) {
    state.mark_synced(kind);
  }
}

PodSpec synthetic_incoming_pod(const SyntheticCluster& shape) {
  (void)shape;
  PodSpec p;
  p.namespace_ = namespace_of(0);
  p.name = app_name(0) + "-new";
  p.uid = "uid-incoming";
  p.labels = {{"app", app_name(0)}, {"tier", "frontend"}};
  p.phase = "Pending";
  p.requests.requests.milli_cpu = 500;
  p.requests.requests.memory = 512LL << 20;
  p.requests.nonzero_milli_cpu = 500;
  p.requests.nonzero_memory = 512LL << 20;
  p.required_anti_affinity.push_back(
      app_term(app_name(0), std::string(well_known::kHostnameLabel), 0));
  p.preferred_affinity.push_back(app_term(app_name(1), std::string(well_known::kZoneLabel), 50));
  p.claim_names = {"data"};
  p.images = {"registry.example/base:1", "registry.example/app-000:1"};
  return p;
}

std::string synthetic_extender_args(const SyntheticCluster& shape, std::size_t candidates) {
  PodSpec p = synthetic_incoming_pod(shape);
  std::string body =
      R"({"Pod":{"metadata":{"name":")" + p.name + R"(","namespace":")" + p.namespace_ +
      R"(","uid":")" + p.uid +
      R"(","labels":{"app":"app-00000","tier":"frontend"}},"spec":{)"
      R"("volumes":[{"name":"data","persistentVolumeClaim":{"claimName":"data"}}],)"
      R"("containers":[{"name":"app","image":"registry.example/app-000:1",)"
      R"("resources":{"requests":{"cpu":"500m","memory":"512Mi"}}}],)"
      R"("affinity":{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[)"
      R"({"labelSelector":{"matchLabels":{"app":"app-00000"}},"topologyKey":"kubernetes.io/hostname"}]},)"
      R"("podAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":50,)"
      R"("podAffinityTerm":{"labelSelector":{"matchLabels":{"app":"app-00001"}},)"
      R"("topologyKey":"topology.kubernetes.io/zone"}}]}}},)"
      R"("status":{"phase":"Pending","qosClass":"Burstable"}},"Nodes":null,"NodeNames":[)";
  for (std::size_t i = 0; i < candidates && i < shape.nodes; ++i) {
    if (i > 0) body += ',';
    body += '"';
    body += synthetic_node_name(i);
    body += '"';
  }
  body += "]}";
  return body;
}

}  // namespace berth::extender
