// ExtenderService: berth-extender's HTTP routes, independent of the transport so tests can
// call it directly:
//   POST <filterPath> | <prioritizePath> | <preemptPath> | <bindPath>   (kube-scheduler)
//   GET  /explain?pod=ns/name&uid=&verb=&limit=                         (recent decisions)
//   GET  /healthz, /livez, /readyz[?verbose], /metrics
// Malformed requests get 4xx with {"Error": "..."}; until the caches have synced, the verbs
// answer 503 so kube-scheduler never acts on an empty cache.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "kube/health/checks.h"
#include "kube/http/message.h"
#include "kube/metrics/registry.h"
#include "scheduler-extender/config/config.h"
#include "scheduler-extender/policies/policy_set.h"
#include "scheduler-extender/server/binder.h"
#include "scheduler-extender/server/explain_log.h"
#include "scheduler-extender/server/placement_fence.h"

namespace berth::extender {

class ExtenderService {
 public:
  using Reply = std::function<void(kube::http::Response)>;

  // `binder` is used only when config.bind_enabled (then it must be set). `ready` reports
  // whether the caches have synced. All references must outlive the service.
  ExtenderService(ClusterState& state, const PolicySet& policies, const ExtenderConfig& config,
                  kube::metrics::Registry& registry, Binder* binder, std::function<bool()> ready,
                  bool serve_metrics = true);
  ~ExtenderService();
  ExtenderService(const ExtenderService&) = delete;
  ExtenderService& operator=(const ExtenderService&) = delete;

  // Calls `reply` exactly once: inline, or from the binder's thread for bind.
  void handle(kube::http::Request&& request, Reply reply);

  // The paths to label request metrics with.
  std::vector<std::string> routes() const;
  const ExplainLog& explain_log() const { return explain_; }

 private:
  struct Metrics;

  kube::http::Response filter(const kube::http::Request& request);
  kube::http::Response prioritize(const kube::http::Request& request);
  kube::http::Response preempt(const kube::http::Request& request);
  void bind(const kube::http::Request& request, Reply reply);
  kube::http::Response explain(const kube::http::Request& request) const;
  kube::http::Response health(const kube::http::Request& request) const;

  // The 503 reply while the caches have not synced, else nullopt. (A body is judged by the
  // JSON parser, whatever its Content-Type says.)
  std::optional<kube::http::Response> not_ready(std::string_view verb);
  kube::http::Response bad_request(std::string_view verb, const kube::Error& error);
  // Node objects sent by a scheduler with nodeCacheCapable: false that the cache has not
  // seen yet are cached from the request, so they are scored like every other node.
  void learn_nodes(const protocol::ExtenderArgs& args);
  void remember_pod(const PodSpec& pod);
  void finish(Decision&& decision, std::chrono::steady_clock::time_point start,
              std::string_view outcome);

  ClusterState& state_;
  const PolicySet& policies_;
  const ExtenderConfig& config_;
  kube::metrics::Registry& registry_;
  Binder* binder_;
  std::function<bool()> ready_;
  bool serve_metrics_;
  ExplainLog explain_;
  kube::Checks healthz_{"healthz"};
  kube::Checks livez_{"livez"};
  kube::Checks readyz_{"readyz"};
  std::unique_ptr<Metrics> metrics_;

  PlacementFence fence_;
  // The pods of recent filter calls by UID: what a later bind places in the cache at once.
  std::mutex recent_mu_;
  std::unordered_map<std::string, PodSpec> recent_;
  std::deque<std::string> recent_order_;
};

}  // namespace berth::extender
