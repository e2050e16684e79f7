// Cache indexes the workload controllers share: objects by controller uid, objects without a
// controller by namespace (adoption candidates), and everything by namespace.
#pragma once

#include <string_view>

#include "sim/cluster/local_informer.h"

namespace berth::sim {

inline constexpr std::string_view kByControllerUid = "controller-uid";
inline constexpr std::string_view kOrphansByNamespace = "orphans";
inline constexpr std::string_view kByNamespace = "namespace";

// Registers the three indexes on `resource`. Registering twice is harmless.
void add_workload_indexes(LocalInformer& informer, const ResourcePtr& resource);

}  // namespace berth::sim
