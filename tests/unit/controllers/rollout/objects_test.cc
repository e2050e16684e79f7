// Object conversions and patches, against what a real v1.26 apiserver returns
// (../shared/fixtures/k8s-1.26) where it matters.
#include "controllers/rollout/objects.h"

#include <gtest/gtest.h>

#include "controllers/rollout/expectations.h"
#include "controllers/rollout/names.h"
#include "kube/clock/fake_clock.h"
#include "kube/patch/patch.h"
#include "tests/support/fixtures.h"

namespace berth::rollout {
namespace {

namespace json = kube::json;

kube::Object object(std::string_view text) {
  auto o = kube::Object::parse(text);
  EXPECT_TRUE(o.ok()) << text;
  return o.ok() ? std::move(o).value() : kube::Object();
}

RolloutSpec spec_of(std::string_view text) {
  auto d = json::parse(text);
  EXPECT_TRUE(d.ok());
  auto s = parse_spec(*d, "web");
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(s).value();
}

TEST(RolloutObjects, ReplicaSetFromTheApiserver) {
  BERTH_REQUIRE_FIXTURES();
  auto text = berth::testing::read_fixture("objects/replicaset-after-pods-ready.json");
  ASSERT_TRUE(text);
  kube::Object rs = object(*text);
  Workload w = replica_set_workload(rs);
  EXPECT_EQ(w.kind, Workload::Kind::kReplicaSet);
  EXPECT_EQ(w.name, "web-595b59c9b5");
  EXPECT_EQ(w.replicas, 2);
  EXPECT_EQ(w.pods, 2);
  EXPECT_EQ(w.ready, 2);
  EXPECT_EQ(w.available, 2);
  EXPECT_TRUE(w.status_current);
  ASSERT_NE(w.pod_template, nullptr);
  EXPECT_EQ(json::get_string(*json::find_path(*w.pod_template, {"metadata", "labels"}), "app"),
            "web");
  // Not one of ours: no hash label, no revision.
  EXPECT_EQ(w.hash, "");
  EXPECT_EQ(w.revision, 0);

  auto d = berth::testing::read_fixture("objects/deployment-after-pods-ready.json");
  ASSERT_TRUE(d);
  kube::Object deployment = object(*d);
  Workload dw = deployment_workload(deployment);
  EXPECT_EQ(dw.kind, Workload::Kind::kDeployment);
  EXPECT_EQ(dw.replicas, 2);
  EXPECT_EQ(dw.available, 2);
  EXPECT_TRUE(dw.status_current);
}

TEST(RolloutObjects, StaleOrMissingStatusIsNotCurrent) {
  kube::Object rs = object(R"({"kind":"ReplicaSet","metadata":{"name":"a","generation":3,
      "labels":{"berth.dev/pod-template-hash":"h"},"annotations":{"berth.dev/revision":"7"}},
      "spec":{"replicas":5},"status":{"replicas":9,"readyReplicas":9,"availableReplicas":8,
      "observedGeneration":2}})");
  Workload w = replica_set_workload(rs);
  EXPECT_FALSE(w.status_current);
  EXPECT_EQ(w.hash, "h");
  EXPECT_EQ(w.revision, 7);
  EXPECT_EQ(w.ready, 5);  // never more than spec.replicas
  EXPECT_EQ(w.available, 5);
  EXPECT_EQ(w.pods, 9);
  kube::Object fresh = object(R"({"kind":"ReplicaSet","metadata":{"name":"b","generation":1},
      "spec":{}})");
  Workload f = replica_set_workload(fresh);
  EXPECT_EQ(f.replicas, 1);  // the apiserver's default
  EXPECT_FALSE(f.status_current);
}

TEST(RolloutObjects, PodsBySummary) {
  std::vector<kube::Object> pods = {
      object(R"({"metadata":{"name":"p1","labels":{"berth.dev/pod-template-hash":"a"}},
          "status":{"conditions":[{"type":"Ready","status":"True"}],
                    "containerStatuses":[{"restartCount":1},{"restartCount":2}]}})"),
      object(R"({"metadata":{"name":"p2","labels":{"berth.dev/pod-template-hash":"a"}},
          "status":{"conditions":[{"type":"Ready","status":"False"}],
                    "containerStatuses":[{"restartCount":4,
                      "state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}})"),
      object(R"({"metadata":{"name":"p3","deletionTimestamp":"2026-01-01T00:00:00Z",
          "labels":{"berth.dev/pod-template-hash":"a"}},
          "status":{"conditions":[{"type":"Ready","status":"True"}]}})"),
      object(R"({"metadata":{"name":"p4","labels":{"berth.dev/pod-template-hash":"b"}}})"),
      object(R"({"metadata":{"name":"p5"}})"),
  };
  auto summary = summarize_pods(pods);
  ASSERT_EQ(summary.size(), 2u);
  EXPECT_EQ(summary["a"].pods, 2);  // the terminating pod is not counted
  EXPECT_EQ(summary["a"].ready, 1);
  EXPECT_EQ(summary["a"].max_restarts, 4);
  EXPECT_EQ(summary["a"].max_restarts_pod, "p2");
  EXPECT_EQ(summary["a"].crash_looping_pod, "p2");
  EXPECT_EQ(summary["b"].pods, 1);
  EXPECT_EQ(summary["b"].ready, 0);
}

TEST(RolloutObjects, ServicePins) {
  ServiceState pinned = service_state(object(R"({"spec":{"selector":{"app":"web",
      "berth.dev/pod-template-hash":"x"}}})"));
  EXPECT_TRUE(pinned.exists);
  EXPECT_EQ(pinned.pinned_hash, "x");
  EXPECT_FALSE(service_state(object(R"({"spec":{"selector":{"app":"web"}}})")).pinned_hash);
  EXPECT_FALSE(service_state(object(R"({"spec":{}})")).pinned_hash);
}

TEST(RolloutObjects, EffectiveReplicas) {
  RolloutSpec with = spec_of(R"({"replicas":6,"selector":{"matchLabels":{"a":"b"}},
      "workloadRef":{"name":"d"}})");
  RolloutSpec without = spec_of(R"({"selector":{"matchLabels":{"a":"b"}},
      "workloadRef":{"name":"d"}})");
  kube::Object claimed = object(R"({"metadata":{"annotations":{"berth.dev/original-replicas":"4"}},
      "spec":{"replicas":0}})");
  kube::Object unclaimed = object(R"({"spec":{"replicas":3}})");
  EXPECT_EQ(effective_replicas(with, &claimed), 6);
  EXPECT_EQ(effective_replicas(without, &claimed), 4);
  EXPECT_EQ(effective_replicas(without, &unclaimed), 3);
  EXPECT_EQ(effective_replicas(without, nullptr), 1);
}

TEST(RolloutObjects, BuildsTheReplicaSetOfARevision) {
  kube::Object rollout = object(R"({"apiVersion":"berth.dev/v1alpha1","kind":"Rollout",
      "metadata":{"name":"web","namespace":"demo","uid":"u-1"}})");
  RolloutSpec spec = spec_of(R"({"minReadySeconds":4,"selector":{"matchLabels":{"app":"web"},
      "matchExpressions":[{"key":"tier","operator":"Exists"}]},
      "template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web","tier":"fe"}},
                  "spec":{"containers":[{"name":"c","image":"i:2"}]}}})");
  auto rs =
      build_replica_set(rollout, spec, *spec.pod_template, {"web-abc", "abc", 3, 7, "image bump"});
  ASSERT_TRUE(rs.ok()) << rs.error().message;
  std::string got = json::dump(*rs);
  auto want = json::parse(R"({"apiVersion":"apps/v1","kind":"ReplicaSet",
      "metadata":{"name":"web-abc","namespace":"demo",
        "labels":{"app":"web","tier":"fe","berth.dev/pod-template-hash":"abc",
                  "berth.dev/rollout":"web"},
        "annotations":{"berth.dev/revision":"7","kubernetes.io/change-cause":"image bump"},
        "ownerReferences":[{"apiVersion":"berth.dev/v1alpha1","kind":"Rollout","name":"web",
                            "uid":"u-1","controller":true,"blockOwnerDeletion":true}]},
      "spec":{"replicas":3,"minReadySeconds":4,
        "selector":{"matchLabels":{"app":"web","berth.dev/pod-template-hash":"abc"},
                    "matchExpressions":[{"key":"tier","operator":"Exists"}]},
        "template":{"metadata":{"labels":{"app":"web","tier":"fe",
                                          "berth.dev/pod-template-hash":"abc",
                                          "berth.dev/rollout":"web"}},
                    "spec":{"containers":[{"name":"c","image":"i:2"}]}}}})");
  EXPECT_TRUE(json::equal(*rs, *want)) << got;
}

TEST(RolloutObjects, PatchesApplyAsIntended) {
  auto doc = json::parse(R"({"metadata":{"resourceVersion":"5","annotations":{
      "berth.dev/rollout-action":"promote@x","keep":"y"}},
      "spec":{"replicas":3,"selector":{"app":"web"},"template":{"a":1,"b":{"c":2}}}})");
  ASSERT_TRUE(doc.ok());
  auto apply_merge = [&](const std::string& patch) {
    auto p = json::parse(patch);
    EXPECT_TRUE(p.ok()) << patch;
    json::Document target = json::copy(*doc);
    EXPECT_TRUE(kube::patch::apply_merge_patch(target, *p).ok()) << patch;
    return target;
  };
  json::Document scaled = apply_merge(scale_patch("5", 0));
  EXPECT_EQ(json::get_int(*json::find(scaled, "spec"), "replicas"), 0);
  json::Document pinned = apply_merge(pin_patch("5", "h1"));
  EXPECT_EQ(json::get_string(*json::find_path(scaled, {"spec", "selector"}), "app"), "web");
  EXPECT_EQ(json::get_string(*json::find_path(pinned, {"spec", "selector"}), kPodTemplateHashLabel),
            "h1");
  json::Document unpinned = apply_merge(pin_patch("5", ""));
  EXPECT_EQ(json::find(*json::find_path(unpinned, {"spec", "selector"}), kPodTemplateHashLabel),
            nullptr);
  json::Document claimed = apply_merge(claim_patch("5", "web", 3));
  EXPECT_EQ(json::get_string(*json::find_path(claimed, {"metadata", "annotations"}),
                             kOriginalReplicasAnnotation),
            "3");
  json::Document released = apply_merge(release_patch("5"));
  EXPECT_EQ(
      json::find(*json::find_path(released, {"metadata", "annotations"}), kManagedByAnnotation),
      nullptr);
  EXPECT_EQ(json::get_string(*json::find_path(released, {"metadata", "annotations"}), "keep"), "y");

  auto apply_json = [&](const std::string& patch) {
    auto p = json::parse(patch);
    EXPECT_TRUE(p.ok()) << patch;
    json::Document target = json::copy(*doc);
    auto r = kube::patch::apply_json_patch(target, *p);
    return std::make_pair(r.ok(), std::move(target));
  };
  auto [removed_ok, removed] = apply_json(remove_action_patch("promote@x"));
  EXPECT_TRUE(removed_ok);
  EXPECT_EQ(json::find(*json::find_path(removed, {"metadata", "annotations"}), kActionAnnotation),
            nullptr);
  // A different value (the user asked again meanwhile) is left alone.
  EXPECT_FALSE(apply_json(remove_action_patch("abort")).first);
  auto replacement = json::parse(R"({"z":1})");
  auto [replaced_ok, replaced] = apply_json(template_patch("5", *replacement));
  EXPECT_TRUE(replaced_ok);
  EXPECT_TRUE(json::equal(*json::find_path(replaced, {"spec", "template"}), *replacement));
  EXPECT_FALSE(apply_json(template_patch("4", *replacement)).first);
  EXPECT_EQ(json_pointer_escape("a/b~c"), "a~1b~0c");
}

TEST(Expectations, WaitForTheWrittenVersion) {
  kube::FakeClock clock;
  Expectations e(clock, std::chrono::seconds(5));
  EXPECT_EQ(e.outstanding("demo/web"), kube::Clock::duration::zero());
  e.expect("demo/web", "ReplicaSet", "demo/web-a", "10");
  e.expect("demo/web", "Service", "demo/svc", "11");
  EXPECT_EQ(e.outstanding("demo/web"), std::chrono::seconds(5));
  // An older version of the object does not fulfil it.
  e.observe(object(R"({"kind":"ReplicaSet","metadata":{"name":"web-a","namespace":"demo",
      "resourceVersion":"9"}})"));
  EXPECT_EQ(e.size(), 2u);
  e.observe(object(R"({"kind":"ReplicaSet","metadata":{"name":"web-a","namespace":"demo",
      "resourceVersion":"10"}})"));
  EXPECT_EQ(e.size(), 1u);
  clock.advance(std::chrono::seconds(2));
  EXPECT_EQ(e.outstanding("demo/web"), std::chrono::seconds(3));
  // A deletion fulfils whatever was expected of the object.
  e.observe(object(R"({"kind":"Service","metadata":{"name":"svc","namespace":"demo",
      "resourceVersion":"99"}})"),
            true);
  EXPECT_EQ(e.outstanding("demo/web"), kube::Clock::duration::zero());
  // Never observed: given up after the timeout.
  e.expect("demo/web", "Rollout", "demo/web", "12");
  clock.advance(std::chrono::seconds(6));
  EXPECT_EQ(e.outstanding("demo/web"), kube::Clock::duration::zero());
  EXPECT_EQ(e.size(), 0u);
  e.expect("demo/web", "Rollout", "demo/web", "13");
  e.forget("demo/web");
  EXPECT_EQ(e.size(), 0u);
}

TEST(Expectations, AWatchEventAheadOfTheWriteResponseCounts) {
  kube::FakeClock clock;
  Expectations e(clock, std::chrono::seconds(5));
  // The event of the write (and a later one) arrive before the response is handled.
  e.observe(object(R"({"kind":"ReplicaSet","metadata":{"name":"a","namespace":"demo",
      "resourceVersion":"20"}})"));
  e.observe(object(R"({"kind":"ReplicaSet","metadata":{"name":"a","namespace":"demo",
      "resourceVersion":"21"}})"));
  e.expect("demo/web", "ReplicaSet", "demo/a", "20");
  EXPECT_EQ(e.outstanding("demo/web"), kube::Clock::duration::zero());
  // Versions seen long ago (or of a deleted object) no longer count.
  clock.advance(std::chrono::seconds(6));
  e.observe(object(R"({"kind":"ReplicaSet","metadata":{"name":"b","namespace":"demo",
      "resourceVersion":"30"}})"));
  e.expect("demo/web", "ReplicaSet", "demo/a", "21");
  EXPECT_GT(e.outstanding("demo/web"), kube::Clock::duration::zero());
}

TEST(Expectations, ALaterVersionAfterARelistCounts) {
  kube::FakeClock clock;
  Expectations e(clock, std::chrono::seconds(5));
  e.expect("demo/web", "ReplicaSet", "demo/a", "40");
  // The watch expired (410) and the relist shows the object two writes later.
  e.observe(object(R"({"kind":"ReplicaSet","metadata":{"name":"a","namespace":"demo",
      "resourceVersion":"42"}})"));
  EXPECT_EQ(e.outstanding("demo/web"), kube::Clock::duration::zero());
  // Already delivered past the written version before the response was handled.
  e.expect("demo/web", "ReplicaSet", "demo/a", "41");
  EXPECT_EQ(e.outstanding("demo/web"), kube::Clock::duration::zero());
  // Versions that are not integers only match exactly.
  e.expect("demo/web", "ReplicaSet", "demo/b", "v7");
  e.observe(object(R"({"kind":"ReplicaSet","metadata":{"name":"b","namespace":"demo",
      "resourceVersion":"v8"}})"));
  EXPECT_EQ(e.outstanding("demo/web"), std::chrono::seconds(5));
  e.observe(object(R"({"kind":"ReplicaSet","metadata":{"name":"b","namespace":"demo",
      "resourceVersion":"v7"}})"));
  EXPECT_EQ(e.outstanding("demo/web"), kube::Clock::duration::zero());
}

}  // namespace
}  // namespace berth::rollout
