#include "tests/integration/sim/world.h"

#include <gtest/gtest.h>

namespace berth::sim::testing {

const std::vector<std::string> kIgnored{};

std::string widget_crd() {
  return R"({"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",)"
         R"("metadata":{"name":"widgets.fx.example.com"},"spec":{"group":"fx.example.com",)"
         R"("scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget",)"
         R"("shortNames":["wd"]},"versions":[{"name":"v1","served":true,"storage":true,)"
         R"("schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object",)"
         R"("required":["replicas"],"properties":{"replicas":{"type":"integer","minimum":1,)"
         R"("maximum":10},"image":{"type":"string"},"mode":{"type":"string","enum":["fast",)"
         R"("safe"],"default":"safe"}}},"status":{"type":"object","properties":{"replicas":)"
         R"({"type":"integer"},"phase":{"type":"string"},"observedGeneration":{"type":"integer",)"
         R"("format":"int64"}}}}}},"subresources":{"status":{},"scale":{"specReplicasPath":)"
         R"(".spec.replicas","statusReplicasPath":".status.replicas"}},)"
         R"("additionalPrinterColumns":[{"name":"Replicas","type":"integer","jsonPath":)"
         R"(".spec.replicas"},{"name":"Phase","type":"string","jsonPath":".status.phase"},)"
         R"({"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}]}]}})";
}

void create_bound_pod(Sim& sim, const std::string& ns, const std::string& name,
                      const std::string& labels_json, const std::string& container) {
  sim.must_create("/api/v1/namespaces/" + ns + "/pods",
                  R"({"metadata":{"name":")" + name + R"(","labels":)" + labels_json +
                      R"(},"spec":{"schedulerName":"fx-manual","containers":[{"name":")" +
                      container + R"(","image":"nginx:1.25"}]}})");
  Reply bound = sim.post("/api/v1/namespaces/" + ns + "/pods/" + name + "/binding",
                         R"({"apiVersion":"v1","kind":"Binding","metadata":{"name":")" + name +
                             R"("},"target":{"kind":"Node","name":"fake-node-1"}})");
  EXPECT_EQ(bound.status, 201) << bound.body;
}

void set_pod_phase(Sim& sim, const std::string& ns, const std::string& name,
                   const std::string& phase) {
  Reply r = sim.patch("/api/v1/namespaces/" + ns + "/pods/" + name + "/status",
                      R"({"status":{"phase":")" + phase + "\"}}");
  EXPECT_EQ(r.status, 200) << r.body;
}

std::string kubelet_status(const kube::json::Value& pod) {
  namespace json = kube::json;
  json::Document status = json::copy(*json::find(pod, "status"));
  if (json::Value* conditions = json::find(status, "conditions")) {
    for (auto it = conditions->Begin(); it != conditions->End();) {
      it = json::get_string(*it, "type") == "PodScheduled" ? conditions->Erase(it) : it + 1;
    }
  }
  return "{\"status\":" + json::dump(status) + "}";
}

void build_lists(Sim& sim) {
  sim.create_namespace("fx-lists");
  const char* labels[] = {R"({"app":"lists","env":"prod"})", R"({"app":"lists","env":"staging"})",
                          R"({"app":"lists","canary":"true","env":"prod"})",
                          R"({"app":"lists","env":"dev"})",
                          R"({"app":"lists","canary":"true","env":"staging"})"};
  for (int i = 1; i <= 5; ++i) {
    std::string n = "cm-" + std::to_string(i);
    sim.must_create("/api/v1/namespaces/fx-lists/configmaps",
                    R"({"metadata":{"name":")" + n + R"(","labels":)" + labels[i - 1] +
                        R"(},"data":{"k":")" + n + "\"}}");
  }
}

void build_errors_world(Sim& sim, bool bind_p1) {
  sim.create_namespace("fx-errors");
  sim.create_namespace("fx-objects");
  build_lists(sim);
  sim.must_create("/api/v1/namespaces/fx-errors/configmaps",
                  R"({"metadata":{"name":"dup"},"data":{"k":"v"}})");
  if (bind_p1) {
    create_bound_pod(sim, "fx-errors", "p1", R"({"a":"b"})");
  } else {
    sim.must_create("/api/v1/namespaces/fx-errors/pods",
                    R"({"metadata":{"name":"p1","labels":{"a":"b"}},"spec":{"schedulerName":)"
                    R"("fx-manual","containers":[{"name":"c","image":"nginx:1.25"}]}})");
  }
  sim.must_create("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", widget_crd());
  sim.create_namespace("fx-terminating");
  sim.must_create("/api/v1/namespaces/fx-terminating/configmaps",
                  R"({"metadata":{"name":"held","finalizers":["fx.example.com/hold"]}})");
  Reply deleted = sim.del("/api/v1/namespaces/fx-terminating");
  EXPECT_EQ(deleted.status, 200) << deleted.body;
  EXPECT_TRUE(sim.settle());
}

}  // namespace berth::sim::testing
