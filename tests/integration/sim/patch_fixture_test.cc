// PATCH in every format the apiserver accepts, replayed in the order of the capture.
#include <gtest/gtest.h>

#include "tests/integration/sim/scenario.h"
#include "tests/integration/sim/world.h"
#include "tests/support/fixtures.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;

class PatchFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!berth::testing::fixtures_dir()) GTEST_SKIP() << "fixtures not present";
    sim.create_namespace("fx-patch");
  }
  Sim sim;
};

TEST_F(PatchFixtures, ConfigMapMergeJsonAndStrategic) {
  run_steps(sim, {{"patch/merge-patch-configmap-00-before"},
                  {"patch/merge-patch-configmap-01-result"},
                  {"patch/json-patch-configmap-result"},
                  {"patch/json-patch-configmap-escaped-key"},
                  {"patch/strategic-merge-patch-configmap-patch-replace-map"},
                  {"patch/merge-patch-dryrun-all"},
                  {"patch/merge-patch-dryrun-all-after-get"}});
}

// The capture's deployment controller wrote a revision annotation and status between the
// patches; berth-sim's controllers are not part of this test.
void without_controller_fields(const Reply& reply, const json::Value& expected) {
  json::Document e = json::copy(expected);
  json::Value* meta = json::find(e, "metadata");
  if (json::Value* entries = json::find(*meta, "managedFields")) {
    for (auto it = entries->Begin(); it != entries->End();) {
      it = json::get_string(*it, "manager") == "kube-controller-manager" ? entries->Erase(it)
                                                                         : it + 1;
    }
  }
  std::vector<std::string> ignored = kIgnored;
  ignored.emplace_back("annotations");
  ignored.emplace_back("status");
  expect_same_shape(e, reply.doc(), ignored);
}

TEST_F(PatchFixtures, DeploymentStrategicMergeSequence) {
  const auto check = without_controller_fields;
  run_steps(sim, {{"patch/smp-deployment-00-before-create"},
                  {"patch/smp-deployment-01-change-one-container-image", nullptr, check},
                  {"patch/smp-deployment-02-env-merge-by-name", nullptr, check},
                  {"patch/smp-deployment-03-patch-delete-env-entry", nullptr, check},
                  {"patch/smp-deployment-04-patch-delete-container", nullptr, check},
                  {"patch/smp-deployment-05-setElementOrder-readd", nullptr, check},
                  {"patch/merge-patch-deployment-replaces-list", nullptr, check}});
  Reply before = sim.get("/apis/apps/v1/namespaces/fx-patch/deployments/two");
  run_steps(sim, {{"patch/smp-deployment-06-noop-same-image", nullptr, check}});
  Reply after = sim.get("/apis/apps/v1/namespaces/fx-patch/deployments/two");
  EXPECT_EQ(after.str({"metadata", "resourceVersion"}), before.str({"metadata", "resourceVersion"}))
      << "a no-op patch writes nothing";
  // The capture had added two finalizers before removing one of them.
  Reply fin = sim.patch("/apis/apps/v1/namespaces/fx-patch/deployments/two",
                        R"({"metadata":{"finalizers":["fx.example.com/a","fx.example.com/b"]}})");
  ASSERT_EQ(fin.status, 200) << fin.body;
  run_steps(sim, {{"patch/smp-deployment-07-deleteFromPrimitiveList-finalizers", nullptr, check}});
}

TEST_F(PatchFixtures, ServerSideApply) {
  run_steps(sim, {{"patch/apply-01-create-via-apply"},
                  {"patch/apply-02-same-manager-change-and-drop-field"},
                  {"patch/apply-03-conflict-other-manager"},
                  {"patch/apply-04-force-takes-ownership"},
                  {"patch/apply-05-json-body"},
                  {"patch/merge-patch-with-fieldmanager-update-operation"},
                  {"patch/apply-06-deployment-create-two-containers"},
                  {"patch/apply-07-deployment-other-manager-conflict"},
                  {"patch/apply-08-deployment-one-container-image-force", nullptr,
                   without_controller_fields}});
}

}  // namespace
}  // namespace berth::sim::testing
