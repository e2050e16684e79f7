#include <gtest/gtest.h>

#include "scheduler-extender/state/node_spec.h"
#include "scheduler-extender/state/pod_spec.h"
#include "scheduler-extender/state/volume_spec.h"
#include "tests/support/fixtures.h"

namespace berth::extender {
namespace {

namespace json = kube::json;

PodSpec decode(std::string_view text) {
  auto doc = json::parse(text);
  EXPECT_TRUE(doc.ok()) << text;
  auto pod = decode_pod(*doc);
  EXPECT_TRUE(pod.ok()) << (pod.ok() ? "" : pod.error().message);
  return pod.ok() ? *pod : PodSpec{};
}

TEST(PodSpecTest, RequestsAreTheLargerOfInitAndAppContainersPlusOverhead) {
  PodSpec p = decode(R"({"metadata":{"name":"p","namespace":"ns"},"spec":{
    "initContainers":[
      {"name":"i1","resources":{"requests":{"cpu":"2","memory":"1Gi","example.com/gpu":"1"}}},
      {"name":"i2","restartPolicy":"Always","resources":{"requests":{"cpu":"500m"}}}],
    "containers":[
      {"name":"a","resources":{"requests":{"cpu":"300m","memory":"2Gi"}}},
      {"name":"b","resources":{"requests":{"cpu":"400m","example.com/gpu":"2"}}},
      {"name":"c"}],
    "overhead":{"cpu":"100m","memory":"10Mi"}}})");
  const ResourceAmounts& r = p.requests.requests;
  EXPECT_EQ(r.milli_cpu, 2000 + 100);             // init 2 > 0.3+0.4
  EXPECT_EQ(r.memory, (2LL << 30) + (10 << 20));  // app 2Gi > init 1Gi
  EXPECT_EQ(r.scalar_value("example.com/gpu"), 2);
  // Scoring counts defaults for containers without requests: a has none for... c has neither.
  EXPECT_EQ(p.requests.nonzero_milli_cpu, 2000 + 100);
  EXPECT_EQ(p.requests.nonzero_memory,
            (2LL << 30) + kDefaultMemoryRequest + kDefaultMemoryRequest + (10 << 20));
}

TEST(PodSpecTest, AffinityTolerationsVolumesAndBerthAnnotations) {
  PodSpec p = decode(R"({"metadata":{"name":"p","namespace":"ns","uid":"u",
      "labels":{"app":"web","berth.dev/workload-class":"latency-critical","berth.dev/pod-group":"g"},
      "annotations":{"berth.dev/min-members":"4","berth.dev/deadline":"2026-11-25T04:02:28Z",
                     "berth.dev/data-locality":"required-zone"}},
    "spec":{"priority":7,"nodeSelector":{"disk":"ssd"},
      "affinity":{
        "nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[
            {"matchExpressions":[{"key":"zone","operator":"In","values":["a","b"]}]}]},
          "preferredDuringSchedulingIgnoredDuringExecution":[{"weight":5,"preference":
            {"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]}}]},
        "podAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":9,
            "podAffinityTerm":{"labelSelector":{"matchLabels":{"app":"db"}},"topologyKey":"zone",
                               "namespaces":["b","a","b"]}}]},
        "podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
            {"labelSelector":{"matchExpressions":[{"key":"app","operator":"In","values":["web"]}]},
             "topologyKey":"kubernetes.io/hostname","namespaceSelector":{}}]}},
      "tolerations":[{"key":"k","operator":"Exists","effect":"NoSchedule"}],
      "volumes":[{"name":"d","persistentVolumeClaim":{"claimName":"data"}},{"name":"e","emptyDir":{}}],
      "containers":[{"name":"c","image":"nginx:1.25"}]},
    "status":{"phase":"Pending","qosClass":"Guaranteed"}})");
  EXPECT_EQ(p.priority, 7);
  EXPECT_EQ(p.qos, QosClass::kGuaranteed);
  ASSERT_TRUE(p.required_node_affinity.has_value());
  EXPECT_EQ(p.required_node_affinity->terms.at(0).expressions.at(0).values.size(), 2u);
  EXPECT_EQ(p.preferred_node_affinity.at(0).weight, 5);
  EXPECT_EQ(p.preferred_node_affinity.at(0).preference.fields.at(0).key, "metadata.name");
  ASSERT_EQ(p.preferred_affinity.size(), 1u);
  EXPECT_EQ(p.preferred_affinity[0].weight, 9);
  EXPECT_EQ(p.preferred_affinity[0].namespaces, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(p.required_anti_affinity.size(), 1u);
  ASSERT_TRUE(p.required_anti_affinity[0].namespace_selector.has_value());
  EXPECT_TRUE(p.required_anti_affinity[0].namespace_selector->empty());
  EXPECT_EQ(p.tolerations.at(0).op, "Exists");
  EXPECT_EQ(p.claim_names, std::vector<std::string>{"data"});
  EXPECT_EQ(p.images, std::vector<std::string>{"nginx:1.25"});
  EXPECT_EQ(p.workload_class, "latency-critical");
  EXPECT_EQ(p.pod_group, "g");
  EXPECT_EQ(p.min_members, 4);
  EXPECT_TRUE(p.deadline.has_value());
  EXPECT_EQ(p.locality, LocalityMode::kZone);
  EXPECT_TRUE(p.annotation_errors.empty());
}

TEST(PodSpecTest, BadValuesAreReportedNotGuessed) {
  PodSpec p = decode(R"({"metadata":{"name":"p","annotations":{"berth.dev/min-members":"-2",
      "berth.dev/deadline":"tomorrow","berth.dev/data-locality":"nearby"}},
    "spec":{"affinity":{"podAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[
      {"labelSelector":{"matchExpressions":[{"key":"app","operator":"Near"}]},"topologyKey":"z"}]}}}})");
  EXPECT_EQ(p.annotation_errors.size(), 3u);
  EXPECT_EQ(p.min_members, 0);
  EXPECT_FALSE(p.deadline.has_value());
  EXPECT_EQ(p.locality, LocalityMode::kPreferred);
  EXPECT_NE(p.affinity_error.find("Near"), std::string::npos);
  EXPECT_TRUE(p.required_affinity.empty());
}

TEST(PodSpecTest, QosIsComputedWhenStatusHasNone) {
  EXPECT_EQ(decode(R"({"metadata":{},"spec":{"containers":[{"resources":{
      "limits":{"cpu":"1","memory":"1Gi"}}}]}})")
                .qos,
            QosClass::kGuaranteed);
  EXPECT_EQ(decode(R"({"metadata":{},"spec":{"containers":[{"resources":{
      "requests":{"cpu":"1"}}}]}})")
                .qos,
            QosClass::kBurstable);
  EXPECT_EQ(decode(R"({"metadata":{},"spec":{"containers":[{}]}})").qos, QosClass::kBestEffort);
}

TEST(PodSpecTest, DecodesTheCapturedPods) {
  BERTH_REQUIRE_FIXTURES();
  auto doc = testing::read_fixture_json("extender/preempt-01-nocache.request.json");
  ASSERT_TRUE(doc.has_value());
  auto victim = decode_pod((*doc)["NodeNameToVictims"]["fake-node-1"]["Pods"][0]);
  ASSERT_TRUE(victim.ok());
  EXPECT_EQ(victim->name, "victim");
  EXPECT_EQ(victim->node_name, "fake-node-1");
  EXPECT_EQ(victim->requests.requests.milli_cpu, 3000);
  EXPECT_EQ(victim->priority, 100);
}

TEST(NodeSpecTest, DecodesTheCapturedNodes) {
  BERTH_REQUIRE_FIXTURES();
  auto doc = testing::read_fixture_json("extender/lab-verify-nocache-filter-1.request.json");
  ASSERT_TRUE(doc.has_value());
  auto n = decode_node((*doc)["Nodes"]["items"][0]);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->name, "fake-node-favorite");
  EXPECT_EQ(n->allocatable.milli_cpu, 4000);
  EXPECT_EQ(n->allocatable.memory, 8LL << 30);
  EXPECT_EQ(n->allocatable.pods, 110);
  ASSERT_NE(find_label(n->labels, "k8slab/extender-favorite"), nullptr);
}

TEST(NodeSpecTest, TaintsImagesAndUnschedulable) {
  auto doc = json::parse(R"({"metadata":{"name":"n"},"spec":{"unschedulable":true,
      "taints":[{"key":"gpu","value":"yes","effect":"NoSchedule"}]},
    "status":{"capacity":{"cpu":"8"},"images":[{"names":["nginx@sha256:ab","nginx:1.25"],"sizeBytes":1000}]}})");
  auto n = decode_node(*doc);
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(n->unschedulable);
  EXPECT_EQ(n->taints.at(0).effect, "NoSchedule");
  EXPECT_EQ(n->allocatable.milli_cpu, 8000);  // capacity when allocatable is absent
  EXPECT_EQ(n->images.at(0).names.size(), 2u);
  EXPECT_FALSE(decode_node(*json::parse(R"({"metadata":{}})")).ok());
}

TEST(VolumeSpecTest, DataLocationRecord) {
  auto ok = parse_data_location(R"({"nodes":["n2","n1","n2"],"updatedAt":"x","future":1})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->nodes, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_FALSE(parse_data_location("[]").ok());
  EXPECT_FALSE(parse_data_location(R"({"nodes":"n1"})").ok());
  EXPECT_FALSE(parse_data_location(R"({"nodes":[""]})").ok());
  EXPECT_FALSE(parse_data_location("{").ok());
}

TEST(VolumeSpecTest, ClaimsVolumesAndClasses) {
  auto pvc = decode_pvc(*json::parse(R"({"metadata":{"name":"data","namespace":"ns",
      "annotations":{"berth.dev/data-location":"{\"nodes\":[\"n1\"]}"}},
    "spec":{"volumeName":"pv-1","storageClassName":"fast"}})"));
  ASSERT_TRUE(pvc.ok());
  EXPECT_EQ(pvc->volume_name, "pv-1");
  ASSERT_TRUE(pvc->data_location.has_value());
  EXPECT_EQ(pvc->data_location->nodes.at(0), "n1");
  auto broken = decode_pvc(*json::parse(R"({"metadata":{"name":"d","namespace":"ns",
      "annotations":{"berth.dev/data-location":"nope"}}})"));
  ASSERT_TRUE(broken.ok());
  EXPECT_FALSE(broken->data_location.has_value());
  EXPECT_FALSE(broken->data_location_error.empty());

  auto pv = decode_pv(*json::parse(R"({"metadata":{"name":"pv-1",
      "labels":{"failure-domain.beta.kubernetes.io/zone":"z1"}},
    "spec":{"nodeAffinity":{"required":{"nodeSelectorTerms":[{"matchExpressions":[
      {"key":"kubernetes.io/hostname","operator":"In","values":["n1"]}]}]}}}})"));
  ASSERT_TRUE(pv.ok());
  EXPECT_EQ(pv->zone, "z1");
  ASSERT_TRUE(pv->node_affinity.has_value());

  auto sc = decode_storage_class(*json::parse(R"({"metadata":{"name":"fast"},
    "volumeBindingMode":"WaitForFirstConsumer","allowedTopologies":[{"matchLabelExpressions":[
      {"key":"topology.kubernetes.io/zone","values":["z1"]}]}]})"));
  ASSERT_TRUE(sc.ok());
  EXPECT_TRUE(sc->wait_for_first_consumer);
  ASSERT_TRUE(sc->allowed_topologies.has_value());
  EXPECT_EQ(sc->allowed_topologies->terms.at(0).expressions.at(0).op, "In");
}

TEST(NodeSelectorTest, OperatorsFieldsAndInvalidTerms) {
  StringTable strings;
  Labels node_labels = intern_labels({{"cores", "16"}, {"zone", "a"}}, strings);
  Id name = strings.intern("n1");
  auto matches = [&](const char* text) {
    auto doc = json::parse(text);
    NodeSelectorTermSpec t = decode_node_selector_term(*doc);
    return CompiledNodeTerm::lookup(t, strings).matches(node_labels, name, strings);
  };
  EXPECT_TRUE(matches(R"({"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]})"));
  EXPECT_FALSE(
      matches(R"({"matchExpressions":[{"key":"zone","operator":"NotIn","values":["a"]}]})"));
  EXPECT_TRUE(matches(R"({"matchExpressions":[{"key":"gpu","operator":"NotIn","values":["x"]}]})"));
  EXPECT_TRUE(matches(R"({"matchExpressions":[{"key":"gpu","operator":"DoesNotExist"}]})"));
  EXPECT_TRUE(matches(R"({"matchExpressions":[{"key":"cores","operator":"Gt","values":["8"]}]})"));
  EXPECT_FALSE(matches(R"({"matchExpressions":[{"key":"cores","operator":"Lt","values":["8"]}]})"));
  EXPECT_FALSE(matches(R"({"matchExpressions":[{"key":"zone","operator":"Gt","values":["1"]}]})"));
  EXPECT_TRUE(
      matches(R"({"matchFields":[{"key":"metadata.name","operator":"In","values":["n1"]}]})"));
  EXPECT_FALSE(
      matches(R"({"matchFields":[{"key":"metadata.name","operator":"NotIn","values":["n1"]}]})"));
  // Invalid or empty terms select nothing.
  EXPECT_FALSE(matches(R"({})"));
  EXPECT_FALSE(matches(R"({"matchExpressions":[{"key":"zone","operator":"In","values":[]}]})"));
  EXPECT_FALSE(
      matches(R"({"matchExpressions":[{"key":"zone","operator":"Exists","values":["a"]}]})"));
  EXPECT_FALSE(
      matches(R"({"matchFields":[{"key":"metadata.uid","operator":"In","values":["x"]}]})"));
  EXPECT_FALSE(
      matches(R"({"matchExpressions":[{"key":"zone","operator":"Near","values":["a"]}]})"));
}

}  // namespace
}  // namespace berth::extender
