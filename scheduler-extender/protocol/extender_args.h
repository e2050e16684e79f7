// Requests kube-scheduler sends to an HTTP extender (k8s.io/kube-scheduler/extender/v1; the Go
// structs have no JSON tags, so members are PascalCase and absent pointers arrive as null).
// Parsed once, iteratively and depth-bounded, into what the policies need.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"
#include "scheduler-extender/state/pod_spec.h"

namespace berth::extender::protocol {

struct ParseLimits {
  // ExtenderArgs nests a NodeList of Nodes with managedFields: ~20 levels in practice.
  std::size_t max_depth = 64;
};

// ExtenderArgs {Pod, Nodes, NodeNames}: the body of filter and prioritize.
struct ExtenderArgs {
  kube::json::Document document;  // owns every view below
  PodSpec pod;
  // Candidates in request order: NodeNames (nodeCacheCapable: true) or the names of
  // Nodes.items (nodeCacheCapable: false).
  std::vector<std::string_view> node_names;
  // Nodes.items[i] for node_names[i], when the scheduler sent Node objects; empty otherwise.
  std::vector<const kube::json::Value*> node_objects;
  // The scheduler sent a NodeList (nodeCacheCapable: false), which the filter answer must echo.
  bool nodes_sent_as_list = false;
};

// Errors are kBadRequest (HTTP 400) with a message that names the offending member.
kube::Result<ExtenderArgs> parse_extender_args(std::string_view body,
                                               const ParseLimits& limits = {});

struct Victims {
  std::vector<std::string_view> pod_uids;
  std::int64_t num_pdb_violations = 0;
};

// ExtenderPreemptionArgs {Pod, NodeNameToVictims | NodeNameToMetaVictims}.
struct PreemptionArgs {
  kube::json::Document document;
  PodSpec pod;
  std::vector<std::pair<std::string_view, Victims>> nodes;  // request order
};

kube::Result<PreemptionArgs> parse_preemption_args(std::string_view body,
                                                   const ParseLimits& limits = {});

// ExtenderBindingArgs {PodName, PodNamespace, PodUID, Node}.
struct BindingArgs {
  std::string pod_name;
  std::string pod_namespace;
  std::string pod_uid;
  std::string node;
};

kube::Result<BindingArgs> parse_binding_args(std::string_view body, const ParseLimits& limits = {});

}  // namespace berth::extender::protocol
