// Kubelet: runs the pods bound to berth-sim's fake nodes - without containers, but with the
// status a real kubelet v1.26 reports, so controllers, kubectl and Berth's own components see
// pods start, become ready, crash, finish and terminate (see
// ../shared/fixtures/k8s-1.26/objects/pod-after-status-patch.json).
//
// Life of a pod bound to a NodePool node:
//  1. at once: phase Pending, hostIP, startTime, Initialized=True, Ready/ContainersReady=False
//     (ContainersNotReady), containers waiting in ContainerCreating;
//  2. after the start delay (flag, jittered; or the pod's sim.berth.dev/start-delay, exact):
//     phase Running, podIP from the node's podCIDR, containers running and started, Ready=True;
//  3. with sim.berth.dev/exit-after: the containers exit after that long with
//     sim.berth.dev/exit-code (default 0): the pod Succeeds or Fails (restartPolicy Never, or
//     OnFailure with code 0) or its containers restart (Always, OnFailure with a failure);
//  4. on graceful deletion (deletionTimestamp): after the stop delay, bounded by the grace
//     period, containers terminate and the pod is deleted with grace 0 (uid precondition), as
//     the kubelet's status manager does.
// Failure modes by the annotation sim.berth.dev/fail:
//  - crash-loop: containers run briefly, exit 1, wait in CrashLoopBackOff (10 s doubling up to
//    5 min by default) and restart, restartCount growing; never ready;
//  - never-ready: running and started but never ready.
// Readiness is immediate; minReadySeconds is the controllers' business.
//
// Status is written through pods/status as "system:node:<node>" with field manager "kubelet".
// One worker thread; transitions are timers keyed by pod uid.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sim/cluster/local_client.h"
#include "sim/cluster/local_informer.h"
#include "sim/kubelet/node_pool.h"

namespace berth::sim {

inline constexpr std::string_view kStartDelayAnnotation = "sim.berth.dev/start-delay";
inline constexpr std::string_view kStopDelayAnnotation = "sim.berth.dev/stop-delay";
inline constexpr std::string_view kFailAnnotation = "sim.berth.dev/fail";
inline constexpr std::string_view kExitAfterAnnotation = "sim.berth.dev/exit-after";
inline constexpr std::string_view kExitCodeAnnotation = "sim.berth.dev/exit-code";

struct KubeletOptions {
  std::chrono::milliseconds pod_start_delay{500};
  // The start delay varies by ±jitter (fraction) per pod, so replicas do not start in step.
  double start_jitter = 0.2;
  // Simulated container shutdown on graceful deletion, bounded by the pod's grace period.
  std::chrono::milliseconds pod_stop_delay{500};
  // Crash-loop restart delays: initial, doubling up to the maximum (kubelet: 10 s, 5 min).
  std::chrono::milliseconds crash_loop_backoff{std::chrono::seconds(10)};
  std::chrono::milliseconds max_crash_loop_backoff{std::chrono::minutes(5)};
  // How long a crash-looping container runs before it exits.
  std::chrono::milliseconds crash_run_time{std::chrono::seconds(1)};
  std::uint64_t seed = 0;  // 0 = random
};

kube::Status validate(const KubeletOptions& options);

class Kubelet {
 public:
  Kubelet(LocalClient client, const NodePool& nodes, LocalInformer& informer,
          KubeletOptions options);
  ~Kubelet();
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  // Registers the pod handler; call before the informer starts.
  void register_handlers();
  void start();
  // Stops the worker; pods keep their last status. Idempotent.
  void stop();

  // Pods on fake nodes the kubelet is running or stopping.
  std::size_t pod_count() const;

 private:
  enum class Stage { kAdmitted, kCreating, kRunning, kBackOff, kFinished, kStopping };
  enum class Mode { kNormal, kCrashLoop, kNeverReady };
  struct PodState;
  struct Timer {
    std::chrono::steady_clock::time_point due;
    std::uint64_t sequence;
    std::string uid;
    std::uint64_t generation;
    bool operator>(const Timer& o) const {
      return due != o.due ? due > o.due : sequence > o.sequence;
    }
  };

  void on_pod(const LocalEvent& event);
  void schedule(PodState& state, std::chrono::milliseconds delay);  // holds mu_
  void run();
  void step(const std::string& uid, std::uint64_t generation);
  bool write_status(const PodState& state);
  void finish_deletion(const PodState& state);
  std::string allocate_ip(const SimNode& node);  // holds mu_
  void release_ip(PodState& state);              // holds mu_
  double uniform();                              // holds mu_

  LocalClient client_;
  const NodePool& nodes_;
  LocalInformer& informer_;
  KubeletOptions options_;
  ResourcePtr pods_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, std::unique_ptr<PodState>> pods_by_uid_;
  std::vector<Timer> timers_;  // min-heap by (due, sequence)
  std::uint64_t sequence_ = 0;
  std::unordered_map<std::string, std::vector<bool>> used_ips_;  // node -> host part in use
  std::uint64_t random_state_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace berth::sim
