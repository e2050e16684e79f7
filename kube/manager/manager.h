// Manager: what a controller process is built around (controller-runtime's manager). It owns
// the kube::Client, the shared informers, the controllers, the metrics registry, the
// health/metrics server and, when enabled, leader election, and runs them in order:
//
//   1. informers start (in every replica: a standby keeps warm caches);
//   2. caches sync, within cache_sync_timeout (else run() fails, naming the laggards);
//   3. leadership is acquired (with leader election on);
//   4. controllers start, each with the leadership term as its stop token;
//   5. on the stop token (SIGTERM/SIGINT): /readyz turns unready, controllers stop taking work
//      and in-flight reconciles finish within graceful_shutdown_timeout, the lease is
//      released, informers and the server stop; run() returns OK.
//   If the lease is lost instead, controllers are aborted at that instant, the client refuses
//   writes from then on, and run() returns an error - the process should exit and restart.
//
//   auto manager = kube::Manager::create({.name = "berth-controller", .config = config,
//                                         .leader_election = {.enabled = true}}).value();
//   manager->controller("configmap-hash")
//       .for_(kube::resources::kDeployments)
//       .watches(kube::resources::kConfigMaps, map_fn)
//       .complete(std::make_shared<HashReconciler>(manager->client(), ...));
//   auto signals = kube::ShutdownSignals::install();
//   return manager->run(signals->token()).ok() ? 0 : 1;
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kube/cache/shared_informer_factory.h"
#include "kube/client/client.h"
#include "kube/config/config.h"
#include "kube/controller/builder.h"
#include "kube/controller/controller.h"
#include "kube/events/event_recorder.h"
#include "kube/health/health_server.h"
#include "kube/leaderelection/leader_elector.h"
#include "kube/manager/write_guard.h"
#include "kube/metrics/registry.h"

namespace kube {

struct LeaderElectionOptions {
  bool enabled = false;
  // Lease namespace; "" = the client's default namespace (in a pod: its own).
  std::string namespace_{};
  // Lease name; "" = the manager's name.
  std::string name{};
  // "" = default_identity() (hostname_uuid).
  std::string identity{};
  std::chrono::seconds lease_duration{15};
  Clock::duration renew_deadline = std::chrono::seconds(10);
  Clock::duration retry_period = std::chrono::seconds(2);
  bool release_on_stop = true;
};

struct ManagerOptions {
  // The component: User-Agent, default lease name, logs.
  std::string name = "berth-controller";
  Config config{};
  // Controllers make bursts of reads and writes; client-go's 5/10 is too tight for several.
  ClientOptions client{.qps = 20, .burst = 30};
  // /healthz, /livez, /readyz and /metrics; "" = no server.
  std::string health_bind_address = "127.0.0.1:8080";
  std::shared_ptr<http::TlsOptions> health_tls{};
  LeaderElectionOptions leader_election{};
  Clock::duration cache_sync_timeout = std::chrono::minutes(2);
  Clock::duration graceful_shutdown_timeout = std::chrono::seconds(30);
  // default_registry() when null; must outlive the manager.
  metrics::Registry* metrics = nullptr;
  // Monotonic time for leader election, controllers and informers; real time when null.
  Clock* clock = nullptr;
  // Page size, watch timeouts and backoff of every informer.
  WatcherOptions watcher{};
};

class Manager {
 public:
  // Builds the client (TLS material and credentials from `config`), the informer factory and,
  // when configured, starts the health server. Errors: unusable TLS material or token file,
  // health address in use.
  static Result<std::unique_ptr<Manager>> create(ManagerOptions options);
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // For controllers: reads from the apiserver and writes, which are refused (kCancelled) while
  // leader election is on and this process is not the leader.
  Client& client() { return *client_; }
  SharedInformerFactory& informers() { return *informers_; }
  metrics::Registry& metrics() { return registry_; }
  // Null without a health server.
  HealthServer* health() { return health_.get(); }
  // Events from this process (source.component = the manager's name), written through
  // client(); flushed when the manager stops, before the lease is released.
  EventRecorder& event_recorder();
  const std::string& name() const { return options_.name; }

  // A builder whose complete() adds the controller to this manager, with the manager's
  // informers, registry and clock.
  ControllerBuilder controller(std::string name);
  // Adds a controller built elsewhere. Before run() only (std::logic_error after).
  Controller& add(std::unique_ptr<Controller> controller);

  // Runs everything until `stop` fires (graceful shutdown, OK) or a failure: caches not
  // synced in time (kTimeout) or leadership lost (kCancelled). Call once.
  Status run(const CancelToken& stop);

  // Leader election off, or leading now.
  bool is_leader() const;
  // The elector's identity ("" without leader election).
  std::string identity() const;
  // Writes refused by the client's leadership guard.
  std::uint64_t refused_writes() const { return guard_->refused(); }

 private:
  explicit Manager(ManagerOptions options);
  void add_health_checks();
  void shut_down(bool lost);

  ManagerOptions options_;
  metrics::Registry& registry_;
  Clock& clock_;
  std::shared_ptr<Transport> transport_;
  std::shared_ptr<WriteGuardTransport> guard_;
  std::unique_ptr<Client> client_;           // guarded: controllers' reads and writes
  std::unique_ptr<Client> election_client_;  // unguarded: the lease itself
  std::unique_ptr<SharedInformerFactory> informers_;
  std::unique_ptr<HealthServer> health_;
  std::once_flag recorder_once_;
  std::unique_ptr<EventRecorder> recorder_;
  std::unique_ptr<LeaderElector> elector_;
  std::atomic<LeaderElector*> elector_ptr_{nullptr};
  std::vector<metrics::Registration> metric_registrations_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Controller>> controllers_;
  bool running_ = false;
  bool leading_ = false;
  bool lost_ = false;
  CancelToken term_;
};

}  // namespace kube
