// DataLocality: run pods near their volumes' data. For each PersistentVolumeClaim the pod
// mounts, the data lives on the nodes of its data-location record (PVC annotation
// berth.dev/data-location, published by Berth's volume controller), within its
// PersistentVolume's nodeAffinity, and in the zone/region labels of that volume. A node scores
// by the closest level it shares with the data: node > rack > zone > region.
//
// Filter: a node outside a bound volume's nodeAffinity or zone, or outside an unbound claim's
// StorageClass allowedTopologies, cannot mount it; and a pod annotated
// berth.dev/data-locality: required (-rack, -zone, -region) runs only at that level or closer.
#pragma once

#include "scheduler-extender/policies/policy.h"

namespace berth::extender {

struct DataLocalityOptions {
  // Score (0..100) of a node at each level; a node sharing nothing with the data scores 0.
  std::int64_t node = 100;
  std::int64_t rack = 70;
  std::int64_t zone = 40;
  std::int64_t region = 10;
};

class DataLocalityPolicy final : public Policy {
 public:
  static constexpr std::string_view kName = "DataLocality";
  static constexpr std::string_view kVolumeNodeConflict =
      "node(s) had volume node affinity conflict";
  static constexpr std::string_view kVolumeZoneConflict = "node(s) had no available volume zone";
  static constexpr std::string_view kStorageClassTopology =
      "node(s) outside the StorageClass allowedTopologies of an unbound volume claim";

  explicit DataLocalityPolicy(DataLocalityOptions options) : options_(options) {}
  std::string_view name() const override { return kName; }
  bool filters() const override { return true; }
  bool scores() const override { return true; }
  std::unique_ptr<PolicyRun> prepare(const PodContext& pod) const override;

 private:
  DataLocalityOptions options_;
};

}  // namespace berth::extender
