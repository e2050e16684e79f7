// An in-process berth-sim with what berth-webhooks expects to find: namespace berth-system, a
// MutatingWebhookConfiguration (two webhooks) and a ValidatingWebhookConfiguration (one), both
// called berth-webhooks, and a kube::Client for it.
#pragma once

#include <memory>
#include <string>

#include "kube/client/client.h"
#include "kube/core/json.h"
#include "sim/apiserver/api_server.h"

namespace berth::webhooks::testing {

class WebhooksSim {
 public:
  WebhooksSim();
  ~WebhooksSim();

  kube::Client& client() { return *client_; }
  // A second client, as another replica would have.
  std::unique_ptr<kube::Client> new_client() const;

  // A kubeconfig (YAML) that reaches the sim, for processes.
  std::string kubeconfig() const;

  // POSTs the configurations again under another name (for tests that need several).
  void create_configurations(const std::string& name);
  // The Object, or a null one when absent.
  kube::Object get(const kube::ResourceType& type, const std::string& ns, const std::string& name);
  // Every caBundle of a configuration, decoded ("" for an entry without one).
  std::vector<std::string> ca_bundles(const kube::ResourceType& type, const std::string& name);

 private:
  std::unique_ptr<berth::sim::ApiServer> sim_;
  kube::Config config_;
  std::unique_ptr<kube::Client> client_;
};

}  // namespace berth::webhooks::testing
