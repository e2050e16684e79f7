// The built-in resource types berth-sim serves (the v1.26 set kubectl discovers and Berth
// uses), with their per-kind strategies.
#pragma once

#include <string_view>

#include "kube/core/json.h"
#include "sim/apiserver/registry.h"

namespace berth::sim {

// Registers every built-in resource and the /apis group order of kube-apiserver v1.26.
void register_builtins(Registry& registry);

// BestEffort, Burstable or Guaranteed for a pod's containers (status.qosClass).
std::string_view pod_qos_class(const kube::json::Value& pod);

}  // namespace berth::sim
