#include "sim/cluster/sim_cluster.h"

#include "kube/core/log.h"
#include "sim/apiserver/openapi.h"

namespace berth::sim {

kube::Result<std::unique_ptr<SimCluster>> SimCluster::start(SimClusterOptions options) {
  KUBE_RETURN_IF_ERROR(validate(options.nodes));
  KUBE_RETURN_IF_ERROR(validate(options.kubelet_options));
  KUBE_RETURN_IF_ERROR(validate(options.scheduler_options));
  if (options.seed != 0) {
    if (options.kubelet_options.seed == 0) options.kubelet_options.seed = options.seed;
    if (options.scheduler_options.seed == 0) options.scheduler_options.seed = options.seed + 1;
    if (options.faults.seed == 0) options.faults.seed = options.seed + 2;
  }

  std::unique_ptr<SimCluster> c(new SimCluster());
  c->options_ = options;
  c->faults_ = std::make_unique<FaultInjector>(options.faults);
  FaultInjector* faults = c->faults_.get();
  options.api.wrap_handler = [faults](kube::http::Handler next) {
    return faults->wrap(std::move(next));
  };
  KUBE_ASSIGN_OR_RETURN(c->server_, ApiServer::start(options.api));
  faults->attach(*c->server_);
  c->server_->add_route("/openapi/v3", openapi::handler(c->server_->registry()));

  ObjectApi& api = c->server_->api();
  LocalClient client(api, Identity{"system:admin", {"system:masters"}, ""}, faults);
  c->informer_ = std::make_unique<LocalInformer>(api);
  c->events_ = std::make_unique<EventSink>(client);
  c->nodes_ = std::make_unique<NodePool>(client, options.nodes);
  if (options.kubelet) {
    c->kubelet_ =
        std::make_unique<Kubelet>(client, *c->nodes_, *c->informer_, options.kubelet_options);
    c->kubelet_->register_handlers();
  }
  if (options.controllers) {
    c->controllers_ = std::make_unique<ControllerManager>(client, *c->informer_, *c->events_,
                                                          options.controller_options);
    c->controllers_->register_handlers();
  }
  if (options.scheduler) {
    c->scheduler_ =
        std::make_unique<Scheduler>(client, *c->informer_, *c->events_, options.scheduler_options);
    c->scheduler_->register_handlers();
  }
  // Nodes first, so the scheduler's first cycle sees them all.
  KUBE_RETURN_IF_ERROR(c->nodes_->start());
  c->informer_->start();
  if (c->kubelet_) c->kubelet_->start();
  if (c->controllers_) c->controllers_->start();
  if (c->scheduler_) c->scheduler_->start();
  kube::log::info("simulated cluster running",
                  {{"url", c->url()},
                   {"nodes", static_cast<long long>(options.nodes.count)},
                   {"kubelet", options.kubelet},
                   {"controllers", options.controllers},
                   {"scheduler", options.scheduler}});
  return c;
}

SimCluster::~SimCluster() {
  stop();
}

std::string SimCluster::url() const {
  std::string plain = server_->url();
  return plain.empty() ? server_->secure_url() : plain;
}

void SimCluster::stop() {
  if (stopped_) return;
  stopped_ = true;
  if (scheduler_) scheduler_->stop();
  if (controllers_) controllers_->stop();
  if (kubelet_) kubelet_->stop();
  if (nodes_) nodes_->stop();
  if (informer_) informer_->stop();
  if (events_) events_->stop();
  if (server_) server_->stop();
  if (faults_) faults_->stop();
}

}  // namespace berth::sim
