// FaultInjector: berth-sim's game-day switchboard. It sits in front of the API server's
// handler (ApiServerOptions::wrap_handler) and, per FaultConfig, answers requests with errors
// (500, 503, 504, or 429 TooManyRequests with Retry-After), delays them, cuts the TCP
// connections of open watches, expires the watch history (resuming clients get 410 and
// relist; continue tokens expire too) and simulates a restart (history lost, connections
// dropped, new connections refused for a while). In-process components consult decide()
// through LocalClient for rules marked `internal`.
//
// Controlled by flags (sim/cluster), by the C++ API below and over HTTP on the API listener:
//   GET    /admin/faults                 config + counters
//   PUT    /admin/faults                 replace the config (FaultConfig JSON)
//   DELETE /admin/faults                 no faults
//   POST   /admin/faults/expire          forced 410 now
//   POST   /admin/faults/drop-watches    cut every open watch now
//   POST   /admin/faults/restart?dropConnections=true&downtimeMs=500
//
//   auto faults = std::make_shared<FaultInjector>();
//   ApiServerOptions o; o.wrap_handler = [&](auto next) { return faults->wrap(std::move(next)); };
//   auto server = ApiServer::start(o); faults->attach(**server);
//
// Thread-safe. Must outlive the server it wraps (stop() it after the server).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "kube/http/server.h"
#include "sim/apiserver/api_error.h"
#include "sim/faults/delay_pool.h"
#include "sim/faults/fault_config.h"

namespace berth::sim {

class ApiServer;
class Store;

struct FaultDecision {
  std::chrono::milliseconds delay{0};
  std::optional<ApiError> error{};
};

struct FaultStats {
  std::uint64_t requests = 0;  // resource requests considered (HTTP and internal)
  std::uint64_t errors = 0;    // answered with an injected error
  std::uint64_t delayed = 0;   // held for injected latency
  std::uint64_t watches_dropped = 0;
  std::uint64_t compactions = 0;  // forced 410s, periodic or on demand (restarts included)
  std::uint64_t restarts = 0;
  std::uint64_t connections_cut = 0;  // by restarts and refused during downtime
};

struct RestartOptions {
  // Cut every open connection (watches and keep-alive connections alike).
  bool drop_connections = true;
  // After the restart, new requests have their connection cut (as a refused connection
  // looks to a client) for this long.
  std::chrono::milliseconds downtime{0};
};

struct RestartResult {
  std::int64_t resource_version = 0;  // the first version of the new history
  std::size_t connections_cut = 0;
};

class FaultInjector {
 public:
  explicit FaultInjector(FaultConfig config = {});
  ~FaultInjector();
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  // The handler to give the API server: faults first, then `next`.
  kube::http::Handler wrap(kube::http::Handler next);
  // Once the server runs: its store (history expiry), its listener ports (cutting) and the
  // /admin/faults routes. Starts the timer for periodic faults.
  void attach(ApiServer& server);
  // Stops timers and releases held requests. Idempotent.
  void stop();

  void set_config(FaultConfig config);
  FaultConfig config() const;
  FaultStats stats() const;

  // What to do with one request. `internal` = an in-process component (only `internal`
  // rules apply). Counts the request.
  FaultDecision decide(std::string_view verb, std::string_view resource,
                       std::string_view subresource, bool internal);

  // Forced 410: expires every resourceVersion issued so far. Returns the new revision (0 when
  // not attached).
  std::int64_t expire_history();
  // Cuts the connection of every watch opened through the HTTP listener that may still be
  // open. Returns how many connections were cut.
  std::size_t drop_watches();
  RestartResult restart(const RestartOptions& options);

 private:
  struct Held;
  void handle(kube::http::Request&& request, kube::http::Responder responder,
              const kube::http::Handler& next);
  void serve_admin(kube::http::Request&& request, kube::http::Responder responder);
  double uniform();  // [0, 1); callers hold mu_
  bool in_downtime() const;
  void run_timers();
  RestartResult restart_except(const RestartOptions& options, const std::string& keep_peer);

  mutable std::mutex mu_;
  FaultConfig config_;
  std::uint64_t random_state_ = 0;
  FaultStats stats_;
  std::unordered_set<std::string> watch_peers_;
  std::chrono::steady_clock::time_point downtime_until_{};
  std::atomic<bool> downtime_{false};

  Store* store_ = nullptr;
  std::vector<std::uint16_t> ports_;

  DelayPool pool_{4};
  std::condition_variable timer_cv_;
  bool stopping_ = false;
  std::thread timer_;
};

}  // namespace berth::sim
