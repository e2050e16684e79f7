// Resource amounts in kube-scheduler's units, and the request arithmetic of its v1.26
// NodeResourcesFit plugin.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/core/json.h"

namespace berth::extender {

// CPU in millicores, everything else in whole units (bytes for memory and storage).
struct ResourceAmounts {
  std::int64_t milli_cpu = 0;
  std::int64_t memory = 0;
  std::int64_t ephemeral_storage = 0;
  std::int64_t pods = 0;  // node allocatable only
  // Extended resources, hugepages, attachable volumes: sorted by name.
  std::vector<std::pair<std::string, std::int64_t>> scalar;

  std::int64_t scalar_value(std::string_view name) const;
  void add_scalar(std::string_view name, std::int64_t value);
  void max_scalar(std::string_view name, std::int64_t value);
  bool zero() const {
    return milli_cpu == 0 && memory == 0 && ephemeral_storage == 0 && scalar.empty();
  }
};

// kube-scheduler's defaults for a container that requests no CPU / memory, used for scoring
// only so that request-less pods still spread (DefaultMilliCPURequest, DefaultMemoryRequest).
inline constexpr std::int64_t kDefaultMilliCpuRequest = 100;
inline constexpr std::int64_t kDefaultMemoryRequest = 200 * 1024 * 1024;

// A ResourceList object ({"cpu": "500m", "memory": "1Gi", ...}); unparsable quantities count
// as zero (the apiserver validated them).
ResourceAmounts decode_resource_list(const kube::json::Value* list);

struct PodRequests {
  ResourceAmounts requests;  // what the Fit filter compares with allocatable
  // The scoring variant: containers without a CPU / memory request count the defaults above.
  std::int64_t nonzero_milli_cpu = 0;
  std::int64_t nonzero_memory = 0;
};

// Pod requests as v1.26 computes them: per resource, the larger of the sum over app
// containers and the largest init container, plus spec.overhead. v1.26 has no restartable
// (sidecar) init containers, so an init container's restartPolicy is not consulted.
PodRequests pod_requests(const kube::json::Value& spec);

}  // namespace berth::extender
