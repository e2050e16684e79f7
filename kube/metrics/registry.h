// Registry: the set of metric families a process exposes on /metrics, rendered in the
// Prometheus text exposition format 0.0.4.
//
//   auto& requests = registry.counter_vec("berth_http_requests_total", "HTTP requests served.",
//                                         {"route", "code"});
//   kube::metrics::Counter& ok = requests.with_labels({"/filter", "200"});  // once
//   ok.inc();                                                               // hot path
//   std::string body = registry.render();
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kube/metrics/family.h"

namespace kube::metrics {

// Thread-safe. Families are created on first request and returned again for the same name;
// asking for an existing name with a different type, help, label names or buckets is a
// programmer error (std::invalid_argument), as is an invalid metric or label name. Families and
// their children are never removed, so references stay valid for the registry's lifetime.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  CounterVec& counter_vec(std::string_view name, std::string_view help,
                          std::vector<std::string> label_names);
  GaugeVec& gauge_vec(std::string_view name, std::string_view help,
                      std::vector<std::string> label_names);
  HistogramVec& histogram_vec(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names,
                              std::vector<double> buckets = default_buckets());

  // Unlabelled metrics: the single child of a family without label names.
  Counter& counter(std::string_view name, std::string_view help);
  Gauge& gauge(std::string_view name, std::string_view help);
  Histogram& histogram(std::string_view name, std::string_view help,
                       std::vector<double> buckets = default_buckets());

  // Every family with at least one child, ordered by name; children ordered by label values.
  // Serve it with Content-Type kTextContentType (text_format.h).
  std::string render() const;

 private:
  template <typename F>
  F& family(std::string_view name, std::string_view help, std::vector<std::string> label_names,
            std::vector<double> buckets);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<detail::FamilyBase>, std::less<>> families_;
};

// The process-wide registry that components serve on /metrics. Metrics are the one global
// Berth allows; libraries take a Registry& so tests can pass their own.
Registry& default_registry();

}  // namespace kube::metrics
