// ExtenderConfig: berth-extender's --config file (YAML or JSON), every key documented in
// scheduler-extender/README.md. Unknown keys and ill-typed values are errors that name the key
// and the file, so a typo never silently falls back to a default.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/result.h"
#include "scheduler-extender/policies/data_locality.h"
#include "scheduler-extender/policies/interference.h"
#include "scheduler-extender/policies/policy_set.h"
#include "scheduler-extender/policies/qos.h"
#include "scheduler-extender/policies/resource_fit.h"

namespace berth::extender {

struct PolicyToggle {
  bool enabled = true;
  std::int64_t weight = 1;  // 0..100; 0 keeps a policy's filter and drops its score
};

struct ExtenderConfig {
  // The verbs' paths: kube-scheduler calls <urlPrefix>/<filterVerb> and so on.
  std::string filter_path = "/filter";
  std::string prioritize_path = "/prioritize";
  std::string preempt_path = "/preempt";
  std::string bind_path = "/bind";
  std::size_t max_request_bytes = 8 * 1024 * 1024;

  bool bind_enabled = false;
  std::chrono::seconds assume_timeout{30};
  // How long a filter that depends on other pods' places waits for the pods filtered just
  // before it to show up in the cache (server/placement_fence.h); 0 = never wait.
  std::chrono::milliseconds placement_wait{500};

  std::size_t explain_decisions = 256;
  std::size_t explain_nodes = 20;
  std::size_t max_count_views = 4096;

  PolicyToggle inter_pod_affinity{true, 2};
  std::int32_t hard_pod_affinity_weight = 1;
  PolicyToggle node_affinity{true, 1};
  PolicyToggle taint_toleration{true, 1};
  PolicyToggle resource_fit{true, 1};
  ResourceFitOptions fit;
  PolicyToggle data_locality{true, 2};
  DataLocalityOptions locality;
  PolicyToggle interference{true, 1};
  InterferenceOptions interference_options;
  PolicyToggle qos{true, 1};
  PolicyToggle deadline{true, 1};
  DeadlineOptions deadline_options;
};

// Parses a configuration document; `origin` names it in errors ("config /etc/berth/x.yaml").
// Keys left out keep the defaults above. Errors are kInvalid with one line.
kube::Result<ExtenderConfig> parse_config(std::string_view text, std::string_view origin);
// Reads and parses a file.
kube::Result<ExtenderConfig> load_config(const std::string& path);

// The enabled policies, in evaluation order (cheap filters first).
std::vector<WeightedPolicy> make_policies(const ExtenderConfig& config);

}  // namespace berth::extender
