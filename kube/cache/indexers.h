// Index functions for kube::Store / Informer indexes, and the names Berth registers them under
// so controllers sharing an informer share its indexes too.
//
//   informer.add_index(kube::indexers::kPodNodeName, kube::indexers::pod_node_name);
//   informer.add_index(kube::indexers::label_index_name("app"), kube::indexers::by_label("app"));
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "kube/api/object.h"
#include "kube/cache/store.h"

namespace kube::indexers {

inline constexpr std::string_view kNamespace = "namespace";
inline constexpr std::string_view kPodNodeName = "spec.nodeName";
inline constexpr std::string_view kOwnerUid = "metadata.ownerReferences.uid";

// metadata.namespace; cluster-scoped objects are not indexed.
std::vector<std::string> namespace_(const Object& object);
// A pod's spec.nodeName; unscheduled pods are not indexed.
std::vector<std::string> pod_node_name(const Object& object);
// The uid of every ownerReference (controller or not).
std::vector<std::string> owner_uid(const Object& object);
// The value of label `key`; objects without it are not indexed.
IndexFunc by_label(std::string key);
// "label:<key>", the name to register by_label(key) under.
std::string label_index_name(std::string_view key);

}  // namespace kube::indexers
