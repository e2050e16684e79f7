#include "tests/integration/runtime/sim_fixture.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "kube/core/strings.h"

namespace berth::testing {

RuntimeSim::RuntimeSim(sim::ApiServerOptions options) {
  if (options.listen.empty()) options.listen = "127.0.0.1:0";
  auto started = sim::ApiServer::start(std::move(options));
  if (!started.ok()) throw std::runtime_error("berth-sim: " + started.error().to_string());
  server_ = std::move(started).value();
  client_ = client();
}

std::uint16_t RuntimeSim::port() const {
  std::string u = server_->url();
  return static_cast<std::uint16_t>(kube::parse_int(u.substr(u.rfind(':') + 1)).value_or(0));
}

std::unique_ptr<kube::Client> RuntimeSim::client(const std::string& url) const {
  kube::Config config;
  config.server = url.empty() ? server_->url() : url;
  kube::ClientOptions options;
  options.qps = 0;
  auto client = kube::Client::create(config, options);
  if (!client.ok()) throw std::runtime_error("client: " + client.error().to_string());
  return std::move(client).value();
}

void RuntimeSim::create_namespaces(const std::vector<std::string>& names) {
  for (const std::string& ns : names) {
    auto doc = kube::json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" +
                                 ns + R"("}})");
    auto created = client_->create(kube::resources::kNamespaces, *doc);
    ASSERT_TRUE(created.ok()) << created.error().to_string();
  }
}

std::map<std::string, std::string> RuntimeSim::state(const kube::ResourceType& type) {
  std::map<std::string, std::string> out;
  auto list = client_->list_all(type, "");
  EXPECT_TRUE(list.ok()) << list.error().to_string();
  if (!list.ok()) return out;
  for (const kube::Object& o : list->items)
    out[o.key()] = std::string(o.resource_version());
  return out;
}

}  // namespace berth::testing
