// Synthetic pods for the runtime benchmarks: Running pods of a Deployment-style workload as the
// apiserver serves them (defaulted spec, status with conditions and container statuses,
// managedFields from kube-controller-manager and the kubelet), about 4.3 KB of JSON each.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kube/api/object.h"

namespace berth::bench {

inline constexpr int kNamespaces = 50;
inline constexpr int kNodes = 5000;

// Pod `i`: namespace "team-<i % 50>", node "node-<i % 5000>", three pods per ReplicaSet,
// resourceVersion `rv`.
std::string pod_json(int i, long long rv = 1000);
inline constexpr int kPods = 150'000;

// `count` pods parsed (as a watch delivers them), built on both cores.
std::vector<kube::Object> parsed_pods(int count);
// kPods pods parsed, built once per process and shared by the benchmarks.
const std::vector<kube::Object>& decoded_pods();
// Resident set size of the process.
std::size_t rss_bytes();

}  // namespace berth::bench
