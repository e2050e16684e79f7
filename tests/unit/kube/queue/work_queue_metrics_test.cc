#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "kube/clock/fake_clock.h"
#include "kube/metrics/registry.h"
#include "kube/queue/work_queue.h"

namespace kube {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The value of the sample line that starts with `prefix` (name and labels), or -1.
double sample(const std::string& text, const std::string& prefix) {
  auto pos = text.find("\n" + prefix + " ");
  if (pos == std::string::npos) return -1;
  return std::strtod(text.c_str() + pos + prefix.size() + 2, nullptr);
}

std::unique_ptr<WorkQueue> make_queue(const std::string& name, metrics::Registry& registry,
                                      FakeClock& clock) {
  WorkQueueOptions options;
  options.name = name;
  options.metrics = &registry;
  options.clock = &clock;
  options.rate_limiter = std::make_unique<ItemExponentialFailureRateLimiter>();
  return std::make_unique<WorkQueue>(std::move(options));
}

TEST(WorkQueueMetrics, ExportsDepthAddsRetriesAndDurations) {
  metrics::Registry registry;
  FakeClock clock;
  auto queue = make_queue("rollout", registry, clock);
  queue->add("a");
  queue->add("b");
  queue->add("a");  // dedup: not an add
  auto text = "\n" + registry.render();
  EXPECT_EQ(sample(text, "workqueue_depth{name=\"rollout\"}"), 2);
  EXPECT_EQ(sample(text, "workqueue_adds_total{name=\"rollout\"}"), 2);
  EXPECT_EQ(sample(text, "workqueue_unfinished_work_seconds{name=\"rollout\"}"), 0);
  EXPECT_EQ(sample(text, "workqueue_longest_running_processor_seconds{name=\"rollout\"}"), 0);

  clock.advance(seconds(3));
  ASSERT_EQ(queue->get(), "a");  // waited 3 s
  clock.advance(seconds(2));
  ASSERT_EQ(queue->get(), "b");  // waited 5 s
  clock.advance(seconds(1));
  text = "\n" + registry.render();
  EXPECT_EQ(sample(text, "workqueue_depth{name=\"rollout\"}"), 0);
  // a has run 3 s, b 1 s.
  EXPECT_EQ(sample(text, "workqueue_unfinished_work_seconds{name=\"rollout\"}"), 4);
  EXPECT_EQ(sample(text, "workqueue_longest_running_processor_seconds{name=\"rollout\"}"), 3);
  EXPECT_NE(text.find("workqueue_queue_duration_seconds_bucket{name=\"rollout\",le=\"1\"} 0\n"
                      "workqueue_queue_duration_seconds_bucket{name=\"rollout\",le=\"10\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(sample(text, "workqueue_queue_duration_seconds_sum{name=\"rollout\"}"), 8);
  EXPECT_EQ(sample(text, "workqueue_queue_duration_seconds_count{name=\"rollout\"}"), 2);

  queue->done("a");
  clock.advance(milliseconds(500));
  queue->add_rate_limited("b");  // b is still in flight: requeued at done
  queue->done("b");
  text = "\n" + registry.render();
  EXPECT_EQ(sample(text, "workqueue_work_duration_seconds_sum{name=\"rollout\"}"), 4.5);
  EXPECT_EQ(sample(text, "workqueue_work_duration_seconds_count{name=\"rollout\"}"), 2);
  EXPECT_EQ(sample(text, "workqueue_retries_total{name=\"rollout\"}"), 1);
  EXPECT_EQ(sample(text, "workqueue_unfinished_work_seconds{name=\"rollout\"}"), 0);
  EXPECT_EQ(sample(text, "workqueue_longest_running_processor_seconds{name=\"rollout\"}"), 0);
  clock.advance(milliseconds(5));
  EXPECT_EQ(queue->len(), 1u);
  text = "\n" + registry.render();
  EXPECT_EQ(sample(text, "workqueue_depth{name=\"rollout\"}"), 1);
  EXPECT_EQ(sample(text, "workqueue_adds_total{name=\"rollout\"}"), 3);
}

TEST(WorkQueueMetrics, QueuesShareFamiliesAndUnregisterScrapeValues) {
  metrics::Registry registry;
  FakeClock clock;
  auto logs = make_queue("logs", registry, clock);
  {
    auto keys = make_queue("keys", registry, clock);
    keys->add("x");
    logs->add("y");
    logs->add("z");
    auto text = "\n" + registry.render();
    EXPECT_EQ(sample(text, "workqueue_depth{name=\"keys\"}"), 1);
    EXPECT_EQ(sample(text, "workqueue_depth{name=\"logs\"}"), 2);
    EXPECT_NE(text.find("workqueue_unfinished_work_seconds{name=\"keys\"}"), std::string::npos);
    EXPECT_EQ(text.find("# TYPE workqueue_depth gauge"),
              text.rfind("# TYPE workqueue_depth gauge"));
  }
  auto text = registry.render();
  EXPECT_EQ(text.find("workqueue_unfinished_work_seconds{name=\"keys\"}"), std::string::npos);
  EXPECT_NE(text.find("workqueue_unfinished_work_seconds{name=\"logs\"}"), std::string::npos);
}

TEST(WorkQueueMetrics, MetricsNeedAName) {
  metrics::Registry registry;
  WorkQueueOptions options;
  options.metrics = &registry;
  EXPECT_THROW(WorkQueue{std::move(options)}, std::invalid_argument);
}

}  // namespace
}  // namespace kube
