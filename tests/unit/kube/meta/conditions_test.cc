#include "kube/meta/conditions.h"

#include <gtest/gtest.h>

namespace kube {
namespace {

using namespace std::chrono_literals;

const SystemTime kT0 = SystemTime(std::chrono::seconds(1'795'000'000));

TEST(ConditionsTest, TransitionTimeMovesOnlyWhenStatusChanges) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::Value status(rapidjson::kObjectType);
  Condition ready{"Ready", std::string(kConditionFalse), "Waiting", "pods starting", 1, {}};
  EXPECT_TRUE(set_condition(status, ready, a, kT0));
  auto c = find_condition(&status, "Ready");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->last_transition_time, kT0);
  EXPECT_FALSE(is_condition_true(&status, "Ready"));

  // Same status, new message: updated, time kept.
  ready.message = "2/3 pods ready";
  EXPECT_TRUE(set_condition(status, ready, a, kT0 + 10s));
  EXPECT_EQ(find_condition(&status, "Ready")->last_transition_time, kT0);
  EXPECT_EQ(find_condition(&status, "Ready")->message, "2/3 pods ready");
  // Nothing new: no change reported (so no status write).
  EXPECT_FALSE(set_condition(status, ready, a, kT0 + 20s));
  // Status flips: the time moves.
  ready.status = kConditionTrue;
  ready.reason = "Available";
  EXPECT_TRUE(set_condition(status, ready, a, kT0 + 30s));
  EXPECT_EQ(find_condition(&status, "Ready")->last_transition_time, kT0 + 30s);
  EXPECT_TRUE(is_condition_true(&status, "Ready"));
  EXPECT_EQ(json::dump(status),
            R"({"conditions":[{"type":"Ready","status":"True","observedGeneration":1,)"
            R"("lastTransitionTime":")" +
                format_time(kT0 + 30s) + R"(","reason":"Available","message":"2/3 pods ready"}]})");
}

TEST(ConditionsTest, SeveralConditionsAndRemoval) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::Value status(rapidjson::kObjectType);
  set_condition(status, {"Ready", "True", "R", "", 0, {}}, a, kT0);
  set_condition(status, {"Progressing", "True", "P", "", 0, {}}, a, kT0);
  set_condition(status, {"Degraded", "False", "D", "", 0, {}}, a, kT0);
  EXPECT_EQ(conditions_of(&status).size(), 3u);
  EXPECT_TRUE(remove_condition(status, "Progressing"));
  EXPECT_FALSE(remove_condition(status, "Progressing"));
  auto all = conditions_of(&status);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].type, "Ready");
  EXPECT_EQ(all[1].type, "Degraded");
  EXPECT_FALSE(find_condition(&status, "Progressing"));
  EXPECT_FALSE(find_condition(nullptr, "Ready"));
  EXPECT_TRUE(conditions_of(nullptr).empty());
}

TEST(ConditionsTest, ObservedGeneration) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::Value status(rapidjson::kObjectType);
  EXPECT_TRUE(set_observed_generation(status, 3, a));
  EXPECT_FALSE(set_observed_generation(status, 3, a));
  EXPECT_TRUE(set_observed_generation(status, 4, a));
  EXPECT_EQ(json::get_int(status, "observedGeneration"), 4);
}

TEST(ConditionsTest, ReadsConditionsWrittenByOthers) {
  auto status = json::parse(R"({"conditions":[
      {"type":"Available","status":"True","lastUpdateTime":"2026-11-25T04:02:58Z",
       "lastTransitionTime":"2026-11-25T04:02:58Z","reason":"MinimumReplicasAvailable",
       "message":"Deployment has minimum availability."},
      {"status":"True"}, "junk"]})")
                    .value();
  auto all = conditions_of(&status);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].reason, "MinimumReplicasAvailable");
  EXPECT_EQ(format_time(*all[0].last_transition_time), "2026-11-25T04:02:58Z");
  EXPECT_TRUE(is_condition_true(&status, "Available"));
}

}  // namespace
}  // namespace kube
