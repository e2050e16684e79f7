// PersistentVolumeClaims, PersistentVolumes and StorageClasses as the data-locality policy reads
// them, and the data-location record Berth's volume controller publishes on claims.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"
#include "scheduler-extender/state/node_selector.h"

namespace berth::extender {

// The value of the PVC annotation berth.dev/data-location: where the claim's bytes live.
//   {"nodes": ["node-a", "node-b"], "updatedAt": "2026-11-25T04:02:28Z"}
// "nodes" (required) lists the nodes holding a current copy; "updatedAt" (optional, RFC 3339)
// is informational. Other members are ignored so the record can grow.
struct DataLocationRecord {
  std::vector<std::string> nodes;  // sorted, unique
};
kube::Result<DataLocationRecord> parse_data_location(std::string_view text);

struct PvcSpec {
  std::string namespace_;
  std::string name;
  std::string volume_name;  // spec.volumeName once bound
  std::string storage_class;
  std::optional<DataLocationRecord> data_location;
  std::string data_location_error;  // a record that did not parse
};

struct PvSpec {
  std::string name;
  std::optional<NodeSelectorSpec> node_affinity;  // spec.nodeAffinity.required
  // Topology labels on the volume itself (zonal disks of older provisioners).
  std::string zone;
  std::string region;
};

struct StorageClassSpec {
  std::string name;
  bool wait_for_first_consumer = false;
  std::optional<NodeSelectorSpec> allowed_topologies;
};

kube::Result<PvcSpec> decode_pvc(const kube::json::Value& pvc);
kube::Result<PvSpec> decode_pv(const kube::json::Value& pv);
kube::Result<StorageClassSpec> decode_storage_class(const kube::json::Value& sc);

}  // namespace berth::extender
