#include "tests/integration/simcluster/cluster_env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "kube/core/json.h"
#include "tests/support/wait.h"

namespace berth::sim::testing {

namespace json = kube::json;
using std::chrono::milliseconds;

SimClusterOptions fast_options(int nodes) {
  SimClusterOptions o;
  o.api.listen = "127.0.0.1:0";
  o.nodes.count = nodes;
  o.nodes.lease_interval = milliseconds(200);
  o.kubelet_options.pod_start_delay = milliseconds(50);
  o.kubelet_options.start_jitter = 0.5;
  o.kubelet_options.pod_stop_delay = milliseconds(50);
  o.kubelet_options.crash_loop_backoff = milliseconds(100);
  o.kubelet_options.max_crash_loop_backoff = milliseconds(400);
  o.kubelet_options.crash_run_time = milliseconds(50);
  o.scheduler_options.queue.initial_backoff = milliseconds(50);
  o.scheduler_options.queue.max_backoff = milliseconds(200);
  o.scheduler_options.queue.unschedulable_timeout = std::chrono::seconds(2);
  o.seed = 7;
  return o;
}

ClusterEnv::ClusterEnv(SimClusterOptions options) {
  auto started = SimCluster::start(std::move(options));
  if (!started.ok()) throw std::runtime_error("SimCluster: " + started.error().to_string());
  cluster_ = std::move(started).value();
  kube::ClientOptions o;
  o.qps = 0;
  o.max_retries = 0;
  client_ = new_client(o);
}

ClusterEnv::~ClusterEnv() {
  client_.reset();
  cluster_->stop();
}

std::unique_ptr<kube::Client> ClusterEnv::new_client(kube::ClientOptions options) const {
  kube::Config config;
  config.server = cluster_->url();
  if (options.qps == 5) options.qps = 0;  // the default limiter only slows tests down
  auto client = kube::Client::create(config, options);
  if (!client.ok()) throw std::runtime_error("client: " + client.error().to_string());
  return std::move(client).value();
}

kube::Object ClusterEnv::create(const kube::ResourceType& type, std::string_view json_text) {
  auto doc = json::parse(json_text);
  EXPECT_TRUE(doc.ok()) << json_text;
  if (!doc.ok()) return {};
  auto created = client_->create(type, *doc);
  EXPECT_TRUE(created.ok()) << created.error().to_string();
  return created.ok() ? *created : kube::Object();
}

kube::Object ClusterEnv::get(const kube::ResourceType& type, std::string_view namespace_,
                             std::string_view name) {
  auto got = client_->get(type, namespace_, name);
  if (!got.ok()) {
    EXPECT_TRUE(got.error().is_not_found()) << got.error().to_string();
    return {};
  }
  return *got;
}

std::vector<kube::Object> ClusterEnv::list(const kube::ResourceType& type,
                                           std::string_view namespace_,
                                           std::string_view label_selector) {
  kube::ListOptions o;
  o.label_selector = std::string(label_selector);
  auto listed = client_->list(type, namespace_, o);
  EXPECT_TRUE(listed.ok()) << listed.error().to_string();
  return listed.ok() ? listed->items : std::vector<kube::Object>{};
}

kube::Object ClusterEnv::merge_patch(const kube::ResourceType& type, std::string_view namespace_,
                                     std::string_view name, std::string_view patch,
                                     std::string_view subresource, kube::PatchType patch_type) {
  kube::PatchOptions o;
  o.subresource = std::string(subresource);
  auto patched = client_->patch(type, namespace_, name, patch_type, patch, o);
  EXPECT_TRUE(patched.ok()) << patched.error().to_string();
  return patched.ok() ? *patched : kube::Object();
}

kube::Object ClusterEnv::wait_for(const kube::ResourceType& type, std::string_view namespace_,
                                  std::string_view name,
                                  const std::function<bool(const kube::Object&)>& pred, bool* ok,
                                  milliseconds timeout) {
  kube::Object last;
  *ok = berth::testing::wait_for(
      [&] {
        auto got = client_->get(type, namespace_, name);
        if (!got.ok()) return false;
        last = *got;
        return pred(last);
      },
      timeout, milliseconds(10));
  return last;
}

kube::http::Response ClusterEnv::http(std::string_view method, std::string_view path,
                                      std::string_view body, std::string_view content_type) {
  kube::http::Headers headers;
  if (!body.empty()) headers.add("Content-Type", std::string(content_type));
  auto r =
      http_.request(method, url() + std::string(path), headers, body, std::chrono::seconds(20));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? *r : kube::http::Response{};
}

PodWatch::PodWatch(kube::Client& client, std::string namespace_, std::string label_selector,
                   Invariant invariant)
    : invariant_(std::move(invariant)) {
  kube::WatcherOptions o;
  o.type = kube::resources::kPods;
  o.namespace_ = std::move(namespace_);
  o.label_selector = std::move(label_selector);
  o.initial_backoff = milliseconds(20);
  o.max_backoff = milliseconds(200);
  watcher_ =
      std::make_unique<kube::Watcher>(client, o, [this](const kube::WatcherEvent& e) { apply(e); });
  watcher_->start();
}

PodWatch::~PodWatch() {
  watcher_->stop();
}

void PodWatch::apply(const kube::WatcherEvent& e) {
  std::lock_guard<std::mutex> lock(mu_);
  using T = kube::WatcherEvent::Type;
  switch (e.type) {
    case T::kInitStart:
      building_.clear();
      return;
    case T::kInitObject:
      building_[std::string(e.object.name())] = e.object;
      return;
    case T::kInitDone:
      pods_.swap(building_);
      building_.clear();
      break;
    case T::kAdded:
    case T::kModified:
      pods_[std::string(e.object.name())] = e.object;
      break;
    case T::kDeleted:
      pods_.erase(std::string(e.object.name()));
      break;
    case T::kBookmark:
      return;
  }
  ++events_;
  for (const auto& [name, pod] : pods_)
    seen_[name] = true;
  if (violation_.empty() && invariant_) {
    std::string v = invariant_(pods_);
    if (!v.empty()) violation_ = v;
  }
}

PodWatch::Pods PodWatch::pods() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pods_;
}

std::string PodWatch::first_violation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return violation_;
}

std::size_t PodWatch::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

std::size_t PodWatch::distinct_pods() const {
  std::lock_guard<std::mutex> lock(mu_);
  return seen_.size();
}

namespace {

void compare_keys(const json::Value& expected, const json::Value& actual, const std::string& path,
                  const std::vector<std::string>& ignore) {
  if (expected.IsObject()) {
    ASSERT_TRUE(actual.IsObject()) << path << " is not an object";
    for (const auto& m : expected.GetObject()) {
      std::string key(json::as_string(m.name));
      if (std::find(ignore.begin(), ignore.end(), key) != ignore.end()) continue;
      const json::Value* other = json::find(actual, key);
      EXPECT_NE(other, nullptr) << path << "." << key << " is missing";
      if (other != nullptr) compare_keys(m.value, *other, path + "." + key, ignore);
    }
    for (const auto& m : actual.GetObject()) {
      std::string key(json::as_string(m.name));
      if (std::find(ignore.begin(), ignore.end(), key) != ignore.end()) continue;
      EXPECT_NE(json::find(expected, key), nullptr) << path << "." << key << " is extra";
    }
    return;
  }
  if (expected.IsArray()) {
    ASSERT_TRUE(actual.IsArray()) << path << " is not an array";
    rapidjson::SizeType n = std::min(expected.Size(), actual.Size());
    for (rapidjson::SizeType i = 0; i < n; ++i)
      compare_keys(expected[i], actual[i], path + "[" + std::to_string(i) + "]", ignore);
    return;
  }
  EXPECT_EQ(expected.GetType() == rapidjson::kTrueType ? rapidjson::kFalseType : expected.GetType(),
            actual.GetType() == rapidjson::kTrueType ? rapidjson::kFalseType : actual.GetType())
      << path << " has another JSON type";
}

}  // namespace

void expect_same_keys(const json::Value& expected, const json::Value& actual,
                      const std::vector<std::string>& ignore) {
  compare_keys(expected, actual, "$", ignore);
}

bool pod_ready(const kube::Object& pod) {
  const json::Value* conditions = json::find_path(pod.json(), {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return false;
  for (const auto& c : conditions->GetArray()) {
    if (json::get_string(c, "type") == "Ready") return json::get_string(c, "status") == "True";
  }
  return false;
}

std::string pod_phase(const kube::Object& pod) {
  const json::Value* status = pod.status();
  return status != nullptr ? std::string(json::get_string(*status, "phase")) : std::string();
}

std::string pod_scheduled(const kube::Object& pod, std::string_view field) {
  const json::Value* conditions = json::find_path(pod.json(), {"status", "conditions"});
  if (conditions == nullptr || !conditions->IsArray()) return "";
  for (const auto& c : conditions->GetArray()) {
    if (json::get_string(c, "type") == "PodScheduled")
      return std::string(json::get_string(c, field));
  }
  return "";
}

}  // namespace berth::sim::testing
