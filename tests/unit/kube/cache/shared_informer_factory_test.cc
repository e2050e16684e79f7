#include "kube/cache/shared_informer_factory.h"

#include <gtest/gtest.h>

#include "kube/metrics/text_format.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/client/fake_apiserver.h"

namespace kube {
namespace {

using berth::testing::FakeApiserver;
using berth::testing::wait_for;

std::string configmap(const std::string& ns, const std::string& name) {
  return R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":")" + name +
         R"(","namespace":")" + ns + R"(","managedFields":[{"manager":"x"}]}})";
}

class SharedInformerFactoryTest : public ::testing::Test {
 protected:
  SharedInformerFactoryTest() {
    Config config;
    config.server = server_.url();
    ClientOptions options;
    options.qps = 0;
    client_ = Client::create(config, options).value();
  }
  FakeApiserver server_;
  std::unique_ptr<Client> client_;
};

TEST_F(SharedInformerFactoryTest, SameResourceAndScopeShareOneInformerAndOneWatch) {
  server_.upsert("/api/v1/configmaps", configmap("a", "one"));
  server_.upsert("/api/v1/configmaps", configmap("b", "two"));
  metrics::Registry registry;
  SharedInformerFactory factory(*client_, {.metrics = &registry});
  Informer& first = factory.informer(resources::kConfigMaps);
  Informer& second = factory.informer(resources::kConfigMaps);
  Informer& scoped = factory.informer(resources::kConfigMaps, {.namespace_ = "a"});
  EXPECT_EQ(&first, &second);
  EXPECT_NE(&first, &scoped);
  EXPECT_EQ(first.name(), "configmaps");
  EXPECT_EQ(scoped.name(), "configmaps/a");
  EXPECT_EQ(factory.informers().size(), 2u);

  factory.start();
  EXPECT_EQ(factory.wait_for_cache_sync(std::chrono::seconds(20)), std::vector<std::string>{});
  EXPECT_TRUE(factory.has_synced());
  EXPECT_EQ(first.store().size(), 2u);
  EXPECT_EQ(scoped.store().size(), 1u);
  // The default transform stripped managedFields.
  EXPECT_EQ(json::find(*first.store().get("a/one").metadata(), "managedFields"), nullptr);
  ASSERT_TRUE(wait_for([&] { return server_.open_watches() == 2; }));
  EXPECT_EQ(server_.count("GET", "/api/v1/configmaps?", true), 1u);
  EXPECT_EQ(server_.count("GET", "/api/v1/namespaces/a/configmaps?", true), 1u);

  // An informer requested after start() starts at once.
  Informer& late = factory.informer(resources::kConfigMaps, {.namespace_ = "b"});
  EXPECT_TRUE(late.wait_for_sync(std::chrono::seconds(20)));
  EXPECT_EQ(late.store().size(), 1u);

  std::string text = registry.render();
  EXPECT_NE(text.find("berth_informer_objects{informer=\"configmaps\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("berth_informer_synced{informer=\"configmaps/a\"} 1"), std::string::npos);
  EXPECT_NE(text.find("berth_watch_lists_total{informer=\"configmaps\"} 1"), std::string::npos);
  EXPECT_NE(text.find("berth_watch_relists_total{informer=\"configmaps\"} 0"), std::string::npos);
  factory.stop();
  EXPECT_TRUE(wait_for([&] { return server_.open_watches() == 0; }));
}

TEST_F(SharedInformerFactoryTest, WaitForCacheSyncReportsInformersThatDidNotSync) {
  server_.fail_next("GET", "/api/v1/secrets", http::Response::json(403, R"({"kind":"Status",
      "apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403})"),
                    1000);
  SharedInformerFactory factory(*client_);
  factory.informer(resources::kConfigMaps);
  factory.informer(resources::kSecrets);
  factory.start();
  auto unsynced = factory.wait_for_cache_sync(std::chrono::milliseconds(300));
  EXPECT_EQ(unsynced, std::vector<std::string>{"secrets"});
  EXPECT_FALSE(factory.has_synced());
}

TEST_F(SharedInformerFactoryTest, PerResourceTransform) {
  SharedInformerFactory factory(*client_);
  EXPECT_TRUE(factory.set_transform(resources::kConfigMaps, nullptr));
  server_.upsert("/api/v1/configmaps", configmap("a", "one"));
  Informer& informer = factory.informer(resources::kConfigMaps);
  EXPECT_FALSE(factory.set_transform(resources::kConfigMaps, strip_bulk));
  factory.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(20)));
  EXPECT_NE(json::find(*informer.store().get("a/one").metadata(), "managedFields"), nullptr);
}

}  // namespace
}  // namespace kube
