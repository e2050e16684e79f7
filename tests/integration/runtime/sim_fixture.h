// An in-process berth-sim and kube::Clients for the runtime's integration tests.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "kube/client/client.h"
#include "sim/apiserver/api_server.h"

namespace berth::testing {

class RuntimeSim {
 public:
  explicit RuntimeSim(sim::ApiServerOptions options = {});
  sim::ApiServer& server() { return *server_; }
  std::string url() const { return server_->url(); }
  std::uint16_t port() const;
  // A client for `url` (the sim's by default), without client-side rate limiting.
  std::unique_ptr<kube::Client> client(const std::string& url = "") const;
  // Creates the namespaces (fails the test on error).
  void create_namespaces(const std::vector<std::string>& names);
  // "namespace/name" -> resourceVersion of every object of `type`, read from the apiserver.
  std::map<std::string, std::string> state(const kube::ResourceType& type);

 private:
  std::unique_ptr<sim::ApiServer> server_;
  std::unique_ptr<kube::Client> client_;
};

}  // namespace berth::testing
