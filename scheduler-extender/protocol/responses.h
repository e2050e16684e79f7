// Answers to kube-scheduler, written straight to a buffer with RapidJSON's Writer (no DOM).
// Shapes follow k8s.io/kube-scheduler/extender/v1: PascalCase members, Go's nil pointers as null.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scheduler-extender/protocol/extender_args.h"

namespace berth::extender::protocol {

// MaxExtenderPriority: the top of the 0..10 range a prioritize answer may use.
inline constexpr std::int64_t kMaxExtenderPriority = 10;

struct FailedNode {
  std::uint32_t index = 0;  // into ExtenderArgs::node_names
  std::string_view reason;  // must outlive the encoding
};

struct FilterAnswer {
  std::vector<std::uint32_t> passed;  // indexes into ExtenderArgs::node_names, request order
  std::vector<FailedNode> failed;
  // Nodes where preemption cannot help (FailedAndUnresolvableNodes).
  std::vector<FailedNode> failed_unresolvable;
  std::string error;
};

// ExtenderFilterResult. NodeNames is always a list holding only names that were sent. When the
// scheduler sent Node objects (nodeCacheCapable: false), Nodes echoes the surviving objects
// byte-for-byte in structure; otherwise it is null.
std::string encode_filter_result(const ExtenderArgs& args, const FilterAnswer& answer);

// HostPriorityList: a bare list [{"Host", "Score"}] in request order; scores are clamped to
// 0..MaxExtenderPriority.
std::string encode_host_priority_list(std::span<const std::string_view> hosts,
                                      std::span<const std::int64_t> scores);

struct PreemptionNode {
  std::string_view node;
  std::vector<std::string_view> pod_uids;
  std::int64_t num_pdb_violations = 0;
};

// ExtenderPreemptionResult {NodeNameToMetaVictims}.
std::string encode_preemption_result(std::span<const PreemptionNode> nodes);

// ExtenderBindingResult {Error}; also the body of every error reply.
std::string encode_error(std::string_view error);

}  // namespace berth::extender::protocol
