// NodeSpec: the parts of a v1.Node that scheduling policies read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"
#include "scheduler-extender/state/labels.h"
#include "scheduler-extender/state/resources.h"

namespace berth::extender {

enum class TaintEffect : std::uint8_t { kNoSchedule, kPreferNoSchedule, kNoExecute, kOther };

struct TaintSpec {
  std::string key;
  std::string value;
  std::string effect;
};

struct NodeImageSpec {
  std::vector<std::string> names;  // tags and digests of one image
  std::int64_t size_bytes = 0;
};

struct NodeSpec {
  std::string name;
  StringLabels labels;
  std::vector<TaintSpec> taints;
  ResourceAmounts allocatable;  // status.allocatable (capacity when absent)
  std::vector<NodeImageSpec> images;
  bool unschedulable = false;
};

TaintEffect taint_effect(std::string_view effect);

// Fails when `node` is not an object or has no metadata.name.
kube::Result<NodeSpec> decode_node(const kube::json::Value& node);

}  // namespace berth::extender
