#include "kube/queue/work_queue_metrics.h"

#include <utility>
#include <vector>

namespace kube {
namespace {

// 1 µs to 100 s in decades: from an idle worker picking a key up at once to a reconcile that
// is stuck on a slow apiserver.
std::vector<double> duration_buckets() {
  return {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100};
}

const std::vector<std::string>& name_label() {
  static const std::vector<std::string> label = {"name"};
  return label;
}

}  // namespace

WorkQueueMetrics::WorkQueueMetrics(metrics::Registry& registry, const std::string& name,
                                   std::function<double()> unfinished_work_seconds,
                                   std::function<double()> longest_running_seconds)
    : depth(registry.gauge_vec("workqueue_depth", "Keys waiting in the work queue.", name_label())
                .with_labels({name})),
      adds(registry
               .counter_vec("workqueue_adds_total",
                            "Keys added to the work queue (adds of a key already waiting are "
                            "not counted).",
                            name_label())
               .with_labels({name})),
      retries(registry
                  .counter_vec("workqueue_retries_total",
                               "Rate-limited re-adds of keys whose processing failed.",
                               name_label())
                  .with_labels({name})),
      queue_duration(registry
                         .histogram_vec("workqueue_queue_duration_seconds",
                                        "Time a key waited in the queue before a worker took it.",
                                        name_label(), duration_buckets())
                         .with_labels({name})),
      work_duration(registry
                        .histogram_vec("workqueue_work_duration_seconds",
                                       "Time a worker spent on a key, from get to done.",
                                       name_label(), duration_buckets())
                        .with_labels({name})) {
  std::vector<std::string> values = {name};
  unfinished_work =
      registry
          .gauge_vec("workqueue_unfinished_work_seconds",
                     "Seconds of work in progress that has not yet been marked done; a value "
                     "that keeps growing points at stuck workers.",
                     name_label())
          .add_function(values, std::move(unfinished_work_seconds));
  longest_running =
      registry
          .gauge_vec("workqueue_longest_running_processor_seconds",
                     "Seconds the longest-running worker has spent on its current key.",
                     name_label())
          .add_function(values, std::move(longest_running_seconds));
}

}  // namespace kube
