// Server-side printing: the columns and cells kube-apiserver v1.26 puts in a meta.k8s.io Table
// for each resource (what `kubectl get` and `kubectl get -o wide` show). The apiserver always
// prints the wide form; clients hide priority-1 columns themselves.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/time.h"
#include "sim/apiserver/registry.h"

namespace berth::sim {

// Go's duration.HumanDuration: "5s", "2m3s", "15m", "3h20m", "9h", "3d4h", "12d", "2y30d".
// Anything below -1 s is "<invalid>" (clock skew up to a second reads as "0s").
std::string human_duration(std::chrono::system_clock::duration d);
// Age of an RFC 3339 timestamp at `now`; "<unknown>" when absent or unparseable.
std::string age_since(std::string_view timestamp, kube::SystemTime now);

// The cells `kubectl get pods` shows, from a served Pod.
struct PodSummary {
  std::string ready;       // "1/2": ready running containers / spec containers
  std::string status;      // phase, a container's waiting/terminated reason, Init:..., Terminating
  std::string restarts;    // "3", or "3 (42s ago)" after a container terminated
  bool completed = false;  // Succeeded or Failed: the row carries a Completed condition
};
PodSummary summarize_pod(const kube::json::Value& pod, kube::SystemTime now);

// "Ready", "NotReady", "Unknown", with ",SchedulingDisabled" for a cordoned node.
std::string node_status(const kube::json::Value& node);
// node-role.kubernetes.io/<role> and kubernetes.io/role labels, sorted, comma separated.
std::string node_roles(const kube::json::Value& node);

// A metav1.LabelSelector as labels.Selector.String() writes it ("app=web,tier in (a,b)").
std::string selector_string(const kube::json::Value* selector);

// A Table cell value (string, integer, number, boolean or null).
using Cell = kube::json::Value;

struct TablePrinter {
  std::vector<PrinterColumn> columns;
  // Appends one cell per column (Name first) to `cells` (an array in `a`); sets `completed` for
  // rows that get the Completed condition (finished pods).
  void (*cells)(const TablePrinter& printer, const kube::json::Value& object, kube::SystemTime now,
                kube::json::Value& cells, kube::json::Allocator& a, bool& completed);
};

// The printer for `resource`: a built-in's own columns, a custom resource's
// additionalPrinterColumns after Name (only Age when it declares none), or the default table
// (Name, Created At) for everything else.
TablePrinter printer_for(const ResourceInfo& resource);

// Evaluates a CRD column's simple JSONPath (".spec.replicas", ".items[0].name") on `object`;
// nullptr when it selects nothing.
const kube::json::Value* evaluate_json_path(const kube::json::Value& object, std::string_view path);

}  // namespace berth::sim
