#include "sim/kubelet/node_pool.h"

#include <algorithm>

#include "kube/api/quantity.h"
#include "kube/api/selector.h"
#include "kube/core/log.h"
#include "kube/core/time.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kMaxNodes = 32768;
// A /24 per node leaves 253 pod addresses after the gateway.
constexpr int kMaxPodsPerNode = 250;
constexpr std::string_view kKubeletVersion = "v1.26.1";

kube::Error invalid(std::string message) {
  return kube::Error::make(kube::Reason::kInvalid, std::move(message));
}

bool dns_label_chars(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

std::string ipv4(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

Identity node_identity(const std::string& node) {
  return {"system:node:" + node, {"system:nodes", "system:authenticated"}, "kubelet"};
}

void add_condition(Value& conditions, std::string_view type, std::string_view status,
                   std::string_view reason, std::string_view message, const std::string& now,
                   json::Allocator& a) {
  Value c(rapidjson::kObjectType);
  json::set_string(c, "type", type, a);
  json::set_string(c, "status", status, a);
  json::set_string(c, "lastHeartbeatTime", now, a);
  json::set_string(c, "lastTransitionTime", now, a);
  json::set_string(c, "reason", reason, a);
  json::set_string(c, "message", message, a);
  conditions.PushBack(c, a);
}

}  // namespace

kube::Status validate(const NodePoolOptions& o) {
  if (o.count < 0 || o.count > kMaxNodes) {
    return invalid("--nodes must be between 0 and " + std::to_string(kMaxNodes));
  }
  auto cpu = kube::Quantity::parse(o.cpu);
  if (!cpu || cpu->milli() <= 0)
    return invalid("--node-cpu must be a positive quantity, got \"" + o.cpu + "\"");
  auto memory = kube::Quantity::parse(o.memory);
  if (!memory || memory->milli() <= 0) {
    return invalid("--node-memory must be a positive quantity, got \"" + o.memory + "\"");
  }
  if (o.pods < 1 || o.pods > kMaxPodsPerNode) {
    return invalid("--node-pods must be between 1 and " + std::to_string(kMaxPodsPerNode));
  }
  if (o.name_prefix.empty() || !dns_label_chars(o.name_prefix) || o.name_prefix.size() > 200 ||
      !(o.name_prefix[0] >= 'a' && o.name_prefix[0] <= 'z')) {
    return invalid("node name prefix must start with a lower-case letter and hold only [a-z0-9.-]");
  }
  if (o.zones.empty()) return invalid("--zones needs at least one zone");
  for (const auto& z : o.zones) {
    if (z.empty() || !kube::label_value_errors(z).empty()) {
      return invalid("--zones: \"" + z + "\" is not a valid label value");
    }
  }
  if (o.region.empty() || !kube::label_value_errors(o.region).empty()) {
    return invalid("--region: \"" + o.region + "\" is not a valid label value");
  }
  if (o.racks_per_zone < 1 || o.racks_per_zone > 1000) {
    return invalid("--racks-per-zone must be between 1 and 1000");
  }
  for (const auto& [k, v] : o.labels) {
    if (!kube::qualified_name_errors(k).empty() || !kube::label_value_errors(v).empty()) {
      return invalid("node label " + k + "=" + v + " is not a valid label");
    }
  }
  if (o.lease_interval < std::chrono::milliseconds(10) ||
      o.status_interval < std::chrono::milliseconds(10)) {
    return invalid("node heartbeat intervals must be at least 10ms");
  }
  return {};
}

NodePool::NodePool(LocalClient client, NodePoolOptions options)
    : client_(std::move(client)), options_(std::move(options)), boot_id_(new_uid()) {
  nodes_resource_ = client_.resource("", "v1", "nodes");
  leases_resource_ = client_.resource("coordination.k8s.io", "v1", "leases");
  int zones = static_cast<int>(options_.zones.size());
  for (int i = 0; i < options_.count; ++i) {
    SimNode n;
    n.name = options_.name_prefix + std::to_string(i);
    n.zone = options_.zones[static_cast<std::size_t>(i % zones)];
    n.rack = n.zone + "-rack-" + std::to_string((i / zones) % options_.racks_per_zone);
    n.internal_ip = ipv4((172u << 24 | 16u << 16) + static_cast<std::uint32_t>(i) + 1);
    n.pod_network = (10u << 24) | static_cast<std::uint32_t>(128 + i / 256) << 16 |
                    static_cast<std::uint32_t>(i % 256) << 8;
    n.pod_cidr = ipv4(n.pod_network) + "/24";
    by_name_.emplace(n.name, nodes_.size());
    nodes_.push_back(std::move(n));
  }
  not_ready_.assign(nodes_.size(), false);
}

NodePool::~NodePool() {
  stop();
}

const SimNode* NodePool::find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &nodes_[it->second];
}

json::Document NodePool::node_body(const SimNode& node) const {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  Value& meta = json::ensure_object(doc, "metadata", a);
  json::set_string(meta, "name", node.name, a);
  Value& labels = json::ensure_object(meta, "labels", a);
  json::set_string(labels, "beta.kubernetes.io/arch", "amd64", a);
  json::set_string(labels, "beta.kubernetes.io/os", "linux", a);
  json::set_string(labels, "kubernetes.io/arch", "amd64", a);
  json::set_string(labels, "kubernetes.io/hostname", node.name, a);
  json::set_string(labels, "kubernetes.io/os", "linux", a);
  json::set_string(labels, "topology.kubernetes.io/region", options_.region, a);
  json::set_string(labels, "topology.kubernetes.io/zone", node.zone, a);
  json::set_string(labels, "topology.berth.dev/rack", node.rack, a);
  json::set_string(labels, "sim.berth.dev/node", "true", a);
  for (const auto& [k, v] : options_.labels)
    json::set_string(labels, k, v, a);
  Value& annotations = json::ensure_object(meta, "annotations", a);
  json::set_string(annotations, "node.alpha.kubernetes.io/ttl", "0", a);
  json::set_string(annotations, "volumes.kubernetes.io/controller-managed-attach-detach", "true",
                   a);

  Value& spec = json::ensure_object(doc, "spec", a);
  json::set_string(spec, "podCIDR", node.pod_cidr, a);
  Value cidrs(rapidjson::kArrayType);
  cidrs.PushBack(json::make_string(node.pod_cidr, a), a);
  json::set(spec, "podCIDRs", std::move(cidrs), a);

  Value& status = json::ensure_object(doc, "status", a);
  for (const char* key : {"capacity", "allocatable"}) {
    Value& r = json::ensure_object(status, key, a);
    json::set_string(r, "cpu", options_.cpu, a);
    json::set_string(r, "memory", options_.memory, a);
    json::set_string(r, "pods", std::to_string(options_.pods), a);
  }
  std::string now = now_rfc3339();
  Value& conditions = json::ensure_array(status, "conditions", a);
  add_condition(conditions, "MemoryPressure", "False", "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available", now, a);
  add_condition(conditions, "DiskPressure", "False", "KubeletHasNoDiskPressure",
                "kubelet has no disk pressure", now, a);
  add_condition(conditions, "PIDPressure", "False", "KubeletHasSufficientPID",
                "kubelet has sufficient PID available", now, a);
  add_condition(conditions, "Ready", "True", "KubeletReady", "kubelet is posting ready status", now,
                a);
  Value& addresses = json::ensure_array(status, "addresses", a);
  Value internal(rapidjson::kObjectType);
  json::set_string(internal, "type", "InternalIP", a);
  json::set_string(internal, "address", node.internal_ip, a);
  addresses.PushBack(internal, a);
  Value hostname(rapidjson::kObjectType);
  json::set_string(hostname, "type", "Hostname", a);
  json::set_string(hostname, "address", node.name, a);
  addresses.PushBack(hostname, a);
  Value& endpoints = json::ensure_object(status, "daemonEndpoints", a);
  json::set(json::ensure_object(endpoints, "kubeletEndpoint", a), "Port", Value(10250), a);
  Value& info = json::ensure_object(status, "nodeInfo", a);
  json::set_string(info, "machineID", "", a);
  json::set_string(info, "systemUUID", "", a);
  json::set_string(info, "bootID", boot_id_, a);
  json::set_string(info, "kernelVersion", "", a);
  json::set_string(info, "osImage", "berth-sim", a);
  json::set_string(info, "containerRuntimeVersion", "berth-sim://1", a);
  json::set_string(info, "kubeletVersion", kKubeletVersion, a);
  json::set_string(info, "kubeProxyVersion", kKubeletVersion, a);
  json::set_string(info, "operatingSystem", "linux", a);
  json::set_string(info, "architecture", "amd64", a);
  return doc;
}

kube::Status NodePool::register_node(const SimNode& node) {
  LocalClient kubelet = client_.as(node_identity(node.name));
  auto created = kubelet.create(nodes_resource_, "", node_body(node));
  kube::Object registered;
  if (created.ok()) {
    registered = *created;
  } else if (created.error().code == 409) {
    // A node of that name exists (registered earlier): take it over and report Ready.
    json::Document fresh = node_body(node);
    auto updated = kubelet.update_with(
        nodes_resource_, "", node.name, "status",
        [&fresh](const kube::Object& current) -> ApiResult<json::Document> {
          json::Document doc = current.copy();
          json::set(doc, "status", Value(*json::find(fresh, "status"), doc.GetAllocator()),
                    doc.GetAllocator());
          return doc;
        });
    if (!updated.ok()) {
      return kube::Error::make(kube::Reason::kInternalError,
                               "registering node " + node.name + ": " + updated.error().message);
    }
    registered = *updated;
  } else {
    return kube::Error::make(kube::Reason::kInternalError,
                             "registering node " + node.name + ": " + created.error().message);
  }

  json::Document lease(rapidjson::kObjectType);
  auto& a = lease.GetAllocator();
  Value& meta = json::ensure_object(lease, "metadata", a);
  json::set_string(meta, "name", node.name, a);
  json::set_string(meta, "namespace", "kube-node-lease", a);
  Value refs(rapidjson::kArrayType);
  Value ref(rapidjson::kObjectType);
  json::set_string(ref, "apiVersion", "v1", a);
  json::set_string(ref, "kind", "Node", a);
  json::set_string(ref, "name", node.name, a);
  json::set_string(ref, "uid", registered.uid(), a);
  refs.PushBack(ref, a);
  json::set(meta, "ownerReferences", std::move(refs), a);
  Value& spec = json::ensure_object(lease, "spec", a);
  json::set_string(spec, "holderIdentity", node.name, a);
  json::set(spec, "leaseDurationSeconds", Value(40), a);
  json::set_string(spec, "renewTime", kube::format_micro_time(std::chrono::system_clock::now()), a);
  auto l = kubelet.create(leases_resource_, "kube-node-lease", std::move(lease));
  if (!l.ok() && l.error().code != 409) {
    return kube::Error::make(kube::Reason::kInternalError,
                             "creating the Lease of node " + node.name + ": " + l.error().message);
  }
  if (!l.ok()) renew_lease(node);
  return {};
}

kube::Status NodePool::start() {
  KUBE_RETURN_IF_ERROR(validate(options_));
  for (const auto& node : nodes_)
    KUBE_RETURN_IF_ERROR(register_node(node));
  if (!nodes_.empty()) thread_ = std::thread([this] { run(); });
  kube::log::info("fake nodes registered",
                  {{"nodes", static_cast<unsigned long>(nodes_.size())},
                   {"zones", static_cast<unsigned long>(options_.zones.size())}});
  return {};
}

void NodePool::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void NodePool::renew_lease(const SimNode& node) {
  LocalClient kubelet = client_.as(node_identity(node.name));
  auto r = kubelet.update_with(leases_resource_, "kube-node-lease", node.name, "",
                               [&node](const kube::Object& current) -> ApiResult<json::Document> {
                                 json::Document doc = current.copy();
                                 auto& a = doc.GetAllocator();
                                 Value& spec = json::ensure_object(doc, "spec", a);
                                 json::set_string(spec, "holderIdentity", node.name, a);
                                 json::set_string(
                                     spec, "renewTime",
                                     kube::format_micro_time(std::chrono::system_clock::now()), a);
                                 return doc;
                               });
  if (r.ok()) {
    ++renewals_;
  } else {
    kube::log::v(2, "node lease renewal failed",
                 {{"node", node.name}, {"error", r.error().message}});
  }
}

void NodePool::refresh_status(const SimNode& node) {
  LocalClient kubelet = client_.as(node_identity(node.name));
  std::string now = now_rfc3339();
  auto r = kubelet.update_with(
      nodes_resource_, "", node.name, "status",
      [&now](const kube::Object& current) -> ApiResult<json::Document> {
        json::Document doc = current.copy();
        Value* status = json::find(doc, "status");
        Value* conditions = status != nullptr ? json::find(*status, "conditions") : nullptr;
        if (conditions != nullptr && conditions->IsArray()) {
          for (auto& c : conditions->GetArray())
            json::set_string(c, "lastHeartbeatTime", now, doc.GetAllocator());
        }
        return doc;
      });
  if (!r.ok()) {
    kube::log::v(2, "node status update failed",
                 {{"node", node.name}, {"error", r.error().message}});
  }
}

kube::Status NodePool::set_ready(std::string_view name, bool ready) {
  const SimNode* node = find(name);
  if (node == nullptr) {
    return kube::Error::make(kube::Reason::kNotFound,
                             "node " + std::string(name) + " is not a berth-sim node");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    not_ready_[by_name_.at(node->name)] = !ready;
  }
  LocalClient kubelet = client_.as(node_identity(node->name));
  std::string now = now_rfc3339();
  auto r = kubelet.update_with(
      nodes_resource_, "", node->name, "status",
      [&](const kube::Object& current) -> ApiResult<json::Document> {
        json::Document doc = current.copy();
        auto& a = doc.GetAllocator();
        Value& status = json::ensure_object(doc, "status", a);
        Value& conditions = json::ensure_array(status, "conditions", a);
        for (auto& c : conditions.GetArray()) {
          if (json::get_string(c, "type") != "Ready") continue;
          std::string_view want = ready ? "True" : "False";
          if (json::get_string(c, "status") != want) {
            json::set_string(c, "lastTransitionTime", now, a);
          }
          json::set_string(c, "status", want, a);
          json::set_string(c, "lastHeartbeatTime", now, a);
          json::set_string(c, "reason", ready ? "KubeletReady" : "KubeletNotReady", a);
          json::set_string(
              c, "message",
              ready ? "kubelet is posting ready status" : "container runtime is down (berth-sim)",
              a);
        }
        return doc;
      });
  if (!r.ok()) return kube::Error::make(kube::Reason::kInternalError, r.error().message);
  return {};
}

void NodePool::run() {
  // Node i renews at start + k·interval + i·interval/N: a steady stream, no bursts.
  auto start = Clock::now();
  std::size_t n = nodes_.size();
  std::size_t lease_next = 0;
  std::uint64_t lease_round = 1;
  std::size_t status_next = 0;
  std::uint64_t status_round = 1;
  auto due = [&](std::chrono::milliseconds interval, std::uint64_t round, std::size_t i) {
    auto period = std::chrono::duration_cast<Clock::duration>(interval);
    return start + period * round +
           period * static_cast<std::int64_t>(i) / static_cast<std::int64_t>(n);
  };
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    auto lease_due = due(options_.lease_interval, lease_round, lease_next);
    auto status_due = due(options_.status_interval, status_round, status_next);
    auto wake = std::min(lease_due, status_due);
    if (Clock::now() < wake) {
      cv_.wait_until(lock, wake);
      continue;
    }
    bool lease = lease_due <= status_due;
    std::size_t i = lease ? lease_next : status_next;
    bool skip = not_ready_[i];
    if (lease) {
      if (++lease_next == n) {
        lease_next = 0;
        ++lease_round;
      }
    } else if (++status_next == n) {
      status_next = 0;
      ++status_round;
    }
    if (skip) continue;
    lock.unlock();
    if (lease) {
      renew_lease(nodes_[i]);
    } else {
      refresh_status(nodes_[i]);
    }
    lock.lock();
  }
}

}  // namespace berth::sim
