// Objects as kube-apiserver returns them (defaults, admission, status, generation), rebuilt by
// replaying the captured requests.
#include <gtest/gtest.h>

#include "tests/integration/sim/scenario.h"
#include "tests/integration/sim/world.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;

class ObjectFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!berth::testing::fixtures_dir()) GTEST_SKIP() << "fixtures not present";
  }
  Sim sim;
};

TEST_F(ObjectFixtures, NamespaceAndWhatControllersAddToIt) {
  run_steps(sim, {{"objects/namespace-create"},
                  {"objects/namespace-get"},
                  {"objects/serviceaccount-default"},
                  {"objects/configmap-kube-root-ca.crt"}});
}

TEST_F(ObjectFixtures, ConfigMapSecretAndServices) {
  sim.create_namespace("fx-objects");
  run_steps(sim, {{"objects/configmap-create"},
                  {"objects/secret-create"},
                  {"objects/service-create-clusterip"},
                  {"objects/service-create-nodeport"},
                  {"objects/service-create-headless"}});
  Reply svc = sim.get("/api/v1/namespaces/fx-objects/services/web");
  std::string ip = svc.str({"spec", "clusterIP"});
  EXPECT_TRUE(ip.starts_with("10.0.0.")) << ip;
  EXPECT_NE(ip, "10.0.0.1");
}

TEST_F(ObjectFixtures, PodDefaultsBindingAndStatus) {
  sim.create_namespace("fx-objects");
  run_steps(sim, {{"objects/pod-create-minimal"},
                  {"objects/pod-create-manual-scheduler"},
                  {"objects/pod-binding-create"},
                  {"objects/pod-after-binding"},
                  {"objects/pod-after-status-patch"}});
}

TEST_F(ObjectFixtures, GracefulThenForcedPodDeletion) {
  sim.create_namespace("fx-watch");
  create_bound_pod(sim, "fx-watch", "lp", R"({"app":"lp"})");
  // The status the capture wrote the way a kubelet would.
  auto graceful = fixture_body("objects", "pod-delete-graceful-response");
  ASSERT_TRUE(graceful);
  Reply patched = sim.patch("/api/v1/namespaces/fx-watch/pods/lp/status", kubelet_status(*graceful),
                            "application/strategic-merge-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  run_steps(sim, {{"objects/pod-delete-graceful-response"}, {"objects/pod-delete-force-response"}});
  EXPECT_EQ(sim.get("/api/v1/namespaces/fx-watch/pods/lp").status, 404);
}

TEST_F(ObjectFixtures, EvictionAllowedWhenNoBudgetBlocks) {
  sim.create_namespace("fx-objects");
  create_bound_pod(sim, "fx-objects", "web-595b59c9b5-b8mmm", R"({"app":"web"})", "nginx");
  set_pod_phase(sim, "fx-objects", "web-595b59c9b5-b8mmm", "Running");
  run_steps(sim, {{"objects/pod-eviction-allowed"}});
  Reply pod = sim.get("/api/v1/namespaces/fx-objects/pods/web-595b59c9b5-b8mmm");
  ASSERT_EQ(pod.status, 200);
  EXPECT_FALSE(pod.str({"metadata", "deletionTimestamp"}).empty())
      << "evicted pods are deleted gracefully";
}

TEST_F(ObjectFixtures, WorkloadsStorageAndPolicy) {
  sim.create_namespace("fx-objects");
  run_steps(sim, {{"objects/deployment-create"},
                  {"objects/storageclass-create"},
                  {"objects/pv-create"},
                  {"objects/pvc-create"},
                  {"objects/pdb-create"},
                  {"objects/mutatingwebhookconfiguration-create-defaults"},
                  {"objects/validatingwebhookconfiguration-create-defaults"},
                  {"objects/lease-leader-election-create"},
                  {"objects/lease-leader-election-renew-put"},
                  {"objects/event-core-v1-create"},
                  {"objects/event-events.k8s.io-v1-create"}});
}

TEST_F(ObjectFixtures, PriorityClassesAndPriorityAdmission) {
  sim.create_namespace("fx-sched");
  run_steps(sim, {{"objects/priorityclass-create"},
                  {"objects/pod-create-with-priorityclass"},
                  {"objects/priorityclass-system-cluster-critical"}});
}

TEST_F(ObjectFixtures, CustomResourceLifecycle) {
  sim.create_namespace("fx-objects");
  run_steps(sim, {{"objects/crd-create"}});
  ASSERT_TRUE(sim.settle());
  // kube/patch's field table tracks CRD status.conditions as one atomic list, where the
  // apiserver keys them by type: the kube-apiserver managedFields entry differs there.
  auto established = [](const Reply& reply, const json::Value& expected) {
    expect_same_shape(expected, reply.doc(), {"fieldsV1"});
  };
  run_steps(sim, {{"objects/crd-established", nullptr, established},
                  {"objects/cr-create-status-dropped"},
                  {"objects/cr-update-spec-generation2"},
                  {"objects/cr-update-status-subresource"},
                  {"objects/cr-patch-labels-generation-unchanged"},
                  {"objects/cr-patch-status-merge"},
                  {"objects/cr-scale-get"},
                  {"objects/cr-list"}});
}

TEST_F(ObjectFixtures, NamespaceDeletionAnswersWithTheTerminatingNamespace) {
  sim.create_namespace("fx-terminating");
  run_steps(sim, {{"objects/namespace-delete-response"}});
  // Emptied and finalized by the namespace controller.
  EXPECT_TRUE(berth::testing::wait_for(
      [&] { return sim.get("/api/v1/namespaces/fx-terminating").status == 404; }));
}

}  // namespace
}  // namespace berth::sim::testing
