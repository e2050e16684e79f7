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

RolloutEnv::RolloutEnv() : RolloutEnv(Options{}) {}

RolloutEnv::RolloutEnv(Options options) : options_(std::move(options)) {
  url_ = options_.server_url;
  if (url_.empty()) {
    auto started = berth::sim::ApiServer::start({.listen = "127.0.0.1:0"});
    if (!started.ok()) throw std::runtime_error("berth-sim: " + started.error().to_string());
    server_ = std::move(started).value();
    url_ = server_->url();
  }
  client_ = new_client();
  auto crd = client_->create(kube::resources::kCustomResourceDefinitions, rollout_crd());
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
  auto created = client_->create(kube::resources::kNamespaces, *ns);
  if (!created.ok() && !created.error().is_already_exists()) {
    throw std::runtime_error("namespace: " + created.error().to_string());
  }
  if (options_.start_controller) start_controller();
}

RolloutEnv::~RolloutEnv() {
  stop_controller();
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
  auto created = client_->create(type, *doc);
  EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().to_string());
  return created.ok() ? std::move(created).value() : kube::Object();
}

kube::Object RolloutEnv::get(const kube::ResourceType& type, const std::string& name) {
  auto got = client_->get(type, kNamespace, name);
  return got.ok() ? std::move(got).value() : kube::Object();
}

kube::Result<kube::Object> RolloutEnv::merge_patch(const kube::ResourceType& type,
                                                   const std::string& name,
                                                   std::string_view patch) {
  return client_->patch(type, kNamespace, name, kube::PatchType::kMerge, patch);
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
