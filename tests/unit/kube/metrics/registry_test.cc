#include "kube/metrics/registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kube::metrics {
namespace {

TEST(Registry, RendersNothingWhenEmpty) {
  Registry registry;
  EXPECT_EQ(registry.render(), "");
  // A labelled family without children has no samples, so no HELP/TYPE either.
  registry.counter_vec("requests_total", "Requests.", {"code"});
  EXPECT_EQ(registry.render(), "");
}

TEST(Registry, RendersCountersAndGaugesExactly) {
  Registry registry;
  auto& requests =
      registry.counter_vec("http_requests_total", "Requests served.", {"route", "code"});
  requests.with_labels({"/prioritize", "200"}).inc(2);
  requests.with_labels({"/filter", "500"}).inc();
  requests.with_labels({"/filter", "200"}).inc(7);
  registry.gauge("in_flight", "Requests being served\\now.\nSecond line.").set(-1.5);
  registry.counter("a_total", "Sorted first.").inc(0.25);

  EXPECT_EQ(registry.render(),
            "# HELP a_total Sorted first.\n"
            "# TYPE a_total counter\n"
            "a_total 0.25\n"
            "# HELP http_requests_total Requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{route=\"/filter\",code=\"200\"} 7\n"
            "http_requests_total{route=\"/filter\",code=\"500\"} 1\n"
            "http_requests_total{route=\"/prioritize\",code=\"200\"} 2\n"
            "# HELP in_flight Requests being served\\\\now.\\nSecond line.\n"
            "# TYPE in_flight gauge\n"
            "in_flight -1.5\n");
}

TEST(Registry, EscapesLabelValues) {
  Registry registry;
  registry.gauge_vec("g", "", {"path"}).with_labels({"C:\\dir \"x\"\nnext"}).set(1);
  EXPECT_EQ(registry.render(),
            "# TYPE g gauge\n"
            "g{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 1\n");
}

TEST(Registry, RendersHistogramsExactly) {
  Registry registry;
  auto& latency = registry.histogram_vec("latency_seconds", "Latency.", {"route"}, {0.1, 0.5, 1});
  auto& filter = latency.with_labels({"/filter"});
  filter.observe(0.05);
  filter.observe(0.1);
  filter.observe(0.7);
  filter.observe(3);
  latency.with_labels({"/bind"}).observe(0.2);
  registry.histogram("size_bytes", "Sizes.", exponential_buckets(1000, 10, 2)).observe(5e6);

  EXPECT_EQ(registry.render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"/bind\",le=\"0.1\"} 0\n"
            "latency_seconds_bucket{route=\"/bind\",le=\"0.5\"} 1\n"
            "latency_seconds_bucket{route=\"/bind\",le=\"1\"} 1\n"
            "latency_seconds_bucket{route=\"/bind\",le=\"+Inf\"} 1\n"
            "latency_seconds_sum{route=\"/bind\"} 0.2\n"
            "latency_seconds_count{route=\"/bind\"} 1\n"
            "latency_seconds_bucket{route=\"/filter\",le=\"0.1\"} 2\n"
            "latency_seconds_bucket{route=\"/filter\",le=\"0.5\"} 2\n"
            "latency_seconds_bucket{route=\"/filter\",le=\"1\"} 3\n"
            "latency_seconds_bucket{route=\"/filter\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{route=\"/filter\"} 3.85\n"
            "latency_seconds_count{route=\"/filter\"} 4\n"
            "# HELP size_bytes Sizes.\n"
            "# TYPE size_bytes histogram\n"
            "size_bytes_bucket{le=\"1000\"} 0\n"
            "size_bytes_bucket{le=\"10000\"} 0\n"
            "size_bytes_bucket{le=\"+Inf\"} 1\n"
            "size_bytes_sum 5e+06\n"
            "size_bytes_count 1\n");
}

TEST(Registry, ReturnsTheSameFamilyAndChildForTheSameName) {
  Registry registry;
  auto& a = registry.counter_vec("x_total", "X.", {"k"});
  auto& b = registry.counter_vec("x_total", "X.", {"k"});
  EXPECT_EQ(&a, &b);
  Counter& c1 = a.with_labels({"v"});
  std::vector<std::string> values = {"v"};
  Counter& c2 = b.with_labels(values);
  EXPECT_EQ(&c1, &c2);
  EXPECT_EQ(&registry.gauge("g", "G."), &registry.gauge("g", "G."));
  EXPECT_EQ(&registry.histogram("h", "H.", {1, 2}), &registry.histogram("h", "H.", {1, 2}));
}

TEST(Registry, RejectsConflictsAndInvalidNames) {
  Registry registry;
  registry.counter_vec("x_total", "X.", {"k"});
  EXPECT_THROW(registry.gauge_vec("x_total", "X.", {"k"}), std::invalid_argument);
  EXPECT_THROW(registry.counter_vec("x_total", "X.", {"other"}), std::invalid_argument);
  EXPECT_THROW(registry.counter_vec("x_total", "Different help.", {"k"}), std::invalid_argument);
  registry.histogram("h", "H.", {1, 2});
  EXPECT_THROW(registry.histogram("h", "H.", {1, 3}), std::invalid_argument);

  EXPECT_THROW(registry.counter("bad-name", "B."), std::invalid_argument);
  EXPECT_THROW(registry.counter_vec("c", "C.", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(registry.counter_vec("c", "C.", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram_vec("hl", "H.", {"le"}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("hb", "H.", {2, 1}), std::invalid_argument);

  auto& family = registry.counter_vec("y_total", "Y.", {"a", "b"});
  EXPECT_THROW(family.with_labels({"only-one"}), std::invalid_argument);
  EXPECT_THROW(family.with_labels({"1", "2", "3"}), std::invalid_argument);
  // A rejected request leaves no half-made family behind.
  EXPECT_EQ(registry.render().find("bad-name"), std::string::npos);
}

TEST(Registry, FunctionChildrenAreReadAtScrapeAndRemovedWithTheirRegistration) {
  Registry registry;
  auto& depth = registry.gauge_vec("depth", "Depth.", {"name"});
  depth.with_labels({"b"}).set(2);
  double a_value = 1;
  std::vector<std::string> a = {"a"}, c = {"c"};
  Registration ra = depth.add_function(a, [&] { return a_value; });
  Registration rc = depth.add_function(c, [] { return 3.0; });
  a_value = 10;
  EXPECT_EQ(registry.render(),
            "# HELP depth Depth.\n"
            "# TYPE depth gauge\n"
            "depth{name=\"a\"} 10\n"
            "depth{name=\"b\"} 2\n"
            "depth{name=\"c\"} 3\n");

  EXPECT_THROW((void)depth.add_function(a, [] { return 0.0; }), std::invalid_argument);
  EXPECT_THROW(depth.with_labels({"c"}), std::invalid_argument);
  std::vector<std::string> b = {"b"};
  EXPECT_THROW((void)depth.add_function(b, [] { return 0.0; }), std::invalid_argument);

  Registration moved = std::move(ra);
  ra.reset();  // Moved-from: nothing to remove.
  EXPECT_NE(registry.render().find("depth{name=\"a\"} 10"), std::string::npos);
  moved.reset();
  { Registration gone = std::move(rc); }
  EXPECT_EQ(registry.render(),
            "# HELP depth Depth.\n"
            "# TYPE depth gauge\n"
            "depth{name=\"b\"} 2\n");
  // The label set is free again.
  Registration again = depth.add_function(a, [] { return 5.0; });
  EXPECT_NE(registry.render().find("depth{name=\"a\"} 5"), std::string::npos);

  auto& counters = registry.counter_vec("ticks_total", "Ticks.", {});
  Registration rt = counters.add_function({}, [] { return 9.0; });
  EXPECT_NE(registry.render().find("# TYPE ticks_total counter\nticks_total 9\n"),
            std::string::npos);
  auto& histograms = registry.histogram_vec("hist", "H.", {"x"});
  EXPECT_THROW((void)histograms.add_function(a, [] { return 1.0; }), std::invalid_argument);
}

TEST(Registry, ConcurrentUpdatesSumExactly) {
  Registry registry;
  auto& counters = registry.counter_vec("ops_total", "Ops.", {"worker"});
  Gauge& gauge = registry.gauge("level", "Level.");
  Histogram& histogram = registry.histogram("obs", "Obs.", {0.5});
  constexpr int kThreads = 4;
  constexpr int kIterations = 50000;
  std::atomic<bool> stop{false};
  // Scrapes and new children race with the updates; the totals must still come out exact.
  std::thread scraper([&] {
    while (!stop)
      (void)registry.render();
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Counter& shared = counters.with_labels({"shared"});
      Counter& own = counters.with_labels({std::to_string(t)});
      for (int i = 0; i < kIterations; ++i) {
        shared.inc();
        own.inc(2);
        gauge.inc();
        if (i % 2 == 0) gauge.sub(2);
        histogram.observe(i % 2 == 0 ? 0.25 : 1.0);
      }
    });
  }
  for (auto& th : threads)
    th.join();
  stop = true;
  scraper.join();

  EXPECT_EQ(counters.with_labels({"shared"}).value(), kThreads * kIterations);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(counters.with_labels({std::to_string(t)}).value(), 2.0 * kIterations);
  }
  EXPECT_EQ(gauge.value(), 0);
  auto s = histogram.snapshot();
  EXPECT_EQ(s.cumulative,
            (std::vector<std::uint64_t>{kThreads * kIterations / 2, kThreads * kIterations}));
  EXPECT_EQ(s.sum, kThreads * (kIterations / 2) * 1.25);
}

TEST(Registry, DefaultRegistryIsOneInstance) {
  EXPECT_EQ(&default_registry(), &default_registry());
}

}  // namespace
}  // namespace kube::metrics
