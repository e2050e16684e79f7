// The objects a fresh cluster starts with: namespaces default, kube-system, kube-public and
// kube-node-lease (each then gets its service account and root CA config map), the
// system-cluster-critical and system-node-critical PriorityClasses, and the kubernetes Service.
#pragma once

#include "sim/apiserver/object_api.h"

namespace berth::sim {

ApiStatus bootstrap_cluster(ObjectApi& api, int apiserver_port);

}  // namespace berth::sim
