// Test environment for the simulated cluster: an in-process SimCluster on an ephemeral port,
// a kube::Client for it, JSON helpers that fail the test on errors, and PodWatch, a
// kube::Watcher-fed view of pods that checks an invariant after every event it receives.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kube/client/client.h"
#include "kube/http/client.h"
#include "kube/watch/watcher.h"
#include "sim/cluster/sim_cluster.h"

namespace berth::sim::testing {

// Small delays, deterministic seed, fast node heartbeats: what most tests want.
SimClusterOptions fast_options(int nodes = 3);

class ClusterEnv {
 public:
  explicit ClusterEnv(SimClusterOptions options = fast_options());
  ~ClusterEnv();

  SimCluster& cluster() { return *cluster_; }
  std::string url() const { return cluster_->url(); }
  // No client-side rate limit, no retries (tests see every answer).
  kube::Client& client() { return *client_; }
  std::unique_ptr<kube::Client> new_client(kube::ClientOptions options = {}) const;

  // Creates from JSON text (namespace from the text or `namespace_`); fails the test on error.
  kube::Object create(const kube::ResourceType& type, std::string_view json_text);
  // Null when absent (other errors fail the test).
  kube::Object get(const kube::ResourceType& type, std::string_view namespace_,
                   std::string_view name);
  std::vector<kube::Object> list(const kube::ResourceType& type, std::string_view namespace_,
                                 std::string_view label_selector = {});
  kube::Object merge_patch(const kube::ResourceType& type, std::string_view namespace_,
                           std::string_view name, std::string_view patch,
                           std::string_view subresource = {},
                           kube::PatchType patch_type = kube::PatchType::kMerge);

  // Polls the object until `pred` holds or `timeout`; returns the last state seen (null when
  // it never existed). `*ok` tells whether the predicate held.
  kube::Object wait_for(const kube::ResourceType& type, std::string_view namespace_,
                        std::string_view name, const std::function<bool(const kube::Object&)>& pred,
                        bool* ok, std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // A raw request (paths relative to the server).
  kube::http::Response http(std::string_view method, std::string_view path,
                            std::string_view body = {},
                            std::string_view content_type = "application/json");

 private:
  std::unique_ptr<SimCluster> cluster_;
  std::unique_ptr<kube::Client> client_;
  kube::http::Client http_;
};

// Pods (of a namespace and label selector) as a kube::Watcher sees them; after every change it
// calls the invariant with the current set, and keeps the first violation it reports.
class PodWatch {
 public:
  using Pods = std::map<std::string, kube::Object>;  // by name
  // Returns an empty string when the invariant holds, else what is wrong.
  using Invariant = std::function<std::string(const Pods& pods)>;

  PodWatch(kube::Client& client, std::string namespace_, std::string label_selector,
           Invariant invariant);
  ~PodWatch();

  Pods pods() const;
  bool synced() const { return watcher_->synced(); }
  std::string first_violation() const;
  std::size_t events() const;
  // Names of every pod ever seen (ADDED), for counting creations.
  std::size_t distinct_pods() const;

 private:
  void apply(const kube::WatcherEvent& e);
  Invariant invariant_;
  mutable std::mutex mu_;
  Pods pods_;
  Pods building_;  // during a (re)list
  std::map<std::string, bool> seen_;
  std::string violation_;
  std::size_t events_ = 0;
  std::unique_ptr<kube::Watcher> watcher_;
};

// Same keys at every level (objects), element by element (arrays), same JSON types for
// values (booleans are one type): the shape of a fixture, whatever the values. Keys in
// `ignore` are skipped at every level.
void expect_same_keys(const kube::json::Value& expected, const kube::json::Value& actual,
                      const std::vector<std::string>& ignore = {});

// Helpers over pod JSON.
bool pod_ready(const kube::Object& pod);
std::string pod_phase(const kube::Object& pod);
// The PodScheduled condition's field ("" when absent).
std::string pod_scheduled(const kube::Object& pod, std::string_view field);

}  // namespace berth::sim::testing
