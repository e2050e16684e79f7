#include "tests/integration/rollout/rollout_env.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "controllers/rollout/names.h"
#include "kube/core/yaml.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"

namespace berth::rollout::testing {
namespace json = kube::json;

const kube::ResourceType& RolloutEnv::kRollouts_ = kRollouts;

json::Document rollout_crd() {
  std::string text = berth::testing::read_file(std::string(BERTH_SOURCE_DIR) +
                                               "/deploy/crds/rollouts.berth.dev.yaml");
  auto doc = kube::yaml::to_json(text);
  if (!doc.ok()) throw std::runtime_error("CRD YAML: " + doc.error().message);
  return std::move(doc).value();
}

berth::sim::SimClusterOptions fast_cluster(int nodes) {
  using std::chrono::milliseconds;
  berth::sim::SimClusterOptions o;
  o.api.listen = "127.0.0.1:0";
  o.nodes.count = nodes;
  o.nodes.lease_interval = milliseconds(500);
  o.kubelet_options.pod_start_delay = milliseconds(40);
  o.kubelet_options.start_jitter = 0.5;
  o.kubelet_options.pod_stop_delay = milliseconds(20);
  o.kubelet_options.crash_run_time = milliseconds(50);
  o.kubelet_options.crash_loop_backoff = milliseconds(100);
  o.kubelet_options.max_crash_loop_backoff = milliseconds(400);
  o.scheduler_options.queue.initial_backoff = milliseconds(20);
  o.scheduler_options.queue.max_backoff = milliseconds(200);
  o.seed = 17;
  return o;
}

berth::sim::FaultConfig flaky_api() {
  using std::chrono::milliseconds;
  berth::sim::FaultConfig f;
  f.seed = 23;
  f.rules.push_back({.verbs = {"create", "update", "patch", "delete"},
                     .error_rate = 0.05,
                     .code = 429,
                     .retry_after_seconds = 1});
  f.rules.push_back({.error_rate = 0.03, .code = 500});
  f.drop_watches_every = milliseconds(1000);
  f.expire_history_every = milliseconds(2500);
  return f;
}

namespace {

// What fault injection answers with; a real failure of the same code would repeat until the
// retry deadline and fail the test anyway.
bool injected(const kube::Error& e) {
  return e.code == 429 || e.code == 500 || e.code == 503 || e.code == 504;
}

template <typename F>
auto retrying(F&& call) -> decltype(call()) {
  auto result = call();
  berth::testing::wait_for(
      [&] {
        if (result.ok() || !injected(result.error())) return true;
        result = call();
        return result.ok() || !injected(result.error());
      },
      std::chrono::seconds(10), std::chrono::milliseconds(1));
  return result;
}

}  // namespace

RolloutEnv::RolloutEnv() : RolloutEnv(Options{}) {}

RolloutEnv::RolloutEnv(Options options) : options_(std::move(options)) {
  url_ = options_.server_url;
  if (url_.empty() && options_.cluster) {
    auto started = berth::sim::SimCluster::start(*options_.cluster);
    if (!started.ok()) throw std::runtime_error("SimCluster: " + started.error().to_string());
    cluster_ = std::move(started).value();
    url_ = cluster_->url();
  } else if (url_.empty()) {
    auto started = berth::sim::ApiServer::start({.listen = "127.0.0.1:0"});
    if (!started.ok()) throw std::runtime_error("berth-sim: " + started.error().to_string());
    server_ = std::move(started).value();
    url_ = server_->url();
  }
  client_ = new_client();
  auto crd = retrying(
      [&] { return client_->create(kube::resources::kCustomResourceDefinitions, rollout_crd()); });
  if (!crd.ok() && !crd.error().is_already_exists()) {
    throw std::runtime_error("CRD: " + crd.error().to_string());
  }
  bool established = berth::testing::wait_for(
      [&] {
        auto r = client_->list(kRollouts, std::string(kNamespace));
        return r.ok();
      },
      std::chrono::seconds(10));
  if (!established) throw std::runtime_error("Rollout CRD not served");
  auto ns = json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"demo"}})");
  auto created = retrying([&] { return client_->create(kube::resources::kNamespaces, *ns); });
  if (!created.ok() && !created.error().is_already_exists()) {
    throw std::runtime_error("namespace: " + created.error().to_string());
  }
  if (options_.start_controller) start_controller();
}

RolloutEnv::~RolloutEnv() {
  stop_controller();
  client_.reset();
  if (cluster_) cluster_->stop();
}

std::unique_ptr<kube::Client> RolloutEnv::new_client() const {
  kube::Config config;
  config.server = url_;
  kube::ClientOptions options;
  options.qps = 0;
  auto client = kube::Client::create(config, options);
  if (!client.ok()) throw std::runtime_error("client: " + client.error().to_string());
  return std::move(client).value();
}

void RolloutEnv::start_controller() {
  if (manager_thread_.joinable()) return;
  kube::ManagerOptions options;
  options.name = "berth-controller";
  options.config.server = url_;
  options.client.qps = 0;
  options.health_bind_address = "";
  options.cache_sync_timeout = std::chrono::seconds(20);
  options.graceful_shutdown_timeout = std::chrono::seconds(5);
  // Watches are cut every second under fault injection; a relist that fails as well waits
  // out a back-off scaled for tests rather than client-go's 800 ms to 30 s.
  options.watcher.initial_backoff = std::chrono::milliseconds(20);
  options.watcher.max_backoff = std::chrono::milliseconds(500);
  auto manager = kube::Manager::create(std::move(options));
  if (!manager.ok()) throw std::runtime_error("manager: " + manager.error().to_string());
  manager_ = std::move(manager).value();
  add_rollout_controller(*manager_, options_.controller);
  stop_ = kube::CancelSource();
  manager_thread_ = std::thread([this, token = stop_.token()] {
    kube::Status s = manager_->run(token);
    if (!s.ok()) ADD_FAILURE() << "manager stopped: " << s.error().to_string();
  });
}

void RolloutEnv::stop_controller() {
  if (!manager_thread_.joinable()) return;
  stop_.cancel();
  manager_thread_.join();
  manager_.reset();
}

kube::Object RolloutEnv::create(const kube::ResourceType& type, std::string_view json_text) {
  auto doc = json::parse(json_text);
  EXPECT_TRUE(doc.ok()) << json_text;
  if (!doc.ok()) return {};
  json::Value& meta = json::ensure_object(*doc, "metadata", doc->GetAllocator());
  json::set_string(meta, "namespace", kNamespace, doc->GetAllocator());
  auto created = retrying([&] { return client_->create(type, *doc); });
  EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().to_string());
  return created.ok() ? std::move(created).value() : kube::Object();
}

kube::Object RolloutEnv::get(const kube::ResourceType& type, const std::string& name) {
  auto got = retrying([&] { return client_->get(type, kNamespace, name); });
  return got.ok() ? std::move(got).value() : kube::Object();
}

std::vector<kube::Object> RolloutEnv::list(const kube::ResourceType& type,
                                           std::string_view selector) {
  auto listed = retrying(
      [&] { return client_->list(type, kNamespace, {.label_selector = std::string(selector)}); });
  return listed.ok() ? std::move(listed->items) : std::vector<kube::Object>{};
}

std::optional<std::string> RolloutEnv::pinned(const std::string& service) {
  kube::Object s = get(kube::resources::kServices, service);
  const json::Value* pin =
      s ? json::find_path(s.json(), {"spec", "selector", kPodTemplateHashLabel}) : nullptr;
  if (pin == nullptr || !pin->IsString()) return std::nullopt;
  return std::string(json::as_string(*pin));
}

kube::Result<kube::Object> RolloutEnv::merge_patch(const kube::ResourceType& type,
                                                   const std::string& name,
                                                   std::string_view patch) {
  return retrying(
      [&] { return client_->patch(type, kNamespace, name, kube::PatchType::kMerge, patch); });
}

void RolloutEnv::annotate(const std::string& rollout, std::string_view key,
                          std::string_view value) {
  json::Document d;
  d.SetObject();
  json::Value& annotations = json::ensure_object(
      json::ensure_object(d, "metadata", d.GetAllocator()), "annotations", d.GetAllocator());
  json::set_string(annotations, key, value, d.GetAllocator());
  auto r = merge_patch(kRollouts, rollout, json::dump(d));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
}

std::string RolloutEnv::wait_rollout(const std::string& name,
                                     const std::function<bool(const kube::Object&)>& pred,
                                     std::chrono::milliseconds timeout) {
  kube::Object last;
  bool ok = berth::testing::wait_for(
      [&] {
        last = rollout(name);
        return last && pred(last);
      },
      timeout, std::chrono::milliseconds(20));
  if (ok) return {};
  return "rollout " + name + " is " + (last ? last.dump() : std::string("missing"));
}

StatusDriver::StatusDriver(RolloutEnv& env) : client_(env.new_client()) {
  thread_ = std::thread([this] { run(); });
}

StatusDriver::~StatusDriver() {
  stop_ = true;
  thread_.join();
}

void StatusDriver::set_unready(const std::string& image, bool unready) {
  std::lock_guard lock(mu_);
  if (unready) {
    unready_.insert(image);
  } else {
    unready_.erase(image);
  }
}

void StatusDriver::run() {
  while (!stop_) {
    auto rss = client_->list(kube::resources::kReplicaSets, kNamespace,
                             {.label_selector = std::string(kRolloutLabel)});
    if (rss.ok()) {
      for (const kube::Object& rs : rss->items)
        drive(kube::resources::kReplicaSets, rs);
    }
    auto deployments = client_->list(kube::resources::kDeployments, kNamespace);
    if (deployments.ok()) {
      for (const kube::Object& d : deployments->items)
        drive(kube::resources::kDeployments, d);
    }
    // Poll interval of a stand-in controller, not a wait for a result.
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void StatusDriver::drive(const kube::ResourceType& type, const kube::Object& object) {
  const json::Value* containers =
      json::find_path(object.json(), {"spec", "template", "spec", "containers"});
  std::string image;
  if (containers != nullptr && containers->IsArray() && !containers->Empty()) {
    image = std::string(json::get_string((*containers)[0], "image"));
  }
  bool unready;
  {
    std::lock_guard lock(mu_);
    unready = unready_.count(image) != 0;
  }
  std::int64_t replicas = json::get_int(*object.spec(), "replicas", 1);
  std::int64_t ready = unready ? 0 : replicas;
  const json::Value* status = object.status();
  if (status != nullptr && json::get_int(*status, "replicas", -1) == replicas &&
      json::get_int(*status, "readyReplicas", -1) == ready &&
      json::get_int(*status, "availableReplicas", -1) == ready &&
      json::get_int(*status, "observedGeneration", -1) == object.generation()) {
    return;
  }
  json::Document doc = object.copy();
  auto& a = doc.GetAllocator();
  json::Value st(rapidjson::kObjectType);
  json::set(st, "replicas", json::Value(replicas), a);
  json::set(st, "readyReplicas", json::Value(ready), a);
  json::set(st, "availableReplicas", json::Value(ready), a);
  json::set(st, "observedGeneration", json::Value(object.generation()), a);
  json::set(doc, "status", std::move(st), a);
  (void)client_->update_status(type, doc);  // a conflict is retried on the next pass
}

}  // namespace berth::rollout::testing
