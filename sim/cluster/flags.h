// ClusterFlags: the command-line flags of the simulated cluster (nodes, kubelet, controllers,
// scheduler and extenders, fault injection), parsed into SimClusterOptions. berth-sim's main
// parses its own flags (listeners, kubeconfig, verbosity) and hands every other one here:
//
//   berth::sim::ClusterFlags cluster;
//   ... auto known = cluster.parse(name, inline_value, take_next);
//   auto options = cluster.finish();   // SimClusterOptions, or one clear error line
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "kube/core/result.h"
#include "sim/cluster/sim_cluster.h"

namespace berth::sim {

class ClusterFlags {
 public:
  // Parses one flag. `inline_value` is the part after '=' (--flag=value), if any; `next`
  // takes the following argument (--flag value). Boolean flags never take the following
  // argument (--kubelet, --kubelet=false). Returns false for a flag it does not know, and a
  // kInvalid error naming the flag for a bad value.
  kube::Result<bool> parse(std::string_view name, const std::optional<std::string>& inline_value,
                           const std::function<std::string()>& next);
  // After all flags: reads --fault-config, adds the rule the --fault-* flags describe, and
  // checks the whole configuration.
  kube::Result<SimClusterOptions> finish();

  // The help text of these flags, formatted like berth-sim's other flags.
  static std::string_view usage();

 private:
  SimClusterOptions options_;
  FaultRule fault_rule_;
  bool fault_rule_set_ = false;
  std::string fault_config_file_;
};

}  // namespace berth::sim
