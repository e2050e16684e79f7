// PodSpec: the parts of a Pod that scheduling policies read, decoded once from JSON (a request's
// Pod or a cached pod's watch event). Strings here; ClusterState interns what it keeps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kube/api/selector.h"
#include "kube/core/json.h"
#include "kube/core/result.h"
#include "kube/core/time.h"
#include "scheduler-extender/state/labels.h"
#include "scheduler-extender/state/node_selector.h"
#include "scheduler-extender/state/resources.h"

namespace berth::extender {

// v1.PodAffinityTerm (and WeightedPodAffinityTerm's weight).
struct PodAffinityTermSpec {
  kube::LabelSelector selector = kube::LabelSelector::nothing();  // nil selects no pod
  std::vector<std::string> namespaces;                            // sorted, unique
  // nil (the default) adds nothing; {} selects every namespace.
  std::optional<kube::LabelSelector> namespace_selector;
  std::string topology_key;
  std::int32_t weight = 0;  // preferred terms only

  // Canonical text of the term (namespaces, selectors, topology key; not the weight), equal
  // for equal terms: the key under which the cache groups identical terms.
  std::string signature() const;
};

struct Toleration {
  std::string key;
  std::string op;  // "Equal" (also when empty) or "Exists"
  std::string value;
  std::string effect;  // "" matches every effect
};

enum class QosClass : std::uint8_t { kBestEffort, kBurstable, kGuaranteed };

// berth.dev/data-locality: how strictly the pod wants to run near its volumes' data.
enum class LocalityMode : std::uint8_t {
  kPreferred,  // absent or "preferred": a score only
  kNode,       // "required": only nodes that hold the data
  kRack,       // "required-rack"
  kZone,       // "required-zone"
  kRegion,     // "required-region"
};

struct PodSpec {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string node_name;
  std::string phase;
  bool terminal = false;  // Succeeded or Failed: holds no resources and no place
  StringLabels labels;
  std::int32_t priority = 0;
  QosClass qos = QosClass::kBestEffort;
  PodRequests requests;

  std::vector<PodAffinityTermSpec> required_affinity;
  std::vector<PodAffinityTermSpec> required_anti_affinity;
  std::vector<PodAffinityTermSpec> preferred_affinity;
  std::vector<PodAffinityTermSpec> preferred_anti_affinity;
  // A label selector in the pod's inter-pod (anti-)affinity that does not parse; kube-scheduler
  // then finds no node for the pod ("parsing pod: ...").
  std::string affinity_error;

  StringLabels node_selector;  // spec.nodeSelector
  std::optional<NodeSelectorSpec> required_node_affinity;
  std::vector<PreferredSchedulingTermSpec> preferred_node_affinity;
  std::vector<Toleration> tolerations;

  std::vector<std::string> claim_names;  // PersistentVolumeClaims in spec.volumes
  std::vector<std::string> images;       // containers and init containers

  std::string workload_class;  // label berth.dev/workload-class
  std::string pod_group;       // label berth.dev/pod-group
  std::int64_t min_members = 0;
  std::optional<kube::SystemTime> deadline;
  LocalityMode locality = LocalityMode::kPreferred;
  // Berth annotations with values that do not parse, e.g. "berth.dev/min-members: \"x\" is not
  // a positive integer"; policies that read them report these instead of guessing.
  std::vector<std::string> annotation_errors;

  bool has_pod_affinity() const {
    return !required_affinity.empty() || !required_anti_affinity.empty() ||
           !preferred_affinity.empty() || !preferred_anti_affinity.empty();
  }
};

// Decodes a v1.Pod object (kind/apiVersion optional, as kube-scheduler sends it). Fails only
// when `pod` is not an object or has no metadata; everything else degrades to defaults.
kube::Result<PodSpec> decode_pod(const kube::json::Value& pod);

// Sorted key/value pairs of a labels-like object ({"k": "v"}); non-string values are skipped.
StringLabels decode_string_map(const kube::json::Value* map);

}  // namespace berth::extender
