#include "scheduler-extender/policies/data_locality.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace berth::extender {

namespace {

// Closer is larger.
enum class Level : std::uint8_t { kNone, kRegion, kZone, kRack, kNode };

std::string_view level_name(Level l) {
  switch (l) {
    case Level::kNode:
      return "node";
    case Level::kRack:
      return "rack";
    case Level::kZone:
      return "zone";
    case Level::kRegion:
      return "region";
    case Level::kNone:
      break;
  }
  return "none";
}

// Values ("z1" or kube's multi-zone "z1__z2") of a volume's zone/region label, as ids.
std::vector<Id> topology_values(const std::string& text, const StringTable& strings) {
  std::vector<Id> out;
  if (text.empty()) return out;
  std::string_view rest = text;
  while (true) {
    auto sep = rest.find("__");
    out.push_back(strings.find(rest.substr(0, sep)));
    if (sep == std::string_view::npos) break;
    rest.remove_prefix(sep + 2);
  }
  return out;
}

struct Claim {
  std::string name;
  std::vector<Id> data_nodes;  // names from the data-location record, cached nodes only, sorted
  std::vector<Id> racks, zones, regions;  // of those nodes
  std::optional<CompiledNodeSelector> pv_affinity;
  Level pv_level = Level::kNone;  // what matching the volume's nodeAffinity means
  std::vector<Id> pv_zones, pv_regions;
  std::optional<CompiledNodeSelector> class_topology;  // unbound, WaitForFirstConsumer
  bool has_location() const {
    return !data_nodes.empty() || pv_level != Level::kNone || !pv_zones.empty() ||
           !pv_regions.empty();
  }
};

class DataLocalityRun final : public PolicyRun {
 public:
  DataLocalityRun(const PodContext& ctx, const DataLocalityOptions& options)
      : ctx_(ctx), options_(options) {
    const StringTable& strings = ctx.state.strings();
    for (const std::string& e : ctx.pod.annotation_errors) {
      if (e.starts_with("berth.dev/data-locality")) error_ = e;
    }
    switch (ctx.pod.locality) {
      case LocalityMode::kPreferred:
        required_ = Level::kNone;
        break;
      case LocalityMode::kNode:
        required_ = Level::kNode;
        break;
      case LocalityMode::kRack:
        required_ = Level::kRack;
        break;
      case LocalityMode::kZone:
        required_ = Level::kZone;
        break;
      case LocalityMode::kRegion:
        required_ = Level::kRegion;
        break;
    }
    for (const std::string& name : ctx.pod.claim_names) {
      const PvcSpec* pvc = ctx.state.claim(ctx.pod.namespace_, name);
      if (pvc == nullptr) continue;
      Claim c;
      c.name = name;
      if (!pvc->data_location_error.empty()) {
        notes_.push_back("claim " + name +
                         ": ignoring berth.dev/data-location: " + pvc->data_location_error);
      }
      if (pvc->data_location) {
        for (const std::string& n : pvc->data_location->nodes) {
          Slot slot = ctx.state.find_node(n);
          if (slot == kNoSlot) continue;
          const NodeRecord& node = ctx.state.node(slot);
          c.data_nodes.push_back(node.name);
          add_value(c.racks, node.label(ctx.state.rack_key()));
          add_value(c.zones, node.label(ctx.state.zone_key()));
          add_value(c.regions, node.label(ctx.state.region_key()));
        }
        std::sort(c.data_nodes.begin(), c.data_nodes.end());
      }
      const PvSpec* pv = pvc->volume_name.empty() ? nullptr : ctx.state.volume(pvc->volume_name);
      if (pv != nullptr) {
        if (pv->node_affinity) {
          c.pv_affinity = CompiledNodeSelector::lookup(*pv->node_affinity, strings);
          c.pv_level = affinity_level(*pv->node_affinity);
        }
        c.pv_zones = topology_values(pv->zone, strings);
        c.pv_regions = topology_values(pv->region, strings);
      } else if (pvc->volume_name.empty() && !pvc->storage_class.empty()) {
        const StorageClassSpec* sc = ctx.state.storage_class(pvc->storage_class);
        if (sc != nullptr && sc->wait_for_first_consumer && sc->allowed_topologies) {
          c.class_topology = CompiledNodeSelector::lookup(*sc->allowed_topologies, strings);
        }
      }
      claims_.push_back(std::move(c));
    }
  }

  Verdict filter(const NodeRecord& node, const Removal*) const override {
    if (!error_.empty()) return {error_, true};
    const StringTable& strings = ctx_.state.strings();
    for (const Claim& c : claims_) {
      if (c.pv_affinity && !c.pv_affinity->matches(node.labels, node.name, strings)) {
        return {DataLocalityPolicy::kVolumeNodeConflict, true};
      }
      if (!in_volume_topology(node, c)) return {DataLocalityPolicy::kVolumeZoneConflict, true};
      if (c.class_topology && !c.class_topology->matches(node.labels, node.name, strings)) {
        return {DataLocalityPolicy::kStorageClassTopology, true};
      }
      // A claim without data anywhere yet (freshly provisioned) constrains nothing.
      if (required_ != Level::kNone && c.has_location() && level(node, c) < required_) {
        auto [it, inserted] = reasons_.try_emplace(c.name);
        if (inserted) {
          it->second = "node(s) not at " + std::string(level_name(required_)) +
                       " level with the data of volume claim " + c.name +
                       " (berth.dev/data-locality)";
        }
        return {it->second, true};
      }
    }
    return {};
  }

  bool score(std::span<const NodeRecord* const> nodes, std::span<std::int64_t> out) const override {
    std::size_t located = 0;
    for (const Claim& c : claims_)
      located += c.has_location() ? 1 : 0;
    if (located == 0) return false;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      std::int64_t total = 0;
      for (const Claim& c : claims_) {
        if (c.has_location()) total += level_score(level(*nodes[i], c));
      }
      out[i] = total / static_cast<std::int64_t>(located);
    }
    return true;
  }

  void normalize(std::span<std::int64_t>) const override {}

  std::vector<std::string> notes() const override {
    std::vector<std::string> out = notes_;
    if (!error_.empty()) out.push_back(error_);
    return out;
  }

 private:
  static void add_value(std::vector<Id>& v, Id id) {
    if (id != kNoId && std::find(v.begin(), v.end(), id) == v.end()) v.push_back(id);
  }
  static bool contains(const std::vector<Id>& v, Id id) {
    return id != kNoId && std::find(v.begin(), v.end(), id) != v.end();
  }

  // The most specific topology key a volume's nodeAffinity pins: where its data is.
  static Level affinity_level(const NodeSelectorSpec& selector) {
    Level best = Level::kNone;
    for (const NodeSelectorTermSpec& t : selector.terms) {
      for (const NodeSelectorRequirementSpec& r : t.expressions) {
        Level l = Level::kNone;
        if (r.key == "kubernetes.io/hostname") {
          l = Level::kNode;
        } else if (r.key == "topology.berth.dev/rack") {
          l = Level::kRack;
        } else if (r.key == "topology.kubernetes.io/zone" ||
                   r.key == "failure-domain.beta.kubernetes.io/zone") {
          l = Level::kZone;
        } else if (r.key == "topology.kubernetes.io/region" ||
                   r.key == "failure-domain.beta.kubernetes.io/region") {
          l = Level::kRegion;
        }
        best = std::max(best, l);
      }
      for (const NodeSelectorRequirementSpec& f : t.fields) {
        if (f.key == "metadata.name") best = Level::kNode;
      }
    }
    return best;
  }

  // VolumeZone: a node without the topology label fits; one with it must carry a value of the
  // volume's.
  bool in_volume_topology(const NodeRecord& node, const Claim& c) const {
    if (!c.pv_zones.empty()) {
      Id z = node.label(ctx_.state.zone_key());
      if (z != kNoId && !contains(c.pv_zones, z)) return false;
    }
    if (!c.pv_regions.empty()) {
      Id r = node.label(ctx_.state.region_key());
      if (r != kNoId && !contains(c.pv_regions, r)) return false;
    }
    return true;
  }

  Level level(const NodeRecord& node, const Claim& c) const {
    const ClusterState::Reader& s = ctx_.state;
    Level best = Level::kNone;
    if (std::binary_search(c.data_nodes.begin(), c.data_nodes.end(), node.name)) {
      return Level::kNode;
    }
    Id rack = node.label(s.rack_key());
    Id zone = node.label(s.zone_key());
    Id region = node.label(s.region_key());
    if (contains(c.racks, rack)) {
      best = Level::kRack;
    } else if (contains(c.zones, zone)) {
      best = Level::kZone;
    } else if (contains(c.regions, region)) {
      best = Level::kRegion;
    }
    if (c.pv_level != Level::kNone && c.pv_affinity &&
        c.pv_affinity->matches(node.labels, node.name, s.strings())) {
      best = std::max(best, c.pv_level);
    }
    if (contains(c.pv_zones, zone)) best = std::max(best, Level::kZone);
    if (contains(c.pv_regions, region)) best = std::max(best, Level::kRegion);
    return best;
  }

  std::int64_t level_score(Level l) const {
    switch (l) {
      case Level::kNode:
        return options_.node;
      case Level::kRack:
        return options_.rack;
      case Level::kZone:
        return options_.zone;
      case Level::kRegion:
        return options_.region;
      case Level::kNone:
        break;
    }
    return 0;
  }

  const PodContext& ctx_;
  const DataLocalityOptions& options_;
  std::vector<Claim> claims_;
  Level required_ = Level::kNone;
  std::string error_;
  std::vector<std::string> notes_;
  mutable std::unordered_map<std::string, std::string> reasons_;
};

}  // namespace

std::unique_ptr<PolicyRun> DataLocalityPolicy::prepare(const PodContext& pod) const {
  return std::make_unique<DataLocalityRun>(pod, options_);
}

}  // namespace berth::extender
