#include "scheduler-extender/policies/inter_pod_affinity.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "tests/unit/scheduler-extender/support/builders.h"

namespace berth::extender {
namespace {

using test::Cluster;
using test::labels;
using test::node;
using test::pod;
using test::term;
using test::weighted;

constexpr std::string_view kAffinity = InterPodAffinityPolicy::kAffinityRulesNotMatch;
constexpr std::string_view kAnti = InterPodAffinityPolicy::kAntiAffinityRulesNotMatch;
constexpr std::string_view kExisting = InterPodAffinityPolicy::kExistingAntiAffinityRulesNotMatch;
const std::string kHost = "kubernetes.io/hostname";
const std::string kZone = "topology.kubernetes.io/zone";

// Zone a: n1, n2; zone b: n3; n4 has no zone label; n5 has an empty zone value.
void three_zones(Cluster& c) {
  c.add(node("n1", labels({{kHost, "n1"}, {kZone, "a"}})));
  c.add(node("n2", labels({{kHost, "n2"}, {kZone, "a"}})));
  c.add(node("n3", labels({{kHost, "n3"}, {kZone, "b"}})));
  c.add(node("n4", labels({{kHost, "n4"}})));
  c.add(node("n5", labels({{kHost, "n5"}, {kZone, ""}})));
}

const std::vector<std::string> kAll = {"n1", "n2", "n3", "n4", "n5"};

struct Case {
  const char* name;
  std::function<void(Cluster&)> setup;
  PodSpec incoming;
  std::vector<std::string_view> want_reasons;  // per kAll
  std::vector<std::int64_t> want_scores;       // normalized, per kAll; empty = not scored
};

PodSpec with(PodSpec p, std::function<void(PodSpec&)> edit) {
  edit(p);
  return p;
}

// Hand-computed expectations for kube-scheduler v1.26's InterPodAffinity.
std::vector<Case> cases() {
  std::vector<Case> out;
  out.push_back({"required anti-affinity by hostname",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(pod("ns", "web-0", labels({{"app", "web"}}), "n1"));
                 },
                 with(pod("ns", "web-1", labels({{"app", "web"}})),
                      [](PodSpec& p) { p.required_anti_affinity = {term("app=web", kHost)}; }),
                 {kAnti, "", "", "", ""},
                 {}});
  out.push_back({"required anti-affinity by zone; a node without the label is fine",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(pod("ns", "web-0", labels({{"app", "web"}}), "n2"));
                 },
                 with(pod("ns", "web-1", labels({{"app", "web"}})),
                      [](PodSpec& p) { p.required_anti_affinity = {term("app=web", kZone)}; }),
                 {kAnti, kAnti, "", "", ""},
                 {}});
  out.push_back({"an empty topology value is a domain of its own",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(node("n6", labels({{kHost, "n6"}, {kZone, ""}})));
                   c.add(pod("ns", "web-0", labels({{"app", "web"}}), "n6"));
                 },
                 with(pod("ns", "web-1", labels({{"app", "web"}})),
                      [](PodSpec& p) { p.required_anti_affinity = {term("app=web", kZone)}; }),
                 {"", "", "", "", kAnti},
                 {}});
  out.push_back({"anti-affinity ignores pods in other namespaces",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(pod("other", "web-0", labels({{"app", "web"}}), "n1"));
                 },
                 with(pod("ns", "web-1", labels({{"app", "web"}})),
                      [](PodSpec& p) { p.required_anti_affinity = {term("app=web", kHost)}; }),
                 {"", "", "", "", ""},
                 {}});
  out.push_back({"required affinity: only the zone with a match; missing label fails",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(pod("ns", "db-0", labels({{"app", "db"}}), "n3"));
                 },
                 with(pod("ns", "api", labels({{"app", "api"}})),
                      [](PodSpec& p) { p.required_affinity = {term("app=db", kZone)}; }),
                 {kAffinity, kAffinity, "", kAffinity, kAffinity},
                 {}});
  out.push_back({"first pod of a group with affinity to itself goes anywhere with the label",
                 [](Cluster& c) { three_zones(c); },
                 with(pod("ns", "web-0", labels({{"app", "web"}})),
                      [](PodSpec& p) { p.required_affinity = {term("app=web", kZone)}; }),
                 {"", "", "", kAffinity, ""},
                 {}});
  out.push_back({"the self rule ends once a matching pod exists",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(pod("ns", "web-0", labels({{"app", "web"}}), "n3"));
                 },
                 with(pod("ns", "web-1", labels({{"app", "web"}})),
                      [](PodSpec& p) { p.required_affinity = {term("app=web", kZone)}; }),
                 {kAffinity, kAffinity, "", kAffinity, kAffinity},
                 {}});
  out.push_back({"matches only on nodes without the key still allow the self rule",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(pod("ns", "web-0", labels({{"app", "web"}}), "n4"));
                 },
                 with(pod("ns", "web-1", labels({{"app", "web"}})),
                      [](PodSpec& p) { p.required_affinity = {term("app=web", kZone)}; }),
                 {"", "", "", kAffinity, ""},
                 {}});
  out.push_back({"no self rule when the pod does not match its own terms",
                 [](Cluster& c) { three_zones(c); },
                 with(pod("ns", "api", labels({{"app", "api"}})),
                      [](PodSpec& p) { p.required_affinity = {term("app=db", kZone)}; }),
                 {kAffinity, kAffinity, kAffinity, kAffinity, kAffinity},
                 {}});
  out.push_back({"several affinity terms: a pod must match all of them",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(pod("ns", "db", labels({{"app", "db"}}), "n1"));
                   c.add(pod("ns", "db-cache", labels({{"app", "db"}, {"tier", "cache"}}), "n3"));
                 },
                 with(pod("ns", "api", labels({{"app", "api"}})),
                      [](PodSpec& p) {
                        p.required_affinity = {term("app=db", kZone), term("tier=cache", kHost)};
                      }),
                 {kAffinity, kAffinity, "", kAffinity, kAffinity},
                 {}});
  out.push_back({"namespaceSelector selects namespaces by label; {} selects all",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add_namespace("team-a", labels({{"team", "a"}}));
                   c.add_namespace("team-b", labels({{"team", "b"}}));
                   c.add(pod("team-a", "web-0", labels({{"app", "web"}}), "n1"));
                   c.add(pod("team-b", "web-0", labels({{"app", "web"}}), "n3"));
                 },
                 with(pod("ns", "web-1", labels({{"app", "web"}})),
                      [](PodSpec& p) {
                        p.required_anti_affinity = {term("app=web", kHost, {}, "team=a"),
                                                    term("app=web", kZone, {"none"}, "")};
                      }),
                 // n1 by hostname (team-a); zones a and b by the all-namespaces zone term.
                 {kAnti, kAnti, kAnti, "", ""},
                 {}});
  out.push_back({"namespaces and namespaceSelector add up",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add_namespace("team-a", labels({{"team", "a"}}));
                   c.add(pod("team-a", "w", labels({{"app", "web"}}), "n1"));
                   c.add(pod("listed", "w", labels({{"app", "web"}}), "n3"));
                   c.add(pod("ns", "w", labels({{"app", "web"}}), "n5"));
                 },
                 with(pod("ns", "web-1", labels({{"app", "web"}})),
                      [](PodSpec& p) {
                        p.required_anti_affinity = {term("app=web", kHost, {"listed"}, "team=a")};
                      }),
                 {kAnti, "", kAnti, "", ""},
                 {}});
  out.push_back({"symmetry: an existing pod's anti-affinity repels the incoming pod",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(with(pod("ns", "db", labels({{"app", "db"}}), "n1"), [](PodSpec& p) {
                     p.required_anti_affinity = {term("app=web", kZone)};
                   }));
                 },
                 pod("ns", "web", labels({{"app", "web"}})),
                 {kExisting, kExisting, "", "", ""},
                 {}});
  out.push_back({"symmetry honours the existing term's namespaceSelector",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add_namespace("prod", labels({{"env", "prod"}}));
                   c.add_namespace("dev", labels({{"env", "dev"}}));
                   c.add(
                       with(pod("ops", "guard", labels({{"app", "guard"}}), "n3"), [](PodSpec& p) {
                         p.required_anti_affinity = {term("app=web", kHost, {}, "env=prod")};
                       }));
                 },
                 pod("prod", "web", labels({{"app", "web"}})),
                 {"", "", kExisting, "", ""},
                 {}});
  out.push_back(
      {"symmetry: a term in another namespace does not select the pod",
       [](Cluster& c) {
         three_zones(c);
         c.add(with(pod("ops", "guard", labels({{"app", "guard"}}), "n3"),
                    [](PodSpec& p) { p.required_anti_affinity = {term("app=web", kHost)}; }));
       },
       pod("prod", "web", labels({{"app", "web"}})),
       {"", "", "", "", ""},
       {}});
  out.push_back({"preferred affinity and anti-affinity scores",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(pod("ns", "cache", labels({{"app", "cache"}}), "n1"));
                   c.add(pod("ns", "web-0", labels({{"app", "web"}}), "n2"));
                 },
                 with(pod("ns", "web-1", labels({{"app", "web"}})),
                      [](PodSpec& p) {
                        p.preferred_affinity = {weighted(10, term("app=cache", kZone))};
                        p.preferred_anti_affinity = {weighted(5, term("app=web", kHost))};
                      }),
                 {"", "", "", "", ""},
                 // raw: n1 +10, n2 +10-5, n3 0, n4 0, n5 0 -> min 0, max 10.
                 {100, 50, 0, 0, 0}});
  out.push_back({"symmetric scoring: existing preferred terms and hardPodAffinityWeight",
                 [](Cluster& c) {
                   three_zones(c);
                   c.add(with(pod("ns", "a", labels({{"app", "a"}}), "n1"), [](PodSpec& p) {
                     p.preferred_affinity = {weighted(7, term("app=web", kZone))};
                   }));
                   c.add(with(pod("ns", "b", labels({{"app", "b"}}), "n3"),
                              [](PodSpec& p) { p.required_affinity = {term("app=web", kHost)}; }));
                   c.add(with(pod("ns", "c", labels({{"app", "c"}}), "n5"), [](PodSpec& p) {
                     p.preferred_anti_affinity = {weighted(3, term("app=web", kZone))};
                   }));
                 },
                 pod("ns", "web", labels({{"app", "web"}})),
                 {"", "", "", "", ""},
                 // raw: n1 7, n2 7, n3 1, n4 0, n5 -3 -> min -3, max 7, diff 10.
                 {100, 100, 40, 30, 0}});
  out.push_back(
      {"negative raw scores normalize from the minimum",
       [](Cluster& c) {
         three_zones(c);
         c.add(pod("ns", "w", labels({{"app", "web"}}), "n3"));
       },
       with(pod("ns", "web-1", labels({{"app", "web"}})),
            [](PodSpec& p) { p.preferred_anti_affinity = {weighted(4, term("app=web", kZone))}; }),
       {"", "", "", "", ""},
       {100, 100, 0, 100, 100}});
  return out;
}

class InterPodAffinityCases : public ::testing::TestWithParam<std::size_t> {};

TEST_P(InterPodAffinityCases, MatchesHandComputedAndReference) {
  Case c = cases()[GetParam()];
  SCOPED_TRACE(c.name);
  Cluster cluster;
  c.setup(cluster);
  InterPodAffinityPolicy policy;
  // First request computes its counts on the spot; the second reads registered views.
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "computed" : "registered");
    auto got = test::evaluate(policy, cluster.state, c.incoming, kAll, true);
    ASSERT_EQ(got.reasons.size(), kAll.size());
    for (std::size_t i = 0; i < kAll.size(); ++i) {
      EXPECT_EQ(got.reasons[i], c.want_reasons[i]) << kAll[i];
      if (got.reasons[i] == kAffinity) {
        EXPECT_TRUE(got.unresolvable[i]) << kAll[i];
      }
      if (got.reasons[i] == kAnti || got.reasons[i] == kExisting) {
        EXPECT_FALSE(got.unresolvable[i]) << kAll[i];
      }
    }
    if (c.want_scores.empty()) {
      for (std::int64_t s : got.normalized)
        EXPECT_EQ(s, 0);
    } else {
      EXPECT_TRUE(got.scored);
      EXPECT_EQ(got.normalized, c.want_scores);
    }
    auto ref = testing::naive_inter_pod_affinity(cluster.world, c.incoming, kAll);
    for (std::size_t i = 0; i < kAll.size(); ++i) {
      EXPECT_EQ(ref.reasons[i], c.want_reasons[i]) << "reference, " << kAll[i];
    }
    if (!c.want_scores.empty()) {
      EXPECT_EQ(ref.normalized, c.want_scores) << "reference";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(KubeScheduler126, InterPodAffinityCases,
                         ::testing::Range<std::size_t>(0, cases().size()));

TEST(InterPodAffinityTest, RegisteredViewsFollowPodEvents) {
  Cluster c;
  three_zones(c);
  InterPodAffinityPolicy policy;
  PodSpec incoming = with(pod("ns", "web-9", labels({{"app", "web"}})),
                          [](PodSpec& p) { p.required_anti_affinity = {term("app=web", kZone)}; });
  auto first = test::evaluate(policy, c.state, incoming, kAll, true);
  EXPECT_EQ(first.reasons, std::vector<std::string>(5, ""));
  EXPECT_EQ(c.state.stats().views, 1u);

  c.add(pod("ns", "web-0", labels({{"app", "web"}}), "n3"));
  auto second = test::evaluate(policy, c.state, incoming, kAll, true);
  EXPECT_EQ(second.reasons, (std::vector<std::string>{"", "", std::string(kAnti), "", ""}));

  // A relabelled node moves its pods' counts to the new domain.
  c.add(node("n3", labels({{kHost, "n3"}, {kZone, "a"}})));
  auto third = test::evaluate(policy, c.state, incoming, kAll, true);
  EXPECT_EQ(third.reasons, (std::vector<std::string>{std::string(kAnti), std::string(kAnti),
                                                     std::string(kAnti), "", ""}));

  c.remove_pod("ns/web-0");
  auto fourth = test::evaluate(policy, c.state, incoming, kAll, true);
  EXPECT_EQ(fourth.reasons, std::vector<std::string>(5, ""));
  EXPECT_EQ(c.state.stats().views, 1u);
}

TEST(InterPodAffinityTest, InvalidSelectorFailsEveryNode) {
  Cluster c;
  three_zones(c);
  PodSpec p = pod("ns", "bad", labels({{"app", "web"}}));
  p.affinity_error = "values: Invalid value: \"a b\"";
  auto got = test::evaluate(InterPodAffinityPolicy(), c.state, p, kAll, false);
  for (std::size_t i = 0; i < kAll.size(); ++i) {
    EXPECT_NE(got.reasons[i].find("invalid pod affinity"), std::string::npos);
    EXPECT_TRUE(got.unresolvable[i]);
  }
}

// Random clusters, pods and churn: the incremental policy must agree with the reference
// transcription of kube-scheduler on every node, before and after its views are registered,
// and while pods and nodes change underneath registered views.
TEST(InterPodAffinityTest, AgreesWithReferenceOnRandomClusters) {
  std::mt19937 rng(20261125);
  auto pick = [&](auto& v) -> auto& {
    return v[rng() % v.size()];
  };
  std::vector<std::string> apps = {"web", "db", "cache", "batch"};
  std::vector<std::string> namespaces = {"a", "b", "c"};
  std::vector<std::string> keys = {kHost, kZone, "topology.berth.dev/rack", "absent"};
  std::vector<std::string> selectors = {
      "app=web", "app=db", "app in (web,cache)", "app", "app notin (db)", "tier=x", "!tier", ""};
  auto random_term = [&]() {
    std::vector<std::string> ns;
    std::optional<std::string_view> nss;
    switch (rng() % 5) {
      case 0:
        ns = {pick(namespaces)};
        break;
      case 1:
        nss = "team=x";
        break;
      case 2:
        nss = "";
        break;
      default:
        break;
    }
    return term(pick(selectors), pick(keys), ns, nss, static_cast<std::int32_t>(1 + rng() % 9));
  };
  auto random_pod = [&](const std::string& name, std::string node_name) {
    StringLabels l = {{"app", pick(apps)}};
    if (rng() % 3 == 0) l.emplace_back("tier", "x");
    PodSpec p = pod(pick(namespaces), name, labels(l), std::move(node_name));
    if (rng() % 4 == 0) p.required_anti_affinity.push_back(random_term());
    if (rng() % 6 == 0) p.required_affinity.push_back(random_term());
    if (rng() % 4 == 0) p.preferred_affinity.push_back(random_term());
    if (rng() % 4 == 0) p.preferred_anti_affinity.push_back(random_term());
    return p;
  };
  InterPodAffinityPolicy policy;
  std::map<std::string, int> seen_reasons;
  int spread_scores = 0;
  for (int world = 0; world < 40; ++world) {
    Cluster c(ClusterStateOptions{.max_views = 64, .hard_pod_affinity_weight = 1 + world % 3});
    c.add_namespace("a", labels({{"team", "x"}}));
    c.add_namespace("b", labels({{"team", "y"}}));
    std::vector<std::string> node_names;
    int node_count = 4 + static_cast<int>(rng() % 8);
    for (int i = 0; i < node_count; ++i) {
      std::string name = "n" + std::to_string(i);
      StringLabels l = {{kHost, name}};
      if (rng() % 5 != 0)
        l.emplace_back(kZone, rng() % 7 == 0 ? "" : "z" + std::to_string(rng() % 3));
      if (rng() % 2 == 0)
        l.emplace_back("topology.berth.dev/rack", "r" + std::to_string(rng() % 4));
      c.add(node(name, labels(l)));
      node_names.push_back(name);
    }
    int pod_count = static_cast<int>(rng() % 30);
    for (int i = 0; i < pod_count; ++i)
      c.add(random_pod("p" + std::to_string(i), pick(node_names)));
    for (int request = 0; request < 12; ++request) {
      SCOPED_TRACE("world " + std::to_string(world) + " request " + std::to_string(request));
      PodSpec incoming = random_pod("incoming", "");
      incoming.required_anti_affinity.push_back(random_term());
      if (request % 3 == 0) incoming.required_affinity.push_back(random_term());
      incoming.preferred_affinity.push_back(random_term());
      auto got = test::evaluate(policy, c.state, incoming, node_names, true);
      auto ref = testing::naive_inter_pod_affinity(c.world, incoming, node_names);
      EXPECT_EQ(got.reasons, ref.reasons);
      EXPECT_EQ(got.normalized, ref.normalized);
      for (const std::string& r : got.reasons)
        ++seen_reasons[r];
      if (std::any_of(got.normalized.begin(), got.normalized.end(),
                      [](std::int64_t s) { return s > 0 && s < 100; })) {
        ++spread_scores;
      }
      if (!got.scored) {
        for (std::int64_t r : ref.raw)
          EXPECT_EQ(r, 0);
      } else {
        EXPECT_EQ(got.raw, ref.raw);
      }
      // Churn between requests: pods come and go, nodes get relabelled or disappear.
      switch (rng() % 4) {
        case 0:
          c.add(random_pod("q" + std::to_string(request), pick(node_names)));
          break;
        case 1:
          if (!c.world.pods.empty()) c.remove_pod(pick(c.world.pods).uid);
          break;
        case 2: {
          std::string name = pick(node_names);
          c.add(node(name, labels({{kHost, name}, {kZone, "z" + std::to_string(rng() % 3)}})));
          break;
        }
        default: {
          std::string name = pick(node_names);
          c.remove_node(name);
          c.add(node(name, labels({{kHost, name}})));
          break;
        }
      }
    }
  }
  // The random worlds exercise every outcome, not only the trivial one.
  EXPECT_GT(seen_reasons[""], 100);
  EXPECT_GT(seen_reasons[std::string(kAffinity)], 20);
  EXPECT_GT(seen_reasons[std::string(kAnti)], 20);
  EXPECT_GT(seen_reasons[std::string(kExisting)], 20);
  EXPECT_GT(spread_scores, 20);
}

}  // namespace
}  // namespace berth::extender
