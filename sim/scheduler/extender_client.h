// ExtenderClient: calls a scheduler extender exactly as kube-scheduler v1.26's HTTPExtender
// does (see ../shared/fixtures/k8s-1.26/extender): POST <urlPrefix>/<verb> with
// application/json bodies whose keys are Go field names:
//   filter/prioritize  {"Pod":{...without kind/apiVersion...},"Nodes":null,"NodeNames":[...]}
//                      (nodeCacheCapable), or {"Pod":...,"Nodes":{"metadata":{},"items":[...]},
//                      "NodeNames":null} otherwise;
//   filter answer      {"NodeNames"|"Nodes", "FailedNodes", "FailedAndUnresolvableNodes", "Error"}
//   prioritize answer  [{"Host":"node","Score":0..10}]
// Any non-200 answer, an Error, or a node the scheduler did not send is an error.
// Thread-compatible (one scheduling thread uses it); keeps its connection alive.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "kube/api/object.h"
#include "kube/core/result.h"
#include "kube/http/client.h"

namespace berth::sim::scheduling {

struct ExtenderConfig {
  std::string url_prefix;              // "http://127.0.0.1:8888" (the verbs are appended after '/')
  std::string filter_verb = "filter";  // "" = no filter call
  std::string prioritize_verb = "prioritize";  // "" = no prioritize call
  std::int64_t weight = 1;
  bool node_cache_capable = true;
  // A failing filter call is skipped instead of failing the scheduling cycle.
  bool ignorable = false;
  std::chrono::milliseconds http_timeout{std::chrono::seconds(5)};
  // TLS to an https:// extender: PEM CA bundle (empty = system trust), or no verification.
  std::string ca_pem{};
  bool insecure_skip_verify = false;
};

kube::Status validate(const ExtenderConfig& config);

struct FilterResult {
  std::vector<std::string> nodes;  // feasible, in the order the extender gave them
  std::unordered_map<std::string, std::string> failed;
  std::unordered_map<std::string, std::string> failed_unresolvable;
};

struct HostScore {
  std::string host;
  std::int64_t score = 0;
};

class ExtenderClient {
 public:
  explicit ExtenderClient(ExtenderConfig config);
  ~ExtenderClient();
  ExtenderClient(ExtenderClient&&) noexcept;
  ExtenderClient& operator=(ExtenderClient&&) noexcept;

  const ExtenderConfig& config() const { return config_; }

  // `pod_json`: the pod without kind/apiVersion. `nodes`: the candidates (Node objects are
  // needed only when the extender is not node-cache capable).
  kube::Result<FilterResult> filter(std::string_view pod_json,
                                    const std::vector<const kube::Object*>& nodes);
  kube::Result<std::vector<HostScore>> prioritize(std::string_view pod_json,
                                                  const std::vector<const kube::Object*>& nodes);

  // The body sent for `nodes` (tests and benchmarks look at it).
  std::string args_body(std::string_view pod_json,
                        const std::vector<const kube::Object*>& nodes) const;

  // JSON of an object without kind and apiVersion, as kube-scheduler sends pods and nodes.
  static std::string without_type_meta(const kube::Object& object);

 private:
  kube::Result<kube::http::Response> post(std::string_view verb, std::string body);

  ExtenderConfig config_;
  std::unique_ptr<kube::http::Client> http_;
};

}  // namespace berth::sim::scheduling
