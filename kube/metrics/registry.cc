#include "kube/metrics/registry.h"

#include <algorithm>
#include <stdexcept>
#include <type_traits>

#include "kube/metrics/text_format.h"

namespace kube::metrics {
namespace {

template <typename F>
constexpr bool kIsHistogram = std::is_same_v<F, HistogramVec>;

void validate(std::string_view name, const std::vector<std::string>& label_names, bool histogram) {
  if (!is_valid_metric_name(name)) {
    throw std::invalid_argument("invalid metric name \"" + std::string(name) + "\"");
  }
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!is_valid_label_name(label)) {
      throw std::invalid_argument("metric " + std::string(name) + ": invalid label name \"" +
                                  label + "\"");
    }
    if (histogram && label == "le") {
      throw std::invalid_argument("metric " + std::string(name) +
                                  ": \"le\" is reserved for histogram buckets");
    }
    if (std::find(label_names.begin(), label_names.begin() + static_cast<std::ptrdiff_t>(i),
                  label) != label_names.begin() + static_cast<std::ptrdiff_t>(i)) {
      throw std::invalid_argument("metric " + std::string(name) + ": duplicate label \"" + label +
                                  "\"");
    }
  }
}

}  // namespace

template <typename F>
F& Registry::family(std::string_view name, std::string_view help,
                    std::vector<std::string> label_names, std::vector<double> buckets) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    auto* existing = dynamic_cast<F*>(it->second.get());
    bool same = existing != nullptr && existing->help() == help &&
                existing->label_names() == label_names &&
                (!kIsHistogram<F> || existing->buckets() == checked_buckets(buckets));
    if (!same) {
      throw std::invalid_argument("metric " + std::string(name) +
                                  " is already registered with a different type, help, labels "
                                  "or buckets");
    }
    return *existing;
  }
  validate(name, label_names, kIsHistogram<F>);
  auto created = std::make_unique<F>(std::string(name), std::string(help), std::move(label_names),
                                     std::move(buckets));
  F& ref = *created;
  families_.emplace(std::string(name), std::move(created));
  return ref;
}

CounterVec& Registry::counter_vec(std::string_view name, std::string_view help,
                                  std::vector<std::string> label_names) {
  return family<CounterVec>(name, help, std::move(label_names), {});
}

GaugeVec& Registry::gauge_vec(std::string_view name, std::string_view help,
                              std::vector<std::string> label_names) {
  return family<GaugeVec>(name, help, std::move(label_names), {});
}

HistogramVec& Registry::histogram_vec(std::string_view name, std::string_view help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> buckets) {
  return family<HistogramVec>(name, help, std::move(label_names), std::move(buckets));
}

Counter& Registry::counter(std::string_view name, std::string_view help) {
  return counter_vec(name, help, {}).with_labels({});
}

Gauge& Registry::gauge(std::string_view name, std::string_view help) {
  return gauge_vec(name, help, {}).with_labels({});
}

Histogram& Registry::histogram(std::string_view name, std::string_view help,
                               std::vector<double> buckets) {
  return histogram_vec(name, help, {}, std::move(buckets)).with_labels({});
}

std::string Registry::render() const {
  // Families are never removed, so rendering outside mu_ is safe and keeps scrapes (which
  // call function children) from blocking registrations.
  std::vector<const detail::FamilyBase*> families;
  {
    std::lock_guard<std::mutex> guard(mu_);
    families.reserve(families_.size());
    for (const auto& entry : families_)
      families.push_back(entry.second.get());
  }
  std::string out;
  for (const detail::FamilyBase* family : families)
    family->render(out);
  return out;
}

Registry& default_registry() {
  // Never destroyed: metrics may be touched by objects with static storage during exit.
  static auto* const registry = new Registry();
  return *registry;
}

}  // namespace kube::metrics
