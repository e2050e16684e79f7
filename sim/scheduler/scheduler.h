// Scheduler: berth-sim's kube-scheduler. It schedules pending pods that name its scheduler
// (--scheduler-name, default berth-scheduler; optionally also default-scheduler, without
// extenders, as the stock kube-scheduler next to Berth's would), one at a time like
// kube-scheduler's scheduling cycle:
//  1. in-tree filters (NodeUnschedulable, TaintToleration incl. NotReady nodes, NodeAffinity,
//     NodeResourcesFit) over nodes taken in zone-interleaved order from a rotating start
//     index, stopping once numFeasibleNodesToFind nodes fit (percentageOfNodesToScore);
//  2. extenders in order: filter (each sees what the previous kept; FailedNodes reasons join
//     the diagnosis; errors fail the cycle unless ignorable), then, when more than one node is
//     left, prioritize (score × weight × 10, errors ignored) plus the in-tree LeastAllocated
//     score; the best node wins, ties broken at random;
//  3. the pod is assumed on the node (its requests count at once) and bound asynchronously
//     through pods/binding; a Scheduled event (events.k8s.io/v1) follows.
// A pod that fits nowhere gets PodScheduled=False, reason Unschedulable, message
// "0/N nodes are available: ... preemption: ..." (with DefaultPreemption's verdict when no
// lower-priority pod could be evicted; a FailedScheduling event when the message changes) and
// waits in the queue for a cluster change; errors (extender failures) back off and set
// reason SchedulerError. Node requests are kept per node from pod and node events, so a
// cycle costs O(sampled nodes), not O(pods).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "sim/cluster/event_recorder.h"
#include "sim/cluster/local_client.h"
#include "sim/cluster/local_informer.h"
#include "sim/scheduler/extender_client.h"
#include "sim/scheduler/node_info.h"
#include "sim/scheduler/scheduling_queue.h"

namespace berth::sim {

struct SchedulerOptions {
  std::string scheduler_name = "berth-scheduler";
  // Also schedule pods with schedulerName default-scheduler (in-tree plugins only).
  bool default_scheduler = true;
  // 0 = kube-scheduler's adaptive default; 1..100 = that percentage.
  std::int64_t percentage_of_nodes_to_score = 0;
  // Called for pods of scheduler_name, in order.
  std::vector<scheduling::ExtenderConfig> extenders{};
  scheduling::QueueOptions queue{};
  std::uint64_t seed = 0;  // tie-breaks; 0 = random
};

kube::Status validate(const SchedulerOptions& options);

struct SchedulerStats {
  std::uint64_t scheduled = 0;      // bound
  std::uint64_t unschedulable = 0;  // attempts that found no node
  std::uint64_t errors = 0;         // attempts that failed (extender errors, binding)
  std::uint64_t extender_filter_calls = 0;
  std::uint64_t extender_prioritize_calls = 0;
  std::uint64_t nodes_evaluated = 0;  // by the in-tree filters, over all cycles
};

class Scheduler {
 public:
  Scheduler(LocalClient client, LocalInformer& informer, EventSink& events,
            SchedulerOptions options);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void register_handlers();
  void start();
  // Stops scheduling and binding; queued pods stay pending. Idempotent.
  void stop();

  SchedulerStats stats() const;
  // Pods waiting or being scheduled.
  std::size_t pending() const { return queue_.size(); }

 private:
  struct Candidate {
    std::string name;
    kube::Object node;
    std::int64_t score = 0;
  };
  struct Outcome;

  void on_pod(const LocalEvent& event);
  void on_node(const LocalEvent& event);
  bool handles(const std::string& scheduler_name) const;
  void account(const std::string& uid, const std::string& node,
               const scheduling::PodInfo& pod);  // holds mu_
  void unaccount(const std::string& uid);        // holds mu_
  void rebuild_order();                          // holds mu_

  void run();
  void schedule_one(const scheduling::PodInfo& pod);
  Outcome find_host(const scheduling::PodInfo& pod);
  // FitError's message, with DefaultPreemption's part when the simulator can word it.
  std::string fit_error(const scheduling::PodInfo& pod, std::int64_t all_nodes,
                        const std::unordered_map<std::string, std::int64_t>& reasons,
                        const std::unordered_set<std::string>& unresolvable);
  void post(std::function<void()> task);
  void run_writer();
  void bind(scheduling::PodInfo pod, std::string node);
  void report_failure(const scheduling::PodInfo& pod, std::string reason, std::string message);

  LocalClient client_;
  LocalInformer& informer_;
  SchedulerOptions options_;
  std::vector<scheduling::ExtenderClient> extenders_;
  EventRecorder berth_events_;
  EventRecorder default_events_;
  ResourcePtr pods_;
  ResourcePtr nodes_;
  scheduling::SchedulingQueue queue_;

  // Node cache, guarded by mu_.
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::unique_ptr<scheduling::NodeInfo>> node_infos_;
  std::unordered_map<std::string, std::string> pod_node_;  // uid -> node accounted on
  std::unordered_set<std::string> assumed_;                // uids being bound
  std::vector<scheduling::NodeInfo*> order_;               // zone-interleaved, real nodes
  std::vector<std::string> zone_order_;
  bool order_dirty_ = true;
  std::size_t next_start_ = 0;
  std::unordered_map<std::string, std::string> last_failure_;  // uid -> last message reported

  // Scheduling-thread state.
  std::mt19937_64 random_;

  // Writer thread: bindings, status updates (ordered per pod: one FIFO).
  std::mutex writer_mu_;
  std::condition_variable writer_cv_;
  std::deque<std::function<void()>> writes_;
  bool writer_stopping_ = false;

  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::thread writer_;

  std::atomic<std::uint64_t> scheduled_{0};
  std::atomic<std::uint64_t> unschedulable_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> filter_calls_{0};
  std::atomic<std::uint64_t> prioritize_calls_{0};
  std::atomic<std::uint64_t> nodes_evaluated_{0};
};

}  // namespace berth::sim
