// The cluster state the fixture captures were taken in, rebuilt in a fresh berth-sim: the
// namespaces, objects and CRD the fixture requests refer to.
#pragma once

#include <string>

#include "tests/integration/sim/sim_harness.h"

namespace berth::sim::testing {

// The CRD of objects/crd-create (widgets.fx.example.com: status + scale, printer columns, a
// default, bounds).
std::string widget_crd();
// A bound pod (schedulerName fx-manual, bound to fake-node-1).
void create_bound_pod(Sim& sim, const std::string& ns, const std::string& name,
                      const std::string& labels_json, const std::string& container = "c");
// Sets a pod's phase the way a kubelet would (pods/status).
void set_pod_phase(Sim& sim, const std::string& ns, const std::string& name,
                   const std::string& phase);
// The status a kubelet-like client wrote in the captures (from a fixture response), without the
// PodScheduled condition the binding set.
std::string kubelet_status(const kube::json::Value& pod);
// fx-errors with configmap dup and pod p1, fx-objects, fx-lists (cm-1..cm-5), the widget CRD
// and fx-terminating stuck in Terminating.
void build_errors_world(Sim& sim, bool bind_p1 = true);
// fx-lists with kube-root-ca.crt and cm-1..cm-5 labelled as in lists/.
void build_lists(Sim& sim);
// Keys every fixture comparison skips (none: managedFields are compared too).
extern const std::vector<std::string> kIgnored;

}  // namespace berth::sim::testing
