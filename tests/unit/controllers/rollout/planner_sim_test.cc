// The planner driven through whole rollouts on ClusterModel, one simulated second per reconcile,
// with the zero-downtime invariant checked around every reconcile:
//  - per tick: applying a plan never takes ready serving pods below min(floor, what was ready
//    just before) - pods that fail on their own are the only other way down;
//  - globally, where no serving pod fails on its own and replicas do not change: once the
//    floor is reached, ready serving pods never drop below it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <random>
#include <set>
#include <sstream>

#include "tests/unit/controllers/rollout/cluster_model.h"

namespace berth::rollout::testing {
namespace {

using std::chrono::seconds;

std::string canary_spec(std::string_view canary, int replicas = 10, std::string_view extra = "") {
  std::ostringstream s;
  s << R"({"replicas":)" << replicas << R"(,"selector":{"matchLabels":{"app":"web"}},)"
    << R"("template":{"metadata":{"labels":{"app":"web"}},)"
    << R"("spec":{"containers":[{"name":"app","image":"v1"}]}},)";
  if (!extra.empty()) s << extra << ",";
  s << R"("strategy":{"canary":)" << canary << "}}";
  return s.str();
}

std::string blue_green_spec(std::string_view blue_green, int replicas = 4,
                            std::string_view extra = "") {
  std::ostringstream s;
  s << R"({"replicas":)" << replicas << R"(,"selector":{"matchLabels":{"app":"web"}},)"
    << R"("template":{"metadata":{"labels":{"app":"web"}},)"
    << R"("spec":{"containers":[{"name":"app","image":"v1"}]}},)";
  if (!extra.empty()) s << extra << ",";
  s << R"("strategy":{"blueGreen":)" << blue_green << "}}";
  return s.str();
}

// Drives a model and checks the invariants on every tick.
class Runner {
 public:
  Runner(ClusterModel& model, std::string context) : m_(model), context_(std::move(context)) {}

  // Serving pods may fail on their own (a crash-looping canary): only the per-tick invariant.
  void allow_spontaneous_failures() { global_ = false; }
  // After a scale-up the floor is only reached once the new pods are ready.
  void replicas_changed() { floor_reached_ = false; }

  const TickResult& tick() {
    last_ = m_.tick();
    ++ticks_;
    int required = std::min(last_.floor, last_.serving_before);
    if (last_.serving_after < required && violations_++ < 3) {
      ADD_FAILURE() << context_ << " tick " << ticks_ << ": a plan took serving pods from "
                    << last_.serving_before << " to " << last_.serving_after << " (floor "
                    << last_.floor << "); status: " << m_.status().message;
    }
    int serving = m_.serving_ready();
    if (global_ && floor_reached_ && serving < last_.floor && violations_++ < 3) {
      ADD_FAILURE() << context_ << " tick " << ticks_ << ": serving pods " << serving
                    << " below floor " << last_.floor << "; status: " << m_.status().message;
    }
    if (serving >= last_.floor) floor_reached_ = true;
    splits_.insert({canary_pods(), stable_pods()});
    return last_;
  }

  // Ticks until `done` holds; false (with a failure) after `limit` ticks.
  bool run_until(const std::function<bool()>& done, int limit, std::string_view what) {
    for (int i = 0; i < limit; ++i) {
      if (done()) return true;
      tick();
    }
    if (done()) return true;
    std::ostringstream history;
    for (const HistoryEntry& h : m_.status().history) {
      history << "\n  rev " << h.revision << " " << h.hash << " " << h.event << ": " << h.reason
              << " (" << h.by << ")";
    }
    for (const WorkloadModel& w : m_.workloads()) {
      int ready = 0;
      for (const PodModel& p : w.pods)
        ready += p.ready ? 1 : 0;
      history << "\n  workload " << w.name << " replicas=" << w.replicas
              << " pods=" << w.pods.size() << " ready=" << ready;
    }
    for (const std::string svc : {"s", "c", "a", "p", "web"}) {
      if (auto pin = m_.pinned(svc)) history << "\n  service " << svc << " -> " << *pin;
    }
    ADD_FAILURE() << context_ << ": not " << what << " after " << limit
                  << " ticks; phase=" << phase_name(m_.status().phase)
                  << " message=" << m_.status().message << "; history:" << history.str();
    return false;
  }

  bool healthy_on(const std::string& hash) const {
    const RolloutStatus& s = m_.status();
    if (s.phase != Phase::kHealthy || s.stable_hash != hash) return false;
    for (const WorkloadModel& w : m_.workloads()) {
      bool stable = w.kind == Workload::Kind::kReplicaSet && w.hash == hash;
      int ready = 0;
      for (const PodModel& p : w.pods)
        ready += p.ready ? 1 : 0;
      if (stable && (ready < m_.replicas() || w.replicas != m_.replicas())) return false;
      if (!stable && !w.pods.empty() && !held(w)) return false;
    }
    return true;
  }

  bool aborted_to_stable() const {
    const RolloutStatus& s = m_.status();
    if (s.phase != Phase::kAborted) return false;
    const WorkloadModel* canary = m_.workload_by_hash(m_.desired_hash());
    if (canary != nullptr && !canary->pods.empty()) return false;
    int ready = 0;
    if (const WorkloadModel* stable = m_.workload_by_hash(s.stable_hash)) {
      for (const PodModel& p : stable->pods)
        ready += p.ready ? 1 : 0;
    } else if (const WorkloadModel* d = m_.deployment()) {
      for (const PodModel& p : d->pods)
        ready += p.ready ? 1 : 0;
    }
    return ready >= m_.replicas();
  }

  int canary_pods() const {
    const WorkloadModel* w = m_.workload_by_hash(m_.status().canary_hash);
    return w != nullptr && m_.status().canary_hash != m_.status().stable_hash ? w->replicas : 0;
  }
  int stable_pods() const {
    const WorkloadModel* w = m_.workload_by_hash(m_.status().stable_hash);
    return w != nullptr ? w->replicas : 0;
  }
  const std::set<std::pair<int, int>>& splits() const { return splits_; }
  int ticks() const { return ticks_; }

 private:
  bool held(const WorkloadModel& w) const {
    for (const ScaleDownDeadline& d : m_.status().scale_down_deadlines) {
      std::string id =
          (w.kind == Workload::Kind::kReplicaSet ? "ReplicaSet/" : "Deployment/") + w.name;
      if (d.workload == id && d.at > m_.now()) return true;
    }
    return false;
  }

  ClusterModel& m_;
  std::string context_;
  TickResult last_;
  bool global_ = true;
  bool floor_reached_ = false;
  int violations_ = 0;
  int ticks_ = 0;
  std::set<std::pair<int, int>> splits_;
};

bool has_event(ClusterModel& m, std::string_view reason) {
  for (const EventRecord& e : m.events()) {
    if (e.reason == reason) return true;
  }
  return false;
}

TEST(PlannerSim, CanaryOfTenThroughTwentyFiftyHundredWithPauses) {
  ClusterModel m(canary_spec(R"({"maxSurge":1,"maxUnavailable":0,
      "stableService":"web-stable","canaryService":"web-canary",
      "steps":[{"setWeight":20},{"pause":{"duration":"20s"}},{"setWeight":50},{"pause":{}},
               {"setWeight":100}]})"),
                 {.seed = 7});
  m.add_service("web-stable");
  m.add_service("web-canary");
  Runner r(m, "canary");
  std::string v1 = m.desired_hash();
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v1); }, 200, "healthy on v1"));
  EXPECT_EQ(m.pinned("web-stable"), v1);
  EXPECT_EQ(m.pinned("web-canary"), v1);

  m.set_image("v2");
  std::string v2 = m.desired_hash();
  ASSERT_TRUE(r.run_until([&] { return m.status().current_step_index == 1; }, 200, "at step 2"));
  EXPECT_EQ(r.canary_pods(), 2);
  EXPECT_EQ(r.stable_pods(), 8);
  EXPECT_EQ(m.status().phase, Phase::kPaused);
  EXPECT_EQ(m.pinned("web-canary"), v2);
  EXPECT_EQ(m.pinned("web-stable"), v1);
  kube::SystemTime paused_at = m.now();
  ASSERT_TRUE(r.run_until([&] { return m.status().current_step_index == 3; }, 200, "at step 4"));
  EXPECT_GE(m.now() - paused_at, seconds(20));
  EXPECT_EQ(r.canary_pods(), 5);
  EXPECT_EQ(r.stable_pods(), 5);
  // An indefinite pause holds until promoted.
  for (int i = 0; i < 120; ++i)
    r.tick();
  EXPECT_EQ(m.status().current_step_index, 3);
  EXPECT_EQ(m.status().phase, Phase::kPaused);
  EXPECT_EQ(r.canary_pods(), 5);
  m.set_action("promote@tester");
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v2); }, 300, "healthy on v2"));
  EXPECT_EQ(m.pinned("web-stable"), v2);
  EXPECT_EQ(m.pinned("web-canary"), v2);
  EXPECT_TRUE(r.splits().count({2, 8}));
  EXPECT_TRUE(r.splits().count({5, 5}));
  EXPECT_TRUE(has_event(m, "Promoted"));
  // The history says who promoted.
  bool promoted_by_tester = false;
  for (const HistoryEntry& h : m.status().history) {
    promoted_by_tester |= h.event == "PromoteRequested" && h.by == "tester";
  }
  EXPECT_TRUE(promoted_by_tester);
  // Never more than replicas + maxSurge pods scheduled.
  EXPECT_LE(m.total_pods(), 11);
}

TEST(PlannerSim, SurgeIsNeverExceeded) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    ClusterModel m(canary_spec(R"({"maxSurge":2,"maxUnavailable":1,
        "steps":[{"setWeight":30},{"setWeight":60},{"setWeight":100}]})"),
                   {.seed = seed});
    Runner r(m, "surge seed " + std::to_string(seed));
    ASSERT_TRUE(r.run_until([&] { return r.healthy_on(m.desired_hash()); }, 200, "healthy"));
    m.set_image("v2");
    int most = 0;
    while (!r.healthy_on(m.desired_hash()) && r.ticks() < 1000) {
      r.tick();
      int replicas = 0;
      for (const WorkloadModel& w : m.workloads())
        replicas += w.replicas;
      most = std::max(most, replicas);
    }
    EXPECT_TRUE(r.healthy_on(m.desired_hash()));
    EXPECT_LE(most, 12) << "seed " << seed;
  }
}

TEST(PlannerSim, BlueGreenSwitchesAfterPromotionAndKeepsTheOldRevisionForTheDelay) {
  ClusterModel m(blue_green_spec(R"({"activeService":"web","previewService":"web-preview",
      "autoPromotion":false,"scaleDownDelaySeconds":15})"),
                 {.seed = 3});
  m.add_service("web");
  m.add_service("web-preview");
  Runner r(m, "blue-green");
  std::string v1 = m.desired_hash();
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v1); }, 200, "healthy on v1"));
  EXPECT_EQ(m.pinned("web"), v1);

  m.set_image("v2");
  std::string v2 = m.desired_hash();
  ASSERT_TRUE(
      r.run_until([&] { return m.status().phase == Phase::kPaused; }, 200, "awaiting promotion"));
  EXPECT_EQ(m.pinned("web-preview"), v2);
  EXPECT_EQ(m.pinned("web"), v1);
  EXPECT_EQ(m.workload_by_hash(v2)->replicas, 4);
  for (int i = 0; i < 60; ++i)
    r.tick();
  EXPECT_EQ(m.pinned("web"), v1) << "switched without promotion";

  m.set_action("promote");
  ASSERT_TRUE(r.run_until([&] { return m.pinned("web") == v2; }, 50, "switched"));
  kube::SystemTime switched = m.now();
  EXPECT_EQ(m.workload_by_hash(v1)->replicas, 4);
  ASSERT_TRUE(
      r.run_until([&] { return m.workload_by_hash(v1)->replicas == 0; }, 100, "old scaled down"));
  EXPECT_GE(m.now() - switched, seconds(14));
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v2); }, 100, "healthy on v2"));
}

TEST(PlannerSim, BlueGreenAutoPromotionWaitsForPrePromotionAnalysis) {
  ClusterModel m(blue_green_spec(R"({"activeService":"web","scaleDownDelaySeconds":0,
      "prePromotionAnalysis":{"checks":[{"name":"h","http":{"url":"http://p/h"},
                                         "interval":"5s","count":3}]}})"),
                 {.seed = 4});
  m.add_service("web");
  m.set_behaviour("v3", Behaviour::kHttpFails);
  Runner r(m, "blue-green analysis");
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(m.desired_hash()); }, 200, "healthy"));
  m.set_image("v2");
  std::string v2 = m.desired_hash();
  ASSERT_TRUE(r.run_until(
      [&] { return m.workload_by_hash(v2) && m.workload_by_hash(v2)->status_available == 4; }, 100,
      "preview ready"));
  kube::SystemTime ready = m.now();
  ASSERT_TRUE(r.run_until([&] { return m.pinned("web") == v2; }, 100, "switched"));
  EXPECT_GE(m.now() - ready, seconds(14)) << "switched before 3 measurements 5s apart";
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v2); }, 100, "healthy on v2"));

  m.set_image("v3");
  ASSERT_TRUE(r.run_until([&] { return r.aborted_to_stable(); }, 200, "aborted"));
  EXPECT_EQ(m.pinned("web"), v2);
  EXPECT_EQ(m.status().abort->reason, "AnalysisFailed");
  EXPECT_NE(m.status().abort->message.find("HTTP 500"), std::string::npos)
      << m.status().abort->message;
}

TEST(PlannerSim, NeverReadyCanaryIsRolledBackAtTheProgressDeadline) {
  ClusterModel m(canary_spec(R"({"maxSurge":"25%","maxUnavailable":0,"stableService":"s",
      "steps":[{"setWeight":20},{"pause":{}},{"setWeight":100}]})",
                             10, R"("progressDeadlineSeconds":30)"),
                 {.seed = 11});
  m.add_service("s");
  m.set_behaviour("v2", Behaviour::kNeverReady);
  Runner r(m, "never ready");
  std::string v1 = m.desired_hash();
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v1); }, 200, "healthy"));
  m.set_image("v2");
  kube::SystemTime changed = m.now();
  ASSERT_TRUE(r.run_until([&] { return r.aborted_to_stable(); }, 120, "rolled back"));
  EXPECT_GE(m.now() - changed, seconds(30));
  EXPECT_LE(m.now() - changed, seconds(40));
  EXPECT_EQ(m.status().abort->reason, "ProgressDeadlineExceeded");
  EXPECT_EQ(m.pinned("s"), v1);
  const Condition* progressing = find_condition(m.status().conditions, "Progressing");
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ(progressing->status, "False");
  EXPECT_EQ(progressing->reason, "RolloutAborted");
  EXPECT_TRUE(has_event(m, "ProgressDeadlineExceeded"));
  // It stays aborted (no retry storm) until asked.
  for (int i = 0; i < 100; ++i)
    r.tick();
  EXPECT_TRUE(r.aborted_to_stable());
}

TEST(PlannerSim, CrashLoopingCanaryIsRolledBack) {
  // minReadySeconds longer than the pods live: they never count as available, so the stable
  // revision is never scaled down for them and no capacity is lost even while they flap.
  ClusterModel m(canary_spec(R"({"maxSurge":2,"maxUnavailable":0,
      "steps":[{"setWeight":40},{"pause":{"duration":"1m"}},{"setWeight":100}],
      "analysis":{"checks":[{"name":"restarts","restarts":{"maxRestarts":2},"interval":"2s"}]}})",
                             6, R"("minReadySeconds":10)"),
                 {.seed = 5});
  m.set_behaviour("v2", Behaviour::kCrashAfterReady);
  Runner r(m, "crash loop");
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(m.desired_hash()); }, 200, "healthy"));
  m.set_image("v2");
  ASSERT_TRUE(r.run_until([&] { return r.aborted_to_stable(); }, 120, "rolled back"));
  EXPECT_EQ(m.status().abort->reason, "AnalysisFailed");
  EXPECT_NE(m.status().abort->message.find("CrashLoopBackOff"), std::string::npos)
      << m.status().abort->message;
}

TEST(PlannerSim, CrashAfterAvailableStillRecoversCapacity) {
  // Without minReadySeconds the canary counts as available before it crashes; capacity dips
  // (not by the controller's hand) and the abort restores it.
  ClusterModel m(canary_spec(R"({"maxSurge":1,"maxUnavailable":0,
      "steps":[{"setWeight":50},{"pause":{"duration":"30s"}}],
      "analysis":{"checks":[{"name":"restarts","restarts":{"maxRestarts":0},"interval":"1s"}]}})",
                             4),
                 {.seed = 9});
  m.set_behaviour("v2", Behaviour::kCrashAfterReady);
  Runner r(m, "crash after available");
  r.allow_spontaneous_failures();
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(m.desired_hash()); }, 200, "healthy"));
  m.set_image("v2");
  ASSERT_TRUE(r.run_until([&] { return r.aborted_to_stable(); }, 120, "rolled back"));
  EXPECT_EQ(m.serving_ready(), 4);
}

TEST(PlannerSim, AbortRetryAndPromoteFullMidway) {
  ClusterModel m(canary_spec(R"({"maxSurge":1,"maxUnavailable":1,"canaryService":"c",
      "steps":[{"setWeight":30},{"pause":{}},{"setWeight":60},{"pause":{}}]})"),
                 {.seed = 13});
  m.add_service("c");
  Runner r(m, "abort/retry");
  std::string v1 = m.desired_hash();
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v1); }, 200, "healthy"));
  m.set_image("v2");
  std::string v2 = m.desired_hash();
  ASSERT_TRUE(r.run_until([&] { return m.status().phase == Phase::kPaused; }, 200, "paused"));
  EXPECT_EQ(r.canary_pods(), 3);
  m.set_action("abort@oncall");
  ASSERT_TRUE(r.run_until([&] { return r.aborted_to_stable(); }, 100, "aborted"));
  EXPECT_EQ(m.status().abort->reason, "AbortRequested");
  EXPECT_EQ(m.pinned("c"), v1) << "canary Service back on stable";
  // promote is refused while aborted; retry starts over.
  m.set_action("promote");
  for (int i = 0; i < 5; ++i)
    r.tick();
  EXPECT_TRUE(r.aborted_to_stable());
  EXPECT_TRUE(has_event(m, "ActionIgnored"));
  m.set_action("retry");
  ASSERT_TRUE(r.run_until([&] { return m.status().phase == Phase::kPaused; }, 200, "paused again"));
  EXPECT_EQ(m.status().current_step_index, 1);
  m.set_action("promote-full");
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v2); }, 200, "fully promoted"));
}

TEST(PlannerSim, RollbackToTheStableRevisionAndToAnOlderOne) {
  ClusterModel m(canary_spec(R"({"maxSurge":1,"maxUnavailable":0,
      "steps":[{"setWeight":50},{"pause":{}}]})",
                             4),
                 {.seed = 17});
  Runner r(m, "rollback");
  std::string v1 = m.desired_hash();
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v1); }, 200, "healthy v1"));
  m.set_image("v2");
  std::string v2 = m.desired_hash();
  ASSERT_TRUE(r.run_until([&] { return m.status().phase == Phase::kPaused; }, 200, "paused"));
  m.set_action("promote");
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v2); }, 200, "healthy v2"));
  m.set_image("v3");
  ASSERT_TRUE(r.run_until([&] { return m.status().phase == Phase::kPaused; }, 200, "paused v3"));
  // Rolling back while v3 is a canary goes to the stable revision (v2) at once.
  m.set_action("rollback@alice");
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v2); }, 200, "back on v2"));
  EXPECT_EQ(m.desired_hash(), v2);
  // Revision 1 (v1) was stable before: going back to it skips the steps.
  m.set_action("rollback:1");
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v1); }, 200, "back on v1"));
  bool paused_on_the_way = false;
  for (const HistoryEntry& h : m.status().history) {
    if (h.event == "PromoteRequested") paused_on_the_way = true;
  }
  EXPECT_TRUE(paused_on_the_way);  // from the first promotion only
  EXPECT_EQ(m.workload_by_hash(v1)->revision, 5) << "an old revision that returns is renumbered";
  EXPECT_EQ(m.status().history.back().event, "Promoted");
}

TEST(PlannerSim, ScaleChangesMidCanaryKeepCapacity) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    ClusterModel m(canary_spec(R"({"maxSurge":"20%","maxUnavailable":"10%",
        "steps":[{"setWeight":50},{"pause":{}}]})"),
                   {.seed = seed});
    Runner r(m, "scale seed " + std::to_string(seed));
    ASSERT_TRUE(r.run_until([&] { return r.healthy_on(m.desired_hash()); }, 200, "healthy"));
    m.set_image("v2");
    ASSERT_TRUE(r.run_until([&] { return m.status().phase == Phase::kPaused; }, 300, "paused"));
    // An HPA scales the Rollout down, then up, while the canary is at 50%.
    m.set_replicas(4);
    r.replicas_changed();
    ASSERT_TRUE(r.run_until(
        [&] {
          return m.status().phase == Phase::kPaused && r.canary_pods() == 2 && r.stable_pods() == 2;
        },
        300, "re-split at 4"));
    m.set_replicas(13);
    r.replicas_changed();
    ASSERT_TRUE(r.run_until(
        [&] {
          return m.status().phase == Phase::kPaused && r.canary_pods() == 7 &&
                 r.stable_pods() == 6 && m.serving_ready() == 13;
        },
        300, "re-split at 13"));
    m.set_action("promote");
    ASSERT_TRUE(r.run_until([&] { return r.healthy_on(m.desired_hash()); }, 300, "promoted"));
  }
}

TEST(PlannerSim, TakesOverADeploymentAndHandsItBack) {
  for (bool blue_green : {false, true}) {
    std::string ref = R"({"selector":{"matchLabels":{"app":"web"}},
        "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"v1"}]}},
        "strategy":)";
    ref += blue_green ? R"({"blueGreen":{"activeService":"web","scaleDownDelaySeconds":5}}})"
                      : R"({"canary":{"maxSurge":1,"maxUnavailable":1,"stableService":"web",
                                      "steps":[{"setWeight":50},{"pause":{}}]}}})";
    ClusterModel m(ref, {.seed = 21});
    m.add_service("web");
    m.add_deployment("web", 5);
    Runner r(m, blue_green ? "takeover blue-green" : "takeover canary");
    std::string v1 = m.desired_hash();
    ASSERT_TRUE(r.run_until([&] { return r.healthy_on(v1) && m.deployment()->pods.empty(); }, 300,
                            "took over"));
    EXPECT_EQ(m.deployment()->replicas, 0);
    EXPECT_EQ(m.pinned("web"), v1);
    // The takeover itself is not a canary: no pause on the way.
    for (const HistoryEntry& h : m.status().history)
      EXPECT_NE(h.event, "PromoteRequested");

    m.start_deletion();
    ASSERT_TRUE(r.run_until([&] { return m.released(); }, 300, "handed back"));
    EXPECT_EQ(m.deployment()->replicas, 5);
    int ready = 0;
    for (const PodModel& p : m.deployment()->pods)
      ready += p.ready ? 1 : 0;
    EXPECT_GE(ready, blue_green ? 5 : 4);
    EXPECT_EQ(m.pinned("web"), std::nullopt);
  }
}

TEST(PlannerSim, InvalidActionsAreReportedAndAcknowledged) {
  ClusterModel m(canary_spec(R"({"steps":[{"setWeight":50}]})", 2), {.seed = 1});
  Runner r(m, "invalid action");
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(m.desired_hash()); }, 100, "healthy"));
  m.set_action("launch-missiles");
  r.tick();
  EXPECT_TRUE(has_event(m, "InvalidAction"));
  EXPECT_EQ(m.status().action_ack, "launch-missiles");
  r.tick();
  EXPECT_EQ(m.status().action_ack, "");  // the annotation is gone; the ack is cleared
}

TEST(PlannerSim, FirstRevisionThatNeverBecomesReadyIsDegraded) {
  ClusterModel m(canary_spec(R"({})", 3, R"("progressDeadlineSeconds":20)"), {.seed = 2});
  m.set_behaviour("v1", Behaviour::kNeverReady);
  Runner r(m, "first revision never ready");
  ASSERT_TRUE(r.run_until([&] { return m.status().phase == Phase::kDegraded; }, 60, "degraded"));
  EXPECT_EQ(find_condition(m.status().conditions, "Progressing")->reason,
            "ProgressDeadlineExceeded");
  EXPECT_EQ(find_condition(m.status().conditions, "Available")->status, "False");
  // A fixed template recovers it.
  m.set_image("v2");
  ASSERT_TRUE(r.run_until([&] { return r.healthy_on(m.desired_hash()); }, 300, "recovered"));
}

// Random rollouts: strategies, sizes, surge/unavailability, steps, failing revisions, scale
// changes, template changes mid-flight, operations, lost writes, crashes and stale status.
TEST(PlannerSim, RandomRolloutsKeepTheInvariantAndConverge) {
  // BERTH_ROLLOUT_SIM_RUNS=5000 for a deeper search than CI's default.
  // BERTH_ROLLOUT_SIM_FIRST=<n> starts at run n (to replay a failure).
  int runs = 300;
  int first = 0;
  if (const char* env = std::getenv("BERTH_ROLLOUT_SIM_RUNS")) runs = std::max(1, std::atoi(env));
  if (const char* env = std::getenv("BERTH_ROLLOUT_SIM_FIRST")) first = std::max(0, std::atoi(env));
  for (int run = first; run < first + runs; ++run) {
    std::mt19937_64 rng(1000 + run);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    auto chance = [&](double p) { return std::bernoulli_distribution(p)(rng); };

    bool canary = chance(0.65);
    int replicas = pick(1, 12);
    std::string spec;
    std::ostringstream steps;
    if (canary) {
      int surge = pick(0, 3);
      int unavailable = surge == 0 ? pick(1, 2) : pick(0, 2);
      bool percent = chance(0.3);
      std::ostringstream c;
      if (percent) {
        c << R"({"maxSurge":")" << surge * 15 << R"(%","maxUnavailable":")" << unavailable * 15
          << R"(%",)";
      } else {
        c << R"({"maxSurge":)" << surge << R"(,"maxUnavailable":)" << unavailable << ",";
      }
      c << R"("stableService":"s","canaryService":"c","steps":[)";
      int n = pick(0, 5);
      for (int i = 0; i < n; ++i) {
        if (i > 0) c << ",";
        int kind = pick(0, 3);
        if (kind <= 1) {
          c << R"({"setWeight":)" << pick(0, 100) << "}";
        } else if (kind == 2) {
          c << (chance(0.5) ? R"({"pause":{}})"
                            : R"({"pause":{"duration":")" + std::to_string(pick(1, 20)) + "s\"}}");
        } else {
          c << R"({"analysis":{"checks":[{"name":"r","podReadiness":{},"interval":"2s","count":2}]}})";
        }
      }
      c << "]";
      if (chance(0.4)) {
        c << R"(,"analysis":{"checks":[{"name":"restarts","restarts":{"maxRestarts":1},"interval":"3s"}]})";
      }
      c << "}";
      spec = canary_spec(c.str(), replicas,
                         R"("progressDeadlineSeconds":)" + std::to_string(pick(20, 60)));
    } else {
      std::ostringstream b;
      b << R"({"activeService":"a","previewService":"p","autoPromotion":)"
        << (chance(0.5) ? "true" : "false") << R"(,"scaleDownDelaySeconds":)" << pick(0, 10);
      if (chance(0.3)) {
        b << R"(,"prePromotionAnalysis":{"checks":[{"name":"h","http":{"url":"http://x"},"count":2,"interval":"2s"}]})";
      }
      b << "}";
      spec = blue_green_spec(b.str(), replicas,
                             R"("progressDeadlineSeconds":)" + std::to_string(pick(20, 60)));
    }
    ModelOptions options;
    options.seed = 5000 + run;
    options.max_ready_delay_seconds = pick(1, 10);
    options.write_failure = chance(0.5) ? 0.0 : pick(1, 30) / 100.0;
    options.crash = chance(0.5) ? 0.0 : pick(1, 10) / 100.0;
    // Stale ReplicaSet status only understates readiness for pods that never fail on their own,
    // so it is combined with the failure modes that keep the per-tick invariant meaningful.
    options.stale_status = chance(0.3) ? pick(1, 30) / 100.0 : 0.0;
    ClusterModel m(spec, options);
    for (const char* svc : {"s", "c", "a", "p"})
      m.add_service(svc);

    std::string context = "run " + std::to_string(run) + " spec " + spec;
    Runner r(m, context);
    bool spontaneous = false;
    int images = 1;
    std::string current = "v1";
    auto new_image = [&]() {
      current = "v" + std::to_string(++images);
      int b = pick(0, 9);
      Behaviour behaviour = b < 6   ? Behaviour::kGood
                            : b < 8 ? Behaviour::kNeverReady
                            : b < 9 ? Behaviour::kHttpFails
                                    : Behaviour::kCrashAfterReady;
      if (behaviour == Behaviour::kCrashAfterReady) {
        if (options.stale_status > 0) behaviour = Behaviour::kNeverReady;
        spontaneous = true;
      }
      m.set_behaviour(current, behaviour);
      m.set_image(current);
    };
    if (!r.run_until([&] { return r.healthy_on(m.desired_hash()); }, 400, "initially healthy")) {
      continue;
    }
    int disturbances = pick(1, 4);
    for (int d = 0; d < disturbances; ++d) {
      int what = pick(0, 9);
      if (what <= 5 || d == 0) {
        new_image();
      } else if (what == 6) {
        m.set_replicas(pick(1, 12));
        r.replicas_changed();
      } else if (what == 7) {
        m.set_action(chance(0.5) ? "abort" : "retry");
      } else if (what == 8) {
        m.set_action(chance(0.5) ? "promote" : "promote-full");
      } else {
        m.set_action("rollback");
      }
      if (spontaneous) r.allow_spontaneous_failures();
      int span = pick(0, 40);
      for (int i = 0; i < span; ++i) {
        r.tick();
        // Promote indefinite pauses and manual blue-green now and then.
        // Each request is distinct, as the kubectl plugin makes them: a value equal to the
        // one just applied reads as the same request.
        if (m.status().phase == Phase::kPaused && chance(0.05)) {
          m.set_action("promote@sim-" + std::to_string(r.ticks()));
        }
      }
    }
    // Settle: keep promoting pauses; it must end healthy on the desired revision or aborted
    // back to a full stable one.
    bool settled = r.run_until(
        [&] {
          if (m.status().phase == Phase::kPaused) {
            m.set_action("promote@settle-" + std::to_string(r.ticks()));
          }
          // A revision whose pods all became ready and crashed only after it was promoted
          // (no analysis caught it) leaves the Rollout Degraded on it: a legitimate end.
          const WorkloadModel* stable = m.workload_by_hash(m.status().stable_hash);
          bool crashed_after_promotion =
              (m.status().phase == Phase::kDegraded || m.status().phase == Phase::kAborted) &&
              stable != nullptr && stable->behaviour == Behaviour::kCrashAfterReady;
          return r.healthy_on(m.desired_hash()) || r.aborted_to_stable() || crashed_after_promotion;
        },
        2000, "settled");
    if (!settled) continue;
    if (r.aborted_to_stable()) {
      // Aborted only for a reason.
      ASSERT_TRUE(m.status().abort.has_value()) << context;
    }
    if (::testing::Test::HasFailure()) break;  // one broken run is enough to read
  }
}

}  // namespace
}  // namespace berth::rollout::testing
