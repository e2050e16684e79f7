// DataLocality, Interference, QoS and Deadline against hand-computed expectations.
#include <gtest/gtest.h>

#include "scheduler-extender/policies/data_locality.h"
#include "scheduler-extender/policies/interference.h"
#include "scheduler-extender/policies/qos.h"
#include "tests/unit/scheduler-extender/support/builders.h"

namespace berth::extender {
namespace {

using test::labels;
using test::node;
using test::pod;

const std::string kHost = "kubernetes.io/hostname";
const std::string kRack = "topology.berth.dev/rack";
const std::string kZone = "topology.kubernetes.io/zone";
const std::string kRegion = "topology.kubernetes.io/region";

NodeSpec placed(std::string name, std::string rack, std::string zone, std::string region) {
  StringLabels l = {{kHost, name}};
  if (!rack.empty()) l.emplace_back(kRack, rack);
  if (!zone.empty()) l.emplace_back(kZone, zone);
  if (!region.empty()) l.emplace_back(kRegion, region);
  return node(std::move(name), labels(l));
}

class DataLocalityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // eu: zones eu-a (racks r1, r2) and eu-b (rack r3); us: zone us-a.
    c.add(placed("n1", "r1", "eu-a", "eu"));
    c.add(placed("n2", "r1", "eu-a", "eu"));
    c.add(placed("n3", "r2", "eu-a", "eu"));
    c.add(placed("n4", "r3", "eu-b", "eu"));
    c.add(placed("n5", "r4", "us-a", "us"));
    c.add(placed("n6", "", "", ""));
  }
  void claim(std::string name, std::vector<std::string> data_nodes, std::string volume = "",
             std::string storage_class = "") {
    PvcSpec pvc;
    pvc.namespace_ = "ns";
    pvc.name = std::move(name);
    pvc.volume_name = std::move(volume);
    pvc.storage_class = std::move(storage_class);
    if (!data_nodes.empty()) pvc.data_location = DataLocationRecord{std::move(data_nodes)};
    c.state.write().upsert_claim(pvc);
  }
  PodSpec mounting(std::vector<std::string> claims, LocalityMode mode = LocalityMode::kPreferred) {
    PodSpec p = pod("ns", "p", {});
    p.claim_names = std::move(claims);
    p.locality = mode;
    return p;
  }
  test::Cluster c;
  DataLocalityPolicy policy{DataLocalityOptions{}};
  std::vector<std::string> all = {"n1", "n2", "n3", "n4", "n5", "n6"};
};

TEST_F(DataLocalityTest, ScoresNodeRackZoneRegion) {
  claim("data", {"n1"});
  auto got = test::evaluate(policy, c.state, mounting({"data"}), all, false);
  ASSERT_TRUE(got.scored);
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{100, 70, 40, 10, 0, 0}));
  EXPECT_EQ(got.reasons, std::vector<std::string>(6, ""));
}

TEST_F(DataLocalityTest, AveragesOverClaimsWithLocations) {
  claim("a", {"n1"});
  claim("b", {"n4", "n5"});
  claim("fresh", {});  // no data yet: not counted
  auto got = test::evaluate(policy, c.state, mounting({"a", "b", "fresh", "uncached"}), all, false);
  // n1: (100 + 10)/2, n2: (70+10)/2, n3: (40+10)/2, n4: (10+100)/2, n5: (0+100)/2, n6: 0.
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{55, 40, 25, 55, 50, 0}));
}

TEST_F(DataLocalityTest, NoClaimsNoOpinion) {
  auto got = test::evaluate(policy, c.state, mounting({}), all, false);
  EXPECT_FALSE(got.scored);
  claim("fresh", {});
  got = test::evaluate(policy, c.state, mounting({"fresh"}), all, false);
  EXPECT_FALSE(got.scored);
}

TEST_F(DataLocalityTest, RequiredModesFilter) {
  claim("data", {"n1", "n4"});
  auto reasons = [&](LocalityMode m) {
    return test::evaluate(policy, c.state, mounting({"data"}, m), all, false).reasons;
  };
  auto fail = [](std::string_view level) {
    return "node(s) not at " + std::string(level) +
           " level with the data of volume claim data (berth.dev/data-locality)";
  };
  EXPECT_EQ(
      reasons(LocalityMode::kNode),
      (std::vector<std::string>{"", fail("node"), fail("node"), "", fail("node"), fail("node")}));
  EXPECT_EQ(reasons(LocalityMode::kRack),
            (std::vector<std::string>{"", "", fail("rack"), "", fail("rack"), fail("rack")}));
  EXPECT_EQ(reasons(LocalityMode::kZone),
            (std::vector<std::string>{"", "", "", "", fail("zone"), fail("zone")}));
  EXPECT_EQ(reasons(LocalityMode::kRegion),
            (std::vector<std::string>{"", "", "", "", fail("region"), fail("region")}));
  // Nothing to be near: no constraint.
  claim("fresh", {});
  EXPECT_EQ(
      test::evaluate(policy, c.state, mounting({"fresh"}, LocalityMode::kNode), all, false).reasons,
      std::vector<std::string>(6, ""));
}

TEST_F(DataLocalityTest, VolumeNodeAffinityFiltersAndLocates) {
  PvSpec local;
  local.name = "pv-local";
  local.node_affinity = NodeSelectorSpec{{{{{kHost, "In", {"n3"}}}, {}}}};
  c.state.write().upsert_volume(local);
  claim("data", {}, "pv-local");
  auto got = test::evaluate(policy, c.state, mounting({"data"}), all, false);
  std::string conflict(DataLocalityPolicy::kVolumeNodeConflict);
  EXPECT_EQ(got.reasons,
            (std::vector<std::string>{conflict, conflict, "", conflict, conflict, conflict}));
  EXPECT_TRUE(got.unresolvable[0]);
  EXPECT_EQ(got.normalized[2], 100);

  PvSpec zonal;
  zonal.name = "pv-zonal";
  zonal.node_affinity = NodeSelectorSpec{{{{{kZone, "In", {"eu-a"}}}, {}}}};
  c.state.write().upsert_volume(zonal);
  claim("z", {}, "pv-zonal");
  got = test::evaluate(policy, c.state, mounting({"z"}), all, false);
  EXPECT_EQ(got.reasons, (std::vector<std::string>{"", "", "", conflict, conflict, conflict}));
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{40, 40, 40, 0, 0, 0}));
}

TEST_F(DataLocalityTest, VolumeZoneLabelsAndStorageClassTopology) {
  PvSpec legacy;
  legacy.name = "pv-legacy";
  legacy.zone = "eu-b__us-a";
  c.state.write().upsert_volume(legacy);
  claim("old", {}, "pv-legacy");
  auto got = test::evaluate(policy, c.state, mounting({"old"}), all, false);
  std::string zone(DataLocalityPolicy::kVolumeZoneConflict);
  // A node without a zone label (n6) is not in conflict, as in-tree VolumeZone.
  EXPECT_EQ(got.reasons, (std::vector<std::string>{zone, zone, zone, "", "", ""}));

  StorageClassSpec sc;
  sc.name = "regional";
  sc.wait_for_first_consumer = true;
  sc.allowed_topologies = NodeSelectorSpec{{{{{kRegion, "In", {"us"}}}, {}}}};
  c.state.write().upsert_storage_class(sc);
  claim("new", {}, "", "regional");
  got = test::evaluate(policy, c.state, mounting({"new"}), all, false);
  std::string topo(DataLocalityPolicy::kStorageClassTopology);
  EXPECT_EQ(got.reasons, (std::vector<std::string>{topo, topo, topo, topo, "", topo}));
}

TEST_F(DataLocalityTest, MalformedAnnotationFailsLoudly) {
  PodSpec p = mounting({});
  p.annotation_errors = {"berth.dev/data-locality: \"nearby\" is not one of ..."};
  auto got = test::evaluate(policy, c.state, p, all, false);
  for (const std::string& r : got.reasons)
    EXPECT_EQ(r, p.annotation_errors[0]);
}

TEST(InterferenceTest, ConflictMatrixRowOfTheIncomingClass) {
  test::Cluster c;
  for (const char* n : {"quiet", "busy", "mixed"})
    c.add(node(n, {}));
  auto with_class = [](std::string name, std::string cls, std::string n) {
    return pod("ns", std::move(name), labels({{"berth.dev/workload-class", std::move(cls)}}),
               std::move(n));
  };
  c.add(with_class("b1", "batch", "busy"));
  c.add(with_class("b2", "batch", "busy"));
  c.add(with_class("c1", "cpu-bound", "mixed"));
  c.add(with_class("l1", "latency-critical", "quiet"));
  InterferencePolicy policy{InterferenceOptions{}};
  std::vector<std::string> all = {"quiet", "busy", "mixed"};
  // latency-critical row: cpu-bound 3, batch 3 -> quiet 0, busy 6, mixed 3.
  auto got = test::evaluate(policy, c.state, with_class("new", "latency-critical", ""), all, false);
  EXPECT_EQ(got.raw, (std::vector<std::int64_t>{0, 6, 3}));
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{100, 0, 50}));
  // Unknown class or no class: no opinion.
  EXPECT_FALSE(test::evaluate(policy, c.state, with_class("x", "gpu", ""), all, false).scored);
  EXPECT_FALSE(test::evaluate(policy, c.state, pod("ns", "y", {}), all, false).scored);
  // A custom matrix.
  InterferenceOptions custom;
  custom.conflicts = {{"io-bound", {{"io-bound", 5}}}};
  c.add(with_class("io", "io-bound", "quiet"));
  got = test::evaluate(InterferencePolicy(custom), c.state, with_class("new", "io-bound", ""), all,
                       false);
  EXPECT_EQ(got.raw, (std::vector<std::int64_t>{5, 0, 0}));
}

TEST(QosTest, GuaranteedAndLatencyCriticalPodsPreferHeadroom) {
  test::Cluster c;
  c.add(node("roomy", {}, 8000, 16LL << 30));
  c.add(node("tight", {}, 4000, 8LL << 30));
  c.add(test::with_requests(pod("ns", "x", {}, "tight"), 2000, 6LL << 30));
  PodSpec p = test::with_requests(pod("ns", "p", {}), 1000, 1LL << 30);
  QosPolicy policy;
  EXPECT_FALSE(test::evaluate(policy, c.state, p, {"roomy", "tight"}, false).scored);
  p.qos = QosClass::kGuaranteed;
  auto got = test::evaluate(policy, c.state, p, {"roomy", "tight"}, false);
  // roomy: cpu 7/8 -> 87, mem 15/16 -> 93: 87. tight: cpu 1/4 -> 25, mem 1/8 -> 12: 12.
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{87, 12}));
  PodSpec lc = test::with_requests(
      pod("ns", "lc", labels({{"berth.dev/workload-class", "latency-critical"}})), 0, 0);
  EXPECT_TRUE(test::evaluate(policy, c.state, lc, {"roomy", "tight"}, false).scored);
}

TEST(DeadlineTest, ImagesPresentAndLoad) {
  test::Cluster c;
  NodeSpec warm = node("warm", {}, 4000);
  warm.images = {{{"registry/app:1", "registry/app@sha256:1"}, 300 << 20}};
  NodeSpec cold = node("cold", {}, 4000);
  cold.images = {{{"registry/sidecar:2"}, 100 << 20}};
  c.add(warm);
  c.add(cold);
  c.add(test::with_requests(pod("ns", "busy", {}, "warm"), 2000, 0));
  PodSpec p = test::with_requests(pod("ns", "p", {}), 1000, 0);
  p.images = {"registry/app:1", "registry/sidecar:2"};
  DeadlinePolicy policy{DeadlineOptions{}};
  EXPECT_FALSE(test::evaluate(policy, c.state, p, {"warm", "cold"}, false).scored);
  p.deadline = kube::SystemTime{};
  auto got = test::evaluate(policy, c.state, p, {"warm", "cold"}, false);
  // warm: images 300/400 -> 75, load (4000-3000)/4000 -> 25: (2*75 + 25)/3 = 58.
  // cold: images 100/400 -> 25, load 3000/4000 free -> 75: (2*25 + 75)/3 = 41.
  EXPECT_EQ(got.normalized, (std::vector<std::int64_t>{58, 41}));
}

}  // namespace
}  // namespace berth::extender
