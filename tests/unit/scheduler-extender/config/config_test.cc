#include "scheduler-extender/config/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace berth::extender {
namespace {

TEST(ExtenderConfigTest, EmptyDocumentKeepsDefaults) {
  auto c = parse_config("", "config x");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->filter_path, "/filter");
  EXPECT_FALSE(c->bind_enabled);
  EXPECT_EQ(c->inter_pod_affinity.weight, 2);
  std::vector<WeightedPolicy> policies = make_policies(*c);
  ASSERT_EQ(policies.size(), 8u);
  EXPECT_EQ(policies[0].policy->name(), "NodeAffinity");
}

TEST(ExtenderConfigTest, EveryKey) {
  auto c = parse_config(R"(
apiVersion: berth.dev/v1alpha1
kind: ExtenderConfiguration
server:
  filterPath: /berth/filter
  prioritizePath: /berth/prioritize
  preemptPath: /berth/preempt
  bindPath: /berth/bind
  maxRequestBytes: 1048576
bind:
  enabled: true
  assumeTimeoutSeconds: 45
explain:
  decisions: 10
  nodesPerDecision: 5
cache:
  maxCountViews: 100
policies:
  interPodAffinity: {enabled: true, weight: 5, hardPodAffinityWeight: 0}
  nodeAffinity: {enabled: false}
  taintToleration: {weight: 0}
  resourceFit:
    scoringStrategy: MostAllocated
    resources: [{name: cpu, weight: 2}, {name: nvidia.com/gpu, weight: 5}]
    ignoredResources: [example.com/dummy]
    podGroups: false
  dataLocality:
    weight: 3
    levelScores: {node: 90, rack: 60, zone: 30, region: 5}
  interference:
    conflicts:
      batch: {latency-critical: 4}
  qos: {enabled: false}
  deadline: {imageWeight: 3, loadWeight: 0}
)",
                        "config x");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->prioritize_path, "/berth/prioritize");
  EXPECT_EQ(c->max_request_bytes, 1048576u);
  EXPECT_TRUE(c->bind_enabled);
  EXPECT_EQ(c->assume_timeout, std::chrono::seconds(45));
  EXPECT_EQ(c->explain_decisions, 10u);
  EXPECT_EQ(c->max_count_views, 100u);
  EXPECT_EQ(c->inter_pod_affinity.weight, 5);
  EXPECT_EQ(c->hard_pod_affinity_weight, 0);
  EXPECT_FALSE(c->node_affinity.enabled);
  EXPECT_EQ(c->taint_toleration.weight, 0);
  EXPECT_EQ(c->fit.strategy, ResourceFitOptions::Strategy::kMostAllocated);
  ASSERT_EQ(c->fit.resources.size(), 2u);
  EXPECT_EQ(c->fit.resources[1].name, "nvidia.com/gpu");
  EXPECT_EQ(c->fit.ignored_resources, std::vector<std::string>{"example.com/dummy"});
  EXPECT_FALSE(c->fit.gang);
  EXPECT_EQ(c->locality.rack, 60);
  EXPECT_EQ(c->interference_options.conflicts.size(), 1u);
  EXPECT_EQ(c->interference_options.conflicts.at("batch").at("latency-critical"), 4);
  EXPECT_EQ(c->deadline_options.image_weight, 3);
  EXPECT_EQ(make_policies(*c).size(), 6u);
}

TEST(ExtenderConfigTest, JsonWorksToo) {
  auto c = parse_config(R"({"policies":{"qos":{"weight":7}}})", "config j");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->qos.weight, 7);
}

TEST(ExtenderConfigTest, ErrorsNameTheKeyAndTheFile) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"policies:\n  interPodAfinity: {}\n", "config f: unknown key \"policies.interPodAfinity\""},
      {"server: {filterPath: /f, bogus: 1}\n", "config f: unknown key \"server.bogus\""},
      {"policies: {qos: {weight: 101}}\n",
       "config f: policies.qos.weight must be an integer from 0 to 100"},
      {"policies: {qos: {enabled: yes please}}\n",
       "config f: policies.qos.enabled must be true or false"},
      {"server: {filterPath: filter}\n", "config f: server.filterPath must be a URL path"},
      {"server: {filterPath: /x, prioritizePath: /x}\n",
       "config f: server paths must differ from each other"},
      {"server: {filterPath: /metrics}\n", "config f: server paths must not use /metrics"},
      {"kind: KubeSchedulerConfiguration\n", "config f: kind must be \"ExtenderConfiguration\""},
      {"policies: {resourceFit: {scoringStrategy: Random}}\n",
       "config f: policies.resourceFit.scoringStrategy must be LeastAllocated"},
      {"policies: {resourceFit: {resources: [{weight: 1}]}}\n",
       "config f: policies.resourceFit.resources[0].name is required"},
      {"policies: {interference: {conflicts: {batch: {cpu-bound: -1}}}}\n",
       "config f: policies.interference.conflicts.batch.cpu-bound must be an integer"},
      {"- a\n- b\n", "config f: the document must be a mapping"},
      {"policies: [\n", "config f: "},
  };
  for (const Case& c : cases) {
    auto r = parse_config(c.text, "config f");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().message.rfind(c.message, 0), 0u) << r.error().message;
    EXPECT_EQ(r.error().message.find('\n'), std::string::npos) << r.error().message;
  }
}

TEST(ExtenderConfigTest, LoadsFiles) {
  std::string path = ::testing::TempDir() + "/berth-extender-config.yaml";
  {
    std::ofstream out(path);
    out << "explain:\n  decisions: 3\n";
  }
  auto c = load_config(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->explain_decisions, 3u);
  std::remove(path.c_str());
  auto missing = load_config(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "config " + path + ": cannot read the file");
}

}  // namespace
}  // namespace berth::extender
