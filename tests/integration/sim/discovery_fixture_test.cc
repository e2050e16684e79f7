// Discovery documents: what kubectl reads to find resources.
#include <gtest/gtest.h>

#include "tests/integration/sim/scenario.h"
#include "tests/integration/sim/world.h"
#include "tests/support/fixtures.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;

class DiscoveryFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!berth::testing::fixtures_dir()) GTEST_SKIP() << "fixtures not present";
  }
  Sim sim;
};

TEST_F(DiscoveryFixtures, GroupVersionDocumentsMatchExactly) {
  for (const char* name : {"api-v1", "apis-apps-v1", "apis-admissionregistration.k8s.io-v1",
                           "apis-apiextensions.k8s.io-v1", "apis-batch-v1",
                           "apis-coordination.k8s.io-v1", "apis-events.k8s.io-v1", "apis-policy-v1",
                           "apis-rbac.authorization.k8s.io-v1", "apis-scheduling.k8s.io-v1",
                           "apis-storage.k8s.io-v1", "apis-apps-group", "api", "version"}) {
    SCOPED_TRACE(name);
    auto request = load_request("discovery", name);
    Reply reply = replay(sim, *request);
    ASSERT_EQ(reply.status, 200) << reply.body;
    auto expected = fixture_body("discovery", name);
    json::Document e = json::copy(*expected);
    json::Document a = json::copy(reply.doc());
    // Where the apiserver listens and when it was built differ.
    for (json::Document* d : {&e, &a}) {
      json::remove(*d, "serverAddressByClientCIDRs");
      for (const char* k : {"buildDate", "gitTreeState", "goVersion"})
        json::remove(*d, k);
    }
    expect_same_shape(e, a);
  }
}

TEST_F(DiscoveryFixtures, GroupListHasEveryGroupAndCrdGroupsAppear) {
  auto expected = fixture_body("discovery", "apis");
  Reply reply = sim.get("/apis");
  ASSERT_EQ(reply.status, 200);
  expect_same_shape(*expected, reply.doc());
  run_steps(sim, {{"discovery/apis-kubectl-1.32-accept"}});
  sim.must_create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widget_crd());
  run_steps(
      sim, {{"discovery/apis-fx.example.com-v1-crd"}, {"discovery/apis-fx.example.com-crd-group"}});
}

TEST_F(DiscoveryFixtures, UnservedGroupsAndAggregatedDiscovery) {
  auto absent = load_request("discovery", "apis-snapshot.storage.k8s.io-v1-absent");
  Reply reply = replay(sim, *absent);
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(
      reply.body,
      berth::testing::read_fixture("discovery/apis-snapshot.storage.k8s.io-v1-absent.txt").value());
  for (const char* name : {"apis-aggregated-v2beta1-request", "api-aggregated-v2beta1-request"}) {
    auto request = load_request("discovery", name);
    Reply r = replay(sim, *request);
    EXPECT_EQ(r.status, 406);
    expect_same_shape(*fixture_body("discovery", name), r.doc());
  }
  for (const char* name : {"healthz", "livez", "readyz"}) {
    Reply r = replay(sim, *load_request("discovery", name));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body,
              berth::testing::read_fixture(std::string("discovery/") + name + ".txt").value());
  }
}

}  // namespace
}  // namespace berth::sim::testing
