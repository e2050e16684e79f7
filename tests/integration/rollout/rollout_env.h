// RolloutEnv: berth-sim's API server in-process - bare, or a whole SimCluster with nodes,
// kubelet, ReplicaSet controller, scheduler and fault injection - with the Rollout CRD
// installed, namespace "demo", and the rollout controller running in a kube::Manager against it
// over HTTP: what berth-controller does, minus the process. StatusDriver stands in for the
// ReplicaSet and Deployment controllers where a test on the bare API server only needs their
// status (which revisions become ready).
//
// The test's own writes (create, merge_patch, annotate) are retried while fault injection
// answers them with 429 or 5xx, so faults aimed at the controller never fail a test step.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "controllers/rollout/controller.h"
#include "kube/client/client.h"
#include "kube/core/json.h"
#include "kube/manager/manager.h"
#include "sim/apiserver/api_server.h"
#include "sim/cluster/sim_cluster.h"

namespace berth::rollout::testing {

inline constexpr std::string_view kNamespace = "demo";

// The CRD as kubectl would send it (deploy/crds/rollouts.berth.dev.yaml).
kube::json::Document rollout_crd();

// A SimCluster of `nodes` nodes whose pods start in tens of milliseconds and crash-loop with
// sub-second back-off, so a rollout of ten replicas takes about a second.
berth::sim::SimClusterOptions fast_cluster(int nodes = 3);
// Faults on every HTTP request of the controller: 429s (with Retry-After) on 5% of writes,
// 500s on 3% of every request, every open watch cut every second and the watch history
// expired every 2.5 s (watchers resume, then relist on 410).
berth::sim::FaultConfig flaky_api();

class RolloutEnv {
 public:
  struct Options {
    // Where the API is; empty = start berth-sim's API server in-process.
    std::string server_url{};
    // Start a whole simulated cluster instead of the bare API server (with server_url empty).
    std::optional<berth::sim::SimClusterOptions> cluster{};
    bool start_controller = true;
    RolloutControllerOptions controller{};
  };

  RolloutEnv();
  explicit RolloutEnv(Options options);
  ~RolloutEnv();

  kube::Client& client() { return *client_; }
  std::string url() const { return url_; }
  // Null unless Options::cluster was set.
  berth::sim::SimCluster* cluster() { return cluster_.get(); }
  // A client with its own connection pool, for helper threads.
  std::unique_ptr<kube::Client> new_client() const;

  void start_controller();
  // Graceful stop of the manager (as on SIGTERM).
  void stop_controller();
  bool controller_running() const { return manager_thread_.joinable(); }

  // Creates an object from JSON text in namespace "demo"; fails the test on error.
  kube::Object create(const kube::ResourceType& type, std::string_view json_text);
  kube::Object get(const kube::ResourceType& type, const std::string& name);
  // Objects of namespace "demo" matching the label selector; empty on error.
  std::vector<kube::Object> list(const kube::ResourceType& type, std::string_view selector = {});
  // The berth.dev/pod-template-hash pin of a Service's selector.
  std::optional<std::string> pinned(const std::string& service);
  kube::Object rollout(const std::string& name) { return get(kRollouts_, name); }
  kube::Result<kube::Object> merge_patch(const kube::ResourceType& type, const std::string& name,
                                         std::string_view patch);
  void annotate(const std::string& rollout, std::string_view key, std::string_view value);

  // Waits (polling the apiserver) until `pred` holds for the Rollout; the last state on failure
  // is in the returned message. Empty string = success.
  std::string wait_rollout(const std::string& name,
                           const std::function<bool(const kube::Object&)>& pred,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  static const kube::ResourceType& kRollouts_;
  Options options_;
  std::unique_ptr<berth::sim::ApiServer> server_;
  std::unique_ptr<berth::sim::SimCluster> cluster_;
  std::string url_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<kube::Manager> manager_;
  kube::CancelSource stop_;
  std::thread manager_thread_;
};

// Plays the ReplicaSet and Deployment controllers' status: every ReplicaSet (with the rollout
// label) and every Deployment gets status.replicas = spec.replicas and, when its first
// container's image is not in `unready_images`, ready and available replicas = spec.replicas;
// observedGeneration follows generation.
class StatusDriver {
 public:
  explicit StatusDriver(RolloutEnv& env);
  ~StatusDriver();
  void set_unready(const std::string& image, bool unready);

 private:
  void run();
  void drive(const kube::ResourceType& type, const kube::Object& object);

  std::unique_ptr<kube::Client> client_;
  std::mutex mu_;
  std::set<std::string> unready_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace berth::rollout::testing
