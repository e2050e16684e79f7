// SimCluster: a whole simulated cluster in one process - berth-sim's API server plus fake
// nodes with heartbeats, the kubelet simulator, the ReplicaSet and Deployment controllers, the
// scheduler simulator (calling an extender like kube-scheduler v1.26) and fault injection.
// The berth-sim binary runs one; integration tests and benchmarks start one in-process on an
// ephemeral port:
//
//   berth::sim::SimClusterOptions o;
//   o.nodes.count = 5;
//   auto cluster = berth::sim::SimCluster::start(std::move(o)).value();
//   kube::http::Client c; c.get(cluster->url() + "/api/v1/nodes", ...);
//   cluster->faults().set_config(...);
//
// Components act on the API server in-process (LocalClient/LocalInformer): same admission,
// validation and watch events as HTTP clients, without the HTTP cost.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kube/core/result.h"
#include "sim/apiserver/api_server.h"
#include "sim/cluster/event_recorder.h"
#include "sim/cluster/local_informer.h"
#include "sim/controllers/controller_manager.h"
#include "sim/faults/fault_injector.h"
#include "sim/kubelet/kubelet.h"
#include "sim/kubelet/node_pool.h"
#include "sim/scheduler/scheduler.h"

namespace berth::sim {

struct SimClusterOptions {
  // Listeners, watch history, ... (wrap_handler is taken by fault injection).
  ApiServerOptions api{};
  NodePoolOptions nodes{};
  bool kubelet = true;
  KubeletOptions kubelet_options{};
  bool controllers = true;
  ControllerManagerOptions controller_options{};
  bool scheduler = true;
  SchedulerOptions scheduler_options{};
  FaultConfig faults{};
  // Seeds the kubelet, scheduler and faults that have no seed of their own (0 = random).
  std::uint64_t seed = 0;
};

class SimCluster {
 public:
  // Starts everything; returns once the nodes are registered and the components run.
  static kube::Result<std::unique_ptr<SimCluster>> start(SimClusterOptions options);
  ~SimCluster();
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  ApiServer& api_server() { return *server_; }
  // The plain HTTP URL, else the HTTPS one.
  std::string url() const;
  FaultInjector& faults() { return *faults_; }
  NodePool& nodes() { return *nodes_; }
  LocalInformer& informer() { return *informer_; }
  // Null when disabled by the options.
  Kubelet* kubelet() { return kubelet_.get(); }
  ControllerManager* controllers() { return controllers_.get(); }
  Scheduler* scheduler() { return scheduler_.get(); }
  const SimClusterOptions& options() const { return options_; }

  // Stops the components, then the API server. Idempotent.
  void stop();

 private:
  SimCluster() = default;

  SimClusterOptions options_;
  std::unique_ptr<FaultInjector> faults_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<LocalInformer> informer_;
  std::unique_ptr<EventSink> events_;
  std::unique_ptr<NodePool> nodes_;
  std::unique_ptr<Kubelet> kubelet_;
  std::unique_ptr<ControllerManager> controllers_;
  std::unique_ptr<Scheduler> scheduler_;
  bool stopped_ = false;
};

}  // namespace berth::sim
