#include "scheduler-extender/policies/policy.h"

#include <algorithm>

namespace berth::extender {

PodContext::PodContext(const PodSpec& p, const ClusterState::Reader& s)
    : pod(p), state(s), labels(lookup_labels(p.labels, s.strings())) {
  ns = s.strings().find(p.namespace_);
  if (const NamespaceRecord* record = ns == kNoId ? nullptr : s.namespace_record(ns)) {
    ns_labels = record->labels;
  }
}

void default_normalize(std::span<std::int64_t> scores, bool reverse) {
  std::int64_t max = 0;
  for (std::int64_t s : scores)
    max = std::max(max, s);
  if (max == 0) {
    if (reverse) std::fill(scores.begin(), scores.end(), kMaxNodeScore);
    return;
  }
  for (std::int64_t& s : scores) {
    s = kMaxNodeScore * s / max;
    if (reverse) s = kMaxNodeScore - s;
  }
}

}  // namespace berth::extender
