// Family: one metric name with its label names, holding one child metric per label-value set
// (CounterVec, GaugeVec, HistogramVec). Families are created by a Registry and live as long
// as it does.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kube/metrics/counter.h"
#include "kube/metrics/gauge.h"
#include "kube/metrics/histogram.h"

namespace kube::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

// "counter", "gauge", "histogram": the word on a TYPE line.
std::string_view type_name(MetricType type);

class Registration;

namespace detail {

// Orders label-value lists lexicographically; transparent so string_view lists find string
// keys without building strings.
struct LabelsLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end());
  }
};

class FamilyBase {
 public:
  FamilyBase(MetricType type, std::string name, std::string help,
             std::vector<std::string> label_names);
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;
  virtual ~FamilyBase() = default;

  MetricType type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Appends HELP, TYPE and every sample in label-value order; nothing when the family has no
  // children yet. Calls the function children (see Family::add_function) under this family's
  // lock.
  void render(std::string& out) const;

 protected:
  struct Function {
    std::uint64_t id;
    std::function<double()> fn;
  };

  // Throws std::invalid_argument unless there is one value per label name.
  void check_arity(std::size_t values) const;
  // With mu_ held.
  virtual bool empty_locked() const = 0;
  virtual void render_samples_locked(std::string& out) const = 0;

  mutable std::mutex mu_;
  // Children whose value is computed at scrape time; counter and gauge families only.
  std::map<std::vector<std::string>, Function, LabelsLess> functions_;
  std::uint64_t next_function_id_ = 1;

 private:
  friend class kube::metrics::Registration;
  void remove_function(std::uint64_t id);

  MetricType type_;
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

}  // namespace detail

// Keeps a function child (Family::add_function) registered; destroying or reset()ting it
// removes the child, waiting for a scrape that is calling it to finish. The registry must
// outlive it.
class Registration {
 public:
  Registration() = default;
  Registration(Registration&& other) noexcept;
  Registration& operator=(Registration&& other) noexcept;
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  ~Registration() { reset(); }

  void reset();

 private:
  template <typename Metric>
  friend class Family;
  Registration(detail::FamilyBase* family, std::uint64_t id) : family_(family), id_(id) {}

  detail::FamilyBase* family_ = nullptr;
  std::uint64_t id_ = 0;
};

// Thread-safe. with_labels takes the family's lock; the metric it returns does not, so hot
// paths look a child up once and keep the reference.
template <typename Metric>
class Family final : public detail::FamilyBase {
 public:
  // `buckets` is used by histogram families only.
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> buckets = {});

  // The child for `values` (one per label name, in order), created at zero on first use. The
  // reference stays valid for the registry's lifetime. Throws std::invalid_argument on a wrong
  // number of values or on a label set already bound with add_function.
  Metric& with_labels(std::initializer_list<std::string_view> values);
  Metric& with_labels(std::span<const std::string> values);

  // Counter and gauge families only: a child whose value `fn` computes at each scrape (process
  // statistics, the age of the oldest in-flight item). `fn` runs under the family's lock and
  // must not touch the registry. Throws std::invalid_argument if the label set is taken.
  [[nodiscard]] Registration add_function(std::span<const std::string> values,
                                          std::function<double()> fn);

  const std::vector<double>& buckets() const { return buckets_; }

 private:
  template <typename Values>
  Metric& child(const Values& values);
  bool empty_locked() const override;
  void render_samples_locked(std::string& out) const override;

  std::map<std::vector<std::string>, std::unique_ptr<Metric>, detail::LabelsLess> children_;
  std::vector<double> buckets_;
};

using CounterVec = Family<Counter>;
using GaugeVec = Family<Gauge>;
using HistogramVec = Family<Histogram>;

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

}  // namespace kube::metrics
