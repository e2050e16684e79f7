#include "scheduler-extender/policies/resource_fit.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace berth::extender {

namespace {

using Strategy = ResourceFitOptions::Strategy;

struct ScalarRequest {
  std::string name;
  Id id = kNoId;  // kNoId: no node offers it
  std::int64_t value = 0;
};

class ResourceFitRun final : public PolicyRun {
 public:
  ResourceFitRun(const PodContext& ctx, const ResourceFitOptions& options)
      : ctx_(ctx), options_(options) {
    const ResourceAmounts& r = ctx.pod.requests.requests;
    cpu_ = r.milli_cpu;
    memory_ = r.memory;
    storage_ = r.ephemeral_storage;
    for (const auto& [name, value] : r.scalar) {
      bool ignored = std::find(options.ignored_resources.begin(), options.ignored_resources.end(),
                               name) != options.ignored_resources.end();
      if (!ignored) scalar_.push_back({name, ctx.state.strings().find(name), value});
    }
    zero_request_ = r.zero();
    for (const auto& res : options.resources) {
      Kind kind = res.name == "cpu"                 ? Kind::kCpu
                  : res.name == "memory"            ? Kind::kMemory
                  : res.name == "ephemeral-storage" ? Kind::kStorage
                                                    : Kind::kScalar;
      scored_.push_back({res.name, ctx.state.strings().find(res.name), res.weight, kind});
    }
  }

  Verdict filter(const NodeRecord& node, const Removal* removal) const override {
    const ResourceVector& alloc = node.allocatable;
    ResourceVector requested = node.requested;
    std::int64_t pods = static_cast<std::int64_t>(node.pods.size());
    if (removal != nullptr) {
      for (Slot s : removal->pods) {
        requested.add(ctx_.state.pod(s).requests, -1);
        --pods;
      }
    }
    std::uint32_t missing = 0;  // bit 0 pods, 1 cpu, 2 memory, 3 storage, 4+ scalar[i]
    if (pods + 1 > alloc.pods) missing |= 1u;
    if (!zero_request_) {
      if (alloc.milli_cpu < cpu_ + requested.milli_cpu) missing |= 2u;
      if (alloc.memory < memory_ + requested.memory) missing |= 4u;
      if (alloc.ephemeral_storage < storage_ + requested.ephemeral_storage) missing |= 8u;
      for (std::size_t i = 0; i < scalar_.size() && i < 28; ++i) {
        const ScalarRequest& s = scalar_[i];
        std::int64_t have = s.id == kNoId ? 0 : alloc.scalar_value(s.id);
        std::int64_t used = s.id == kNoId ? 0 : requested.scalar_value(s.id);
        if (have < s.value + used) missing |= 16u << i;
      }
    }
    if (missing == 0) return {};
    return {reason(missing), false};
  }

  Verdict filter_all(std::span<const NodeRecord* const> feasible) const override {
    const PodSpec& pod = ctx_.pod;
    if (!options_.gang || pod.pod_group.empty()) return {};
    if (pod.min_members <= 0) {
      for (const std::string& e : pod.annotation_errors) {
        if (e.starts_with("berth.dev/min-members")) {
          gang_reason_ = "pod group " + pod.pod_group + ": " + e;
          return {gang_reason_, true};
        }
      }
      return {};
    }
    std::int64_t placed = ctx_.state.pod_group_members(pod.namespace_, pod.pod_group);
    std::int64_t needed = pod.min_members - placed;
    if (needed <= 1) return {};
    std::int64_t capacity = 0;
    for (const NodeRecord* node : feasible) {
      capacity += copies_that_fit(*node, needed - capacity);
      if (capacity >= needed) return {};
    }
    gang_reason_ = "pod group " + pod.namespace_ + "/" + pod.pod_group + " needs " +
                   std::to_string(needed) + " more member(s) placed together (" +
                   std::to_string(placed) + " of " + std::to_string(pod.min_members) +
                   " placed) but the feasible nodes fit only " + std::to_string(capacity);
    return {gang_reason_, false};
  }

  bool score(std::span<const NodeRecord* const> nodes, std::span<std::int64_t> out) const override {
    if (scored_.empty()) return false;
    for (std::size_t i = 0; i < nodes.size(); ++i)
      out[i] = score_node(*nodes[i]);
    return true;
  }

  void normalize(std::span<std::int64_t>) const override {}

 private:
  enum class Kind : std::uint8_t { kCpu, kMemory, kStorage, kScalar };
  struct Scored {
    std::string name;
    Id id;
    std::int64_t weight;
    Kind kind;
  };

  // How many more copies of this pod the node holds (stops counting at `limit`).
  std::int64_t copies_that_fit(const NodeRecord& node, std::int64_t limit) const {
    const ResourceVector& a = node.allocatable;
    const ResourceVector& r = node.requested;
    std::int64_t n = a.pods - static_cast<std::int64_t>(node.pods.size());
    auto bound = [&](std::int64_t free, std::int64_t each) {
      if (each > 0) n = std::min(n, free / each);
    };
    bound(a.milli_cpu - r.milli_cpu, cpu_);
    bound(a.memory - r.memory, memory_);
    bound(a.ephemeral_storage - r.ephemeral_storage, storage_);
    for (const ScalarRequest& s : scalar_) {
      if (s.id == kNoId) return 0;
      bound(a.scalar_value(s.id) - r.scalar_value(s.id), s.value);
    }
    return std::clamp<std::int64_t>(n, 0, limit);
  }

  // Requested (the node's plus this pod's) and allocatable of one scored resource; kube-scheduler
  // skips an extended resource the pod does not request.
  bool amounts(const NodeRecord& node, const Scored& s, bool nonzero, std::int64_t& requested,
               std::int64_t& allocatable) const {
    const PodRequests& pod = ctx_.pod.requests;
    if (s.kind == Kind::kCpu) {
      allocatable = node.allocatable.milli_cpu;
      requested = nonzero ? node.nonzero_milli_cpu + pod.nonzero_milli_cpu
                          : node.requested.milli_cpu + pod.requests.milli_cpu;
    } else if (s.kind == Kind::kMemory) {
      allocatable = node.allocatable.memory;
      requested = nonzero ? node.nonzero_memory + pod.nonzero_memory
                          : node.requested.memory + pod.requests.memory;
    } else if (s.kind == Kind::kStorage) {
      allocatable = node.allocatable.ephemeral_storage;
      requested = node.requested.ephemeral_storage + pod.requests.ephemeral_storage;
    } else {
      std::int64_t want = pod.requests.scalar_value(s.name);
      if (want == 0 || s.id == kNoId) return false;
      allocatable = node.allocatable.scalar_value(s.id);
      requested = node.requested.scalar_value(s.id) + want;
    }
    return allocatable > 0;
  }

  std::int64_t score_node(const NodeRecord& node) const {
    if (options_.strategy == Strategy::kBalancedAllocation) {
      std::vector<double> fractions;
      for (const Scored& s : scored_) {
        std::int64_t req = 0, alloc = 0;
        if (!amounts(node, s, false, req, alloc)) continue;
        fractions.push_back(std::min(1.0, static_cast<double>(req) / static_cast<double>(alloc)));
      }
      double std_dev = 0;
      if (fractions.size() == 2) {
        std_dev = std::abs((fractions[0] - fractions[1]) / 2);
      } else if (fractions.size() > 2) {
        double mean = 0;
        for (double f : fractions)
          mean += f;
        mean /= static_cast<double>(fractions.size());
        double sum = 0;
        for (double f : fractions)
          sum += (f - mean) * (f - mean);
        std_dev = std::sqrt(sum / static_cast<double>(fractions.size()));
      }
      return static_cast<std::int64_t>((1 - std_dev) * static_cast<double>(kMaxNodeScore));
    }
    std::int64_t total = 0, weights = 0;
    for (const Scored& s : scored_) {
      std::int64_t req = 0, alloc = 0;
      if (!amounts(node, s, true, req, alloc)) continue;
      std::int64_t score;
      if (options_.strategy == Strategy::kLeastAllocated) {
        score = req > alloc ? 0 : (alloc - req) * kMaxNodeScore / alloc;
      } else {
        score = std::min(req, alloc) * kMaxNodeScore / alloc;
      }
      total += score * s.weight;
      weights += s.weight;
    }
    return weights == 0 ? 0 : total / weights;
  }

  std::string_view reason(std::uint32_t missing) const {
    auto [it, inserted] = reasons_.try_emplace(missing);
    if (inserted) {
      std::string& r = it->second;
      auto add = [&](std::string_view part) {
        if (!r.empty()) r += ", ";
        r += part;
      };
      if (missing & 1u) add("Too many pods");
      if (missing & 2u) add("Insufficient cpu");
      if (missing & 4u) add("Insufficient memory");
      if (missing & 8u) add("Insufficient ephemeral-storage");
      for (std::size_t i = 0; i < scalar_.size() && i < 28; ++i) {
        if (missing & (16u << i)) add("Insufficient " + scalar_[i].name);
      }
    }
    return it->second;
  }

  const PodContext& ctx_;
  const ResourceFitOptions& options_;
  std::int64_t cpu_ = 0, memory_ = 0, storage_ = 0;
  std::vector<ScalarRequest> scalar_;
  bool zero_request_ = true;
  std::vector<Scored> scored_;
  mutable std::unordered_map<std::uint32_t, std::string> reasons_;
  mutable std::string gang_reason_;
};

}  // namespace

std::unique_ptr<PolicyRun> ResourceFitPolicy::prepare(const PodContext& pod) const {
  return std::make_unique<ResourceFitRun>(pod, options_);
}

}  // namespace berth::extender
