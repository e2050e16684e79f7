#include "tests/integration/webhooks/webhooks_sim.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "kube/api/resource.h"
#include "kube/core/strings.h"

namespace berth::webhooks::testing {

namespace json = kube::json;

namespace {

std::string webhook(const std::string& name, const std::string& path, bool mutating) {
  return R"({"name":")" + name +
         R"(","clientConfig":{"service":{"name":"berth-webhooks","namespace":"berth-system",)"
         R"("path":")" +
         path +
         R"("}},"rules":[{"operations":["CREATE","UPDATE"],"apiGroups":[""],)"
         R"("apiVersions":["v1"],"resources":["pods"]}],"sideEffects":"None",)"
         R"("timeoutSeconds":5,"failurePolicy":"Fail","admissionReviewVersions":["v1"])" +
         (mutating ? R"(,"reinvocationPolicy":"IfNeeded")" : "") + "}";
}

}  // namespace

WebhooksSim::WebhooksSim() {
  auto started = berth::sim::ApiServer::start({.listen = "127.0.0.1:0"});
  if (!started.ok()) throw std::runtime_error("berth-sim: " + started.error().to_string());
  sim_ = std::move(started).value();
  config_.server = sim_->url();
  config_.bearer_token = "berth-sim";
  client_ = new_client();
  auto ns =
      json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"berth-system"}})");
  auto created = client_->create(kube::resources::kNamespaces, *ns);
  if (!created.ok()) throw std::runtime_error("namespace: " + created.error().to_string());
  create_configurations("berth-webhooks");
}

WebhooksSim::~WebhooksSim() {
  client_.reset();
  sim_->stop();
}

std::unique_ptr<kube::Client> WebhooksSim::new_client() const {
  auto client = kube::Client::create(config_, {.qps = 0});
  if (!client.ok()) throw std::runtime_error("client: " + client.error().to_string());
  return std::move(client).value();
}

std::string WebhooksSim::kubeconfig() const {
  return sim_->kubeconfig(sim_->url());
}

void WebhooksSim::create_configurations(const std::string& name) {
  auto mutating = json::parse(
      R"({"apiVersion":"admissionregistration.k8s.io/v1","kind":"MutatingWebhookConfiguration",)"
      R"("metadata":{"name":")" +
      name + R"(","labels":{"app":"berth"}},"webhooks":[)" +
      webhook("mutate-pods.berth.dev", "/mutate/pods", true) + "," +
      webhook("mutate-pods-2.berth.dev", "/mutate/pods", true) + "]}");
  auto validating = json::parse(
      R"({"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingWebhookConfiguration",)"
      R"("metadata":{"name":")" +
      name + R"("},"webhooks":[)" + webhook("validate-pods.berth.dev", "/validate/pods", false) +
      "]}");
  for (auto [type, doc] :
       {std::pair{&kube::resources::kMutatingWebhookConfigurations, &mutating},
        std::pair{&kube::resources::kValidatingWebhookConfigurations, &validating}}) {
    if (!doc->ok()) throw std::runtime_error("bad configuration JSON");
    auto created = client_->create(*type, **doc);
    if (!created.ok()) throw std::runtime_error("configuration: " + created.error().to_string());
  }
}

kube::Object WebhooksSim::get(const kube::ResourceType& type, const std::string& ns,
                              const std::string& name) {
  auto got = client_->get(type, ns, name);
  return got.ok() ? *got : kube::Object();
}

std::vector<std::string> WebhooksSim::ca_bundles(const kube::ResourceType& type,
                                                 const std::string& name) {
  std::vector<std::string> out;
  kube::Object config = get(type, "", name);
  if (!config) return out;
  const json::Value* webhooks = json::find(config.json(), "webhooks");
  if (webhooks == nullptr || !webhooks->IsArray()) return out;
  for (const auto& w : webhooks->GetArray()) {
    const json::Value* cc = json::find(w, "clientConfig");
    out.push_back(
        cc == nullptr
            ? std::string()
            : kube::base64_decode(json::get_string(*cc, "caBundle")).value_or("<not base64>"));
  }
  return out;
}

}  // namespace berth::webhooks::testing
