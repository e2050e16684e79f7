#include "kube/metrics/family.h"

#include <algorithm>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "kube/metrics/text_format.h"

namespace kube::metrics {

std::string_view type_name(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

namespace detail {

FamilyBase::FamilyBase(MetricType type, std::string name, std::string help,
                       std::vector<std::string> label_names)
    : type_(type),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)) {}

void FamilyBase::check_arity(std::size_t values) const {
  if (values != label_names_.size()) {
    throw std::invalid_argument("metric " + name_ + " takes " +
                                std::to_string(label_names_.size()) + " label values, got " +
                                std::to_string(values));
  }
}

void FamilyBase::render(std::string& out) const {
  std::lock_guard<std::mutex> guard(mu_);
  if (empty_locked() && functions_.empty()) return;
  if (!help_.empty()) {
    out += "# HELP ";
    out += name_;
    out += ' ';
    append_escaped_help(out, help_);
    out += '\n';
  }
  out += "# TYPE ";
  out += name_;
  out += ' ';
  out += type_name(type_);
  out += '\n';
  render_samples_locked(out);
}

void FamilyBase::remove_function(std::uint64_t id) {
  std::lock_guard<std::mutex> guard(mu_);
  auto it = std::find_if(functions_.begin(), functions_.end(),
                         [id](const auto& entry) { return entry.second.id == id; });
  if (it != functions_.end()) functions_.erase(it);
}

}  // namespace detail

Registration::Registration(Registration&& other) noexcept
    : family_(std::exchange(other.family_, nullptr)), id_(other.id_) {}

Registration& Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    reset();
    family_ = std::exchange(other.family_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

void Registration::reset() {
  if (family_ != nullptr) std::exchange(family_, nullptr)->remove_function(id_);
}

namespace {

template <typename Metric>
constexpr MetricType type_of() {
  if constexpr (std::is_same_v<Metric, Counter>) return MetricType::kCounter;
  if constexpr (std::is_same_v<Metric, Gauge>) return MetricType::kGauge;
  return MetricType::kHistogram;
}

}  // namespace

template <typename Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> buckets)
    : FamilyBase(type_of<Metric>(), std::move(name), std::move(help), std::move(label_names)),
      buckets_(std::is_same_v<Metric, Histogram> ? checked_buckets(buckets)
                                                 : std::vector<double>{}) {}

template <typename Metric>
template <typename Values>
Metric& Family<Metric>::child(const Values& values) {
  check_arity(values.size());
  std::lock_guard<std::mutex> guard(mu_);
  auto it = children_.find(values);
  if (it != children_.end()) return *it->second;
  if (functions_.find(values) != functions_.end()) {
    throw std::invalid_argument("metric " + name() + ": label set is already bound to a function");
  }
  std::unique_ptr<Metric> metric;
  if constexpr (std::is_same_v<Metric, Histogram>) {
    metric = std::make_unique<Histogram>(buckets_);
  } else {
    metric = std::make_unique<Metric>();
  }
  Metric& ref = *metric;
  children_.emplace(std::vector<std::string>(values.begin(), values.end()), std::move(metric));
  return ref;
}

template <typename Metric>
Metric& Family<Metric>::with_labels(std::initializer_list<std::string_view> values) {
  return child(std::span<const std::string_view>(values.begin(), values.size()));
}

template <typename Metric>
Metric& Family<Metric>::with_labels(std::span<const std::string> values) {
  return child(values);
}

template <typename Metric>
Registration Family<Metric>::add_function(std::span<const std::string> values,
                                          std::function<double()> fn) {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    throw std::invalid_argument("metric " + name() + ": histograms cannot be functions");
  }
  check_arity(values.size());
  std::lock_guard<std::mutex> guard(mu_);
  if (children_.find(values) != children_.end() || functions_.find(values) != functions_.end()) {
    throw std::invalid_argument("metric " + name() + ": label set is already registered");
  }
  std::uint64_t id = next_function_id_++;
  functions_.emplace(std::vector<std::string>(values.begin(), values.end()),
                     Function{id, std::move(fn)});
  return Registration(this, id);
}

template <typename Metric>
bool Family<Metric>::empty_locked() const {
  return children_.empty();
}

template <typename Metric>
void Family<Metric>::render_samples_locked(std::string& out) const {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    std::string bucket_name = name() + "_bucket";
    std::string sum_name = name() + "_sum";
    std::string count_name = name() + "_count";
    std::vector<std::string> bounds;
    bounds.reserve(buckets_.size() + 1);
    for (double b : buckets_)
      bounds.push_back(format_value(b));
    bounds.emplace_back("+Inf");
    for (const auto& [values, histogram] : children_) {
      Histogram::Snapshot s = histogram->snapshot();
      for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
        append_sample(out, bucket_name, label_names(), values, "le", bounds[i],
                      static_cast<double>(s.cumulative[i]));
      }
      append_sample(out, sum_name, label_names(), values, {}, {}, s.sum);
      append_sample(out, count_name, label_names(), values, {}, {}, static_cast<double>(s.count));
    }
  } else {
    // Both maps are sorted and their label sets disjoint: merge them in order.
    auto c = children_.begin();
    auto f = functions_.begin();
    while (c != children_.end() || f != functions_.end()) {
      bool take_child = f == functions_.end() ||
                        (c != children_.end() && detail::LabelsLess()(c->first, f->first));
      if (take_child) {
        append_sample(out, name(), label_names(), c->first, {}, {}, c->second->value());
        ++c;
      } else {
        append_sample(out, name(), label_names(), f->first, {}, {}, f->second.fn());
        ++f;
      }
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

}  // namespace kube::metrics
