#include "tests/integration/rollout/serving_watch.h"

#include <climits>

#include "controllers/rollout/names.h"
#include "kube/core/json.h"
#include "sim/cluster/local_client.h"
#include "tests/integration/rollout/rollout_objects.h"

namespace berth::rollout::testing {
namespace json = kube::json;

namespace {

// A Service's selector selects a pod when every pair is among its labels; a Service without a
// selector selects nothing.
bool selects(const json::Value* selector, const kube::Object& pod) {
  if (selector == nullptr || !selector->IsObject() || selector->MemberCount() == 0) return false;
  for (const auto& m : selector->GetObject()) {
    if (!m.value.IsString()) return false;
    auto label = pod.label(json::as_string(m.name));
    if (!label || *label != json::as_string(m.value)) return false;
  }
  return true;
}

}  // namespace

ServingWatch::ServingWatch(berth::sim::SimCluster& cluster, std::string ns, std::string service)
    : namespace_(std::move(ns)), service_(std::move(service)), min_serving_(INT_MAX) {
  berth::sim::ObjectApi& api = cluster.api_server().api();
  berth::sim::LocalClient client(api, {"system:admin", {"system:masters"}, ""});
  pods_ = client.resource("", "v1", "pods");
  services_ = client.resource("", "v1", "services");
  replica_sets_ = client.resource("apps", "v1", "replicasets");
  informer_ = std::make_unique<berth::sim::LocalInformer>(api);
  informer_->add_handler(pods_, [this](const berth::sim::LocalEvent& e) {
    if (e.object.namespace_() == namespace_) evaluate("pod " + std::string(e.object.name()));
  });
  informer_->add_handler(services_, [this](const berth::sim::LocalEvent& e) {
    if (e.object.namespace_() == namespace_ && e.object.name() == service_) evaluate("service");
  });
  informer_->add_handler(replica_sets_, [this](const berth::sim::LocalEvent& e) {
    if (e.object.namespace_() != namespace_) return;
    std::string name(e.object.name());
    int replicas = e.type == berth::sim::EventType::kDeleted
                       ? 0
                       : static_cast<int>(json::get_int(*e.object.spec(), "replicas", 1));
    std::lock_guard lock(mu_);
    std::vector<int>& seen = replicas_[name];
    if (!seen.empty() && seen.back() > 0 && replicas == 0) {
      zeroed_[name] = std::chrono::system_clock::now();
    }
    if (seen.empty() || seen.back() != replicas) seen.push_back(replicas);
  });
  informer_->start();
  evaluate("start");
}

ServingWatch::~ServingWatch() {
  informer_->stop();
}

void ServingWatch::evaluate(const std::string& cause) {
  std::lock_guard eval(eval_mu_);
  kube::Object svc = informer_->get(services_, namespace_ + "/" + service_);
  const json::Value* selector =
      svc && svc.spec() != nullptr ? json::find(*svc.spec(), "selector") : nullptr;
  std::string pin;
  if (selector != nullptr && selector->IsObject()) {
    pin = std::string(json::get_string(*selector, kPodTemplateHashLabel));
  }
  int serving = 0;
  std::map<std::string, int> by_revision;  // ready pods per template hash, selected or not
  for (const kube::Object& pod : informer_->list(pods_)) {
    if (pod.namespace_() != namespace_ || !pod_ready(pod)) continue;
    by_revision[std::string(pod.label(kPodTemplateHashLabel).value_or("-"))]++;
    if (selects(selector, pod)) ++serving;
  }
  std::lock_guard lock(mu_);
  serving_ = serving;
  if (pin != pin_) {
    pin_changes_.push_back({std::chrono::steady_clock::now(), pin_, pin,
                            pin_.empty() ? 0 : by_revision[pin_],
                            pin.empty() ? 0 : by_revision[pin]});
    pin_ = pin;
  }
  if (floor_ < 0) return;
  ++checks_;
  min_serving_ = std::min(min_serving_, serving);
  if (serving >= floor_ || !violation_.empty()) return;
  violation_ = std::to_string(serving) + " pods served by Service " + service_ + " after " + cause +
               " (floor " + std::to_string(floor_) + "); ready pods by revision:";
  for (const auto& [hash, n] : by_revision) {
    violation_ += " " + hash + "=" + std::to_string(n);
  }
  violation_ += "; selector pin " + (pin.empty() ? std::string("none") : pin);
}

int ServingWatch::arm(int floor) {
  {
    std::lock_guard lock(mu_);
    floor_ = floor;
  }
  evaluate("arm");
  return serving();
}

int ServingWatch::serving() const {
  std::lock_guard lock(mu_);
  return serving_;
}

int ServingWatch::min_serving() const {
  std::lock_guard lock(mu_);
  return min_serving_;
}

std::size_t ServingWatch::checks() const {
  std::lock_guard lock(mu_);
  return checks_;
}

std::string ServingWatch::violation() const {
  std::lock_guard lock(mu_);
  return violation_;
}

std::vector<ServingWatch::PinChange> ServingWatch::pin_changes() const {
  std::lock_guard lock(mu_);
  return pin_changes_;
}

std::vector<int> ServingWatch::replica_history(const std::string& replica_set) const {
  std::lock_guard lock(mu_);
  auto it = replicas_.find(replica_set);
  return it == replicas_.end() ? std::vector<int>{} : it->second;
}

std::optional<std::chrono::system_clock::time_point> ServingWatch::scaled_to_zero(
    const std::string& replica_set) const {
  std::lock_guard lock(mu_);
  auto it = zeroed_.find(replica_set);
  if (it == zeroed_.end()) return std::nullopt;
  return it->second;
}

}  // namespace berth::rollout::testing
