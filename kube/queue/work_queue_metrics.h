// The workqueue_* metrics of one WorkQueue, labelled name=<queue name>. Internal to
// kube/queue; WorkQueue holds one when a registry is configured.
#pragma once

#include <functional>
#include <string>

#include "kube/metrics/registry.h"

namespace kube {

struct WorkQueueMetrics {
  // `unfinished_work_seconds` and `longest_running_seconds` are read at scrape time; they must
  // stay callable until this object is destroyed.
  WorkQueueMetrics(metrics::Registry& registry, const std::string& name,
                   std::function<double()> unfinished_work_seconds,
                   std::function<double()> longest_running_seconds);

  metrics::Gauge& depth;
  metrics::Counter& adds;
  metrics::Counter& retries;
  metrics::Histogram& queue_duration;
  metrics::Histogram& work_duration;
  metrics::Registration unfinished_work;
  metrics::Registration longest_running;
};

}  // namespace kube
