// LeaderElector: leader election on a Lease, as client-go's leaderelection package does it, so
// only one replica of a controller acts at a time.
//
// A candidate reads the Lease; if nobody holds it, or the holder has not renewed it for
// leaseDurationSeconds (measured on this process's monotonic clock from when it last saw the
// record change - never by comparing wall clocks), it writes itself as holder with the
// resourceVersion it read (optimistic concurrency: of two candidates one gets 409 Conflict).
// The leader renews every retry_period. When it has not renewed successfully for
// renew_deadline it stops leading at once - a watchdog fires at that instant even while a
// renewal request hangs, which is cancelled - so it stops acting before any other candidate can
// consider the lease expired (lease_duration > renew_deadline).
//
// One elector serves one term: after leadership is lost (or stop() is called) it is done; the
// process is expected to exit and restart, as controller-runtime's manager does.
//
//   LeaderElectionConfig config;
//   config.callbacks.on_started_leading = [&](kube::CancelToken term) { start_controllers(term); };
//   config.callbacks.on_stopped_leading = [&] { stop_controllers(); };
//   kube::LeaderElector elector(kube::LeaseLock::for_lease(client, "berth-system", "berth"),
//                               std::move(config));
//   elector.start();
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "kube/client/cancel.h"
#include "kube/clock/clock.h"
#include "kube/core/time.h"
#include "kube/leaderelection/lease_lock.h"

namespace kube {

struct LeaderCallbacks {
  // Called on the elector's thread when this process becomes the leader. `term` is cancelled
  // the moment leadership ends; hand it to everything that must stop then. Must not block.
  std::function<void(CancelToken term)> on_started_leading{};
  // Called once when a term that started ends: lost (renewal failed, from the watchdog's
  // thread) or released by stop(). Must not block for long and must not call stop().
  std::function<void()> on_stopped_leading{};
  // Called when the observed holder changes (including to this process); "" = nobody.
  std::function<void(const std::string& identity)> on_new_leader{};
};

struct LeaderElectionConfig {
  // Unique per process; default_identity() when empty.
  std::string identity{};
  std::chrono::seconds lease_duration{15};
  Clock::duration renew_deadline = std::chrono::seconds(10);
  Clock::duration retry_period = std::chrono::seconds(2);
  // On stop(), a leader writes the lease as free (holderIdentity "", leaseDurationSeconds 1),
  // so a standby takes over within a retry period instead of waiting out the lease.
  bool release_on_stop = true;
  LeaderCallbacks callbacks{};
  // Monotonic time of all decisions; real time when null.
  Clock* clock = nullptr;
  // Wall time written into acquireTime/renewTime (informational to other candidates).
  std::function<SystemTime()> wall_clock{};
};

// "<hostname>_<random uuid>": what Kubernetes components use, unique across restarts.
std::string default_identity();

class LeaderElector {
 public:
  // Throws std::invalid_argument unless lease_duration > renew_deadline > retry_period > 0.
  LeaderElector(std::unique_ptr<LeaseLock> lock, LeaderElectionConfig config);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Starts campaigning on the elector's thread. Call once.
  void start();
  // Ends the campaign or the term: a leader stops leading (term cancelled, on_stopped_leading)
  // and, with release_on_stop, releases the lease. Joins the threads. Idempotent.
  void stop();

  // True while leading and the last successful renewal started less than renew_deadline ago.
  // This is the check to make before each write.
  bool is_leader() const;
  // True once the term has ended (lost or stopped).
  bool done() const;
  // The holder last observed ("" = none or not read yet).
  std::string leader() const;
  const std::string& identity() const { return config_.identity; }
  const std::string& lease() const { return lease_name_; }
  // Clock time of the last successful read or write of the lease (epoch when never).
  Clock::time_point last_contact() const;

 private:
  bool try_acquire_or_renew(const CancelToken& cancel);
  void run();
  void run_watchdog();
  void become_leader(Clock::time_point renewed_at);
  // Ends the term if it is still running; returns false if it had already ended. `lost`:
  // renewal failed (as opposed to a stop).
  bool end_term(const char* why, bool lost);
  void release();
  void observe(const LeaseRecord& record, const std::string& version);
  Clock::duration jittered_retry();
  SystemTime wall_now() const;

  std::unique_ptr<LeaseLock> lock_;
  LeaderElectionConfig config_;
  Clock& clock_;
  const std::string lease_name_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // watchdog: renewal or stop
  bool leading_ = false;
  bool done_ = false;
  bool stopping_ = false;
  Clock::time_point renewed_at_{};  // start of the last successful acquire/renew
  Clock::time_point last_contact_{};
  LeaseRecord observed_{};
  std::string observed_version_{};
  Clock::time_point observed_at_{};
  bool have_observed_ = false;
  std::unique_ptr<CancelSource> term_;     // while leading
  std::unique_ptr<CancelSource> attempt_;  // the request in flight
  std::uint64_t random_state_;

  CancelSource stop_;
  std::thread thread_;
  std::thread watchdog_;
  std::atomic<bool> started_{false};
};

}  // namespace kube
