// Untrusted extender requests: every verb's parser, then the encoders on whatever parsed, must
// never crash, leak or recurse without bound.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "scheduler-extender/protocol/extender_args.h"
#include "scheduler-extender/protocol/responses.h"

namespace protocol = berth::extender::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  if (auto args = protocol::parse_extender_args(body); args.ok()) {
    protocol::FilterAnswer answer;
    for (std::uint32_t i = 0; i < args->node_names.size(); ++i) {
      if (i % 2 == 0) {
        answer.passed.push_back(i);
      } else {
        answer.failed.push_back({i, "odd"});
      }
    }
    (void)protocol::encode_filter_result(*args, answer);
    std::vector<std::int64_t> scores(args->node_names.size(), 5);
    (void)protocol::encode_host_priority_list(args->node_names, scores);
  }
  if (auto args = protocol::parse_preemption_args(body); args.ok()) {
    std::vector<protocol::PreemptionNode> nodes;
    for (const auto& [node, victims] : args->nodes) {
      nodes.push_back({node, victims.pod_uids, victims.num_pdb_violations});
    }
    (void)protocol::encode_preemption_result(nodes);
  }
  (void)protocol::parse_binding_args(body);
  return 0;
}
