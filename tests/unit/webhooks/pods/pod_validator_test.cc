#include "webhooks/pods/pod_validator.h"

#include <gtest/gtest.h>

#include "kube/core/json.h"
#include "tests/unit/webhooks/pods/pod_test_util.h"
#include "tests/unit/webhooks/review_builder.h"
#include "webhooks/pods/annotations.h"
#include "webhooks/pods/pod_mutator.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;
using testing::container;
using testing::pod;
using testing::Review;
using testing::ReviewSpec;

// A container that passes every best-practice check.
const std::string kGoodExtra =
    R"(,"securityContext":{"runAsNonRoot":true,"allowPrivilegeEscalation":false})";
std::string good_container(const std::string& name, const std::string& image) {
  std::string c = container(name, image, kGoodExtra);
  c.replace(
      c.find(R"("resources":{})"), 14,
      R"("resources":{"requests":{"cpu":"100m","memory":"64Mi"},"limits":{"memory":"64Mi"}})");
  return c;
}

// `text` with the first `from` replaced by `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

// pod() with spec.securityContext set (pod() has an empty one).
std::string pod_with_security(const std::string& containers, const std::string& security) {
  return replaced(pod("", containers), R"("securityContext":{},"schedulerName")",
                  R"("securityContext":)" + security + R"(,"schedulerName")");
}

std::vector<std::string> messages(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const Finding& f : findings)
    out.push_back(f.message);
  return out;
}

std::vector<Finding> check(const std::string& pod_json, const PolicyConfig& policy = {}) {
  auto doc = json::parse(pod_json);
  EXPECT_TRUE(doc.ok());
  return check_pod(*doc, policy);
}

TEST(CheckPod, CompliantPodHasNoFindings) {
  EXPECT_TRUE(check(pod("", good_container("app", "nginx:1.25"))).empty());
}

struct CheckCase {
  std::string name;
  std::string pod;
  std::string check;
  std::string message;  // exact
};

class Checks : public ::testing::TestWithParam<CheckCase> {};

TEST_P(Checks, FindsExactlyThis) {
  std::vector<Finding> findings = check(GetParam().pod);
  ASSERT_EQ(findings.size(), 1u) << ::testing::PrintToString(messages(findings));
  EXPECT_EQ(findings[0].check, GetParam().check);
  EXPECT_EQ(findings[0].message, GetParam().message);
  EXPECT_FALSE(findings[0].warn_only);
}

std::string with_security(const std::string& json) {
  std::string c = good_container("app", "nginx:1.25");
  c.replace(c.find(kGoodExtra), kGoodExtra.size(), ",\"securityContext\":" + json);
  return c;
}

std::string with_resources(const std::string& json) {
  std::string c = good_container("app", "nginx:1.25");
  auto start = c.find(R"("resources":)");
  auto end = c.find(R"(,"volumeMounts")");
  c.replace(start, end - start, "\"resources\":" + json);
  return c;
}

INSTANTIATE_TEST_SUITE_P(
    Findings, Checks,
    ::testing::Values(
        CheckCase{"latest", pod("", good_container("app", "nginx:latest")), "latest",
                  "container \"app\": image \"nginx:latest\" uses the mutable :latest tag; set "
                  "spec.containers[0].image to a version tag (nginx:<version>) or a digest "
                  "(nginx@sha256:<digest>)"},
        CheckCase{"untagged", pod("", good_container("app", "registry.corp:5000/team/app")),
                  "latest",
                  "container \"app\": image \"registry.corp:5000/team/app\" has no tag, so it "
                  "pulls :latest; set spec.containers[0].image to a version tag "
                  "(registry.corp:5000/team/app:<version>) or a digest "
                  "(registry.corp:5000/team/app@sha256:<digest>)"},
        CheckCase{"bad_image", pod("", good_container("app", "Nginx:1")), "image",
                  "container \"app\": invalid image reference \"Nginx:1\": repository name must "
                  "be lower-case; fix spec.containers[0].image"},
        CheckCase{"privileged",
                  pod("", with_security(R"({"runAsNonRoot":true,"privileged":true})")),
                  "privileged",
                  "container \"app\": spec.containers[0].securityContext.privileged is true; "
                  "remove it and grant only the capabilities it needs "
                  "(securityContext.capabilities.add)"},
        CheckCase{"host_network",
                  pod("", good_container("app", "nginx:1.25"), R"(,"hostNetwork":true)"),
                  "hostNamespaces",
                  "spec.hostNetwork is true; remove it (or set it to false) so the pod gets its "
                  "own network namespace"},
        CheckCase{"host_pid", pod("", good_container("app", "nginx:1.25"), R"(,"hostPID":true)"),
                  "hostNamespaces",
                  "spec.hostPID is true; remove it (or set it to false) so the pod gets its own "
                  "process namespace"},
        CheckCase{
            "host_path",
            replaced(pod("", good_container("app", "nginx:1.25")), R"("volumes":[)",
                     R"("volumes":[{"name":"sock","hostPath":{"path":"/var/run/docker.sock"}},)"),
            "hostPath",
            "volume \"sock\" (spec.volumes[0].hostPath) mounts a node directory; use a "
            "PersistentVolumeClaim, emptyDir, configMap or secret volume"},
        CheckCase{
            "no_cpu_request",
            pod("", with_resources(R"({"requests":{"memory":"1Gi"},"limits":{"memory":"1Gi"}})")),
            "resources",
            "container \"app\": spec.containers[0].resources.requests.cpu is not set; set "
            "it (e.g. 100m)"},
        CheckCase{"no_memory_limit",
                  pod("", with_resources(R"({"requests":{"cpu":"1","memory":"1Gi"}})")),
                  "resources",
                  "container \"app\": spec.containers[0].resources.limits.memory is not set; set "
                  "it (e.g. 128Mi)"},
        CheckCase{"root_user", pod("", with_security(R"({"runAsUser":0})")), "runAsNonRoot",
                  "container \"app\": runs as root (runAsUser: 0); set "
                  "spec.containers[0].securityContext.runAsUser to a non-zero uid and "
                  "runAsNonRoot: true"},
        CheckCase{"no_non_root", pod("", with_security("{}")), "runAsNonRoot",
                  "container \"app\": may run as root; set spec.securityContext.runAsNonRoot: "
                  "true (or spec.containers[0].securityContext.runAsNonRoot: true), with a "
                  "non-zero runAsUser if the image's user is root"},
        CheckCase{"non_root_false", pod("", with_security(R"({"runAsNonRoot":false})")),
                  "runAsNonRoot",
                  "container \"app\": may run as root; set spec.securityContext.runAsNonRoot: "
                  "true (or spec.containers[0].securityContext.runAsNonRoot: true), with a "
                  "non-zero runAsUser if the image's user is root"},
        CheckCase{"init_container",
                  pod("", good_container("app", "nginx:1.25"),
                      ",\"initContainers\":[" + good_container("init", "busybox") + "]"),
                  "latest",
                  "container \"init\": image \"busybox\" has no tag, so it pulls :latest; set "
                  "spec.initContainers[0].image to a version tag (busybox:<version>) or a digest "
                  "(busybox@sha256:<digest>)"}),
    [](const auto& p) { return p.param.name; });

TEST(CheckPod, SettingsThatSatisfyTheChecks) {
  // A limit alone defaults the request; a pod-level runAsNonRoot covers its containers; a
  // non-zero runAsUser is non-root; a digest makes :latest harmless.
  const std::string digest = "sha256:" + std::string(64, 'c');
  std::string c = with_resources(R"({"limits":{"cpu":"1","memory":"1Gi"}})");
  c.replace(c.find(kGoodExtra), kGoodExtra.size(), "");
  std::string c2 = with_security(R"({"runAsUser":1000})");
  c2.replace(c2.find("nginx:1.25"), 10, "nginx:latest@" + digest);
  std::vector<Finding> f = check(pod_with_security(c + "," + c2, R"({"runAsNonRoot":true})"));
  EXPECT_TRUE(f.empty()) << ::testing::PrintToString(messages(f));
  // The container overrides the pod.
  EXPECT_EQ(check(pod_with_security(with_security(R"({"runAsNonRoot":false})"),
                                    R"({"runAsNonRoot":true})"))
                .size(),
            1u);
}

TEST(CheckPod, ImagePolicy) {
  PolicyConfig policy;
  policy.allowed_registries = {"registry.corp", "ghcr.io/berth"};
  policy.digest_pinning = DigestPinning::kRequired;
  const std::string digest = "sha256:" + std::string(64, 'd');
  std::vector<Finding> f = check(pod("", good_container("a", "registry.corp/x:1@" + digest) + "," +
                                             good_container("b", "ghcr.io/berthx/y:1@" + digest) +
                                             "," + good_container("c", "ghcr.io/berth/z:1")),
                                 policy);
  ASSERT_EQ(f.size(), 2u) << ::testing::PrintToString(messages(f));
  EXPECT_EQ(f[0].message,
            "container \"b\": image \"ghcr.io/berthx/y:1@" + digest +
                "\" comes from ghcr.io/berthx/y, which is not an allowed registry; use an image "
                "from registry.corp, ghcr.io/berth");
  EXPECT_EQ(f[1].check, "digest");
  EXPECT_EQ(f[1].message,
            "container \"c\": image \"ghcr.io/berth/z:1\" is not pinned by "
            "digest; set spec.containers[2].image to ghcr.io/berth/z:1@sha256:<digest>");
  EXPECT_FALSE(f[1].warn_only);
  policy.digest_pinning = DigestPinning::kWarn;
  f = check(pod("", good_container("c", "ghcr.io/berth/z:1")), policy);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].warn_only);
}

TEST(CheckPod, ChecksCanBeTurnedOff) {
  PolicyConfig policy;
  policy.forbid_latest = false;
  policy.checks = {false, false, false, false, false};
  std::string bad =
      replaced(pod("", container("app", "nginx", R"(,"securityContext":{"privileged":true})"),
                   R"(,"hostNetwork":true)"),
               R"("volumes":[)", R"("volumes":[{"name":"h","hostPath":{"path":"/"}},)");
  EXPECT_TRUE(check(bad, policy).empty());
  EXPECT_GE(check(bad).size(), 6u);
}

TEST(CheckPod, SurvivesMalformedPods) {
  for (const char* p :
       {"{}", R"({"spec":[]})", R"({"spec":{"containers":"x"}})",
        R"({"spec":{"containers":[1,null,{"image":7,"securityContext":"x","resources":[]}]}})",
        R"({"spec":{"volumes":[1],"securityContext":5,"hostNetwork":"yes"}})"}) {
    (void)check(p);  // no crash, no exception
  }
  std::vector<Finding> f = check(R"({"spec":{"containers":[{"name":"x","image":7}]}})");
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(f[0].check, "image");
}

// ---- the webhook ----------------------------------------------------------------------------

class PodValidatorTest : public ::testing::Test {
 protected:
  AdmissionResponse validate(const std::string& object, ReviewSpec spec = {}) {
    spec.object = object;
    PodValidator validator(config_, namespaces_);
    Review review(spec);
    return validator.review(review.request());
  }
  void set_mode(const std::string& ns, const std::string& mode) {
    namespaces_.set(ns, {{std::string(kPolicyModeLabel), mode}});
  }

  std::shared_ptr<WebhooksConfig> config_ = std::make_shared<WebhooksConfig>();
  NamespaceLabelMap namespaces_;
};

const std::string kPrivileged =
    pod("", with_security(R"({"runAsNonRoot":true,"privileged":true})") + "," +
                good_container("side", "busybox:latest"));

TEST_F(PodValidatorTest, WarnModeAdmitsWithOneWarningPerFinding) {
  AdmissionResponse r = validate(kPrivileged);
  EXPECT_TRUE(r.allowed);
  EXPECT_TRUE(r.patch.empty());
  ASSERT_EQ(r.warnings.size(), 2u);
  EXPECT_EQ(r.warnings[0].rfind("berth policy: container \"app\": "
                                "spec.containers[0].securityContext.privileged is true",
                                0),
            0u)
      << r.warnings[0];
  EXPECT_NE(r.warnings[1].find("busybox:latest"), std::string::npos);
}

TEST_F(PodValidatorTest, EnforceModeDeniesListingEveryFinding) {
  set_mode("app", "enforce");
  AdmissionResponse r = validate(kPrivileged);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.status_code, 403);
  EXPECT_EQ(r.status_reason, "Forbidden");
  EXPECT_EQ(r.status_message.rfind("pod web violates Berth policy (enforce mode in namespace "
                                   "app): (1) container \"app\": spec.containers[0]."
                                   "securityContext.privileged is true",
                                   0),
            0u)
      << r.status_message;
  EXPECT_NE(r.status_message.find("; (2) container \"side\": image \"busybox:latest\""),
            std::string::npos);
}

TEST_F(PodValidatorTest, ModeComesFromTheConfigWithoutALabel) {
  config_->policy.mode = PolicyMode::kEnforce;
  EXPECT_FALSE(validate(kPrivileged).allowed);
  set_mode("app", "warn");
  EXPECT_TRUE(validate(kPrivileged).allowed);
}

TEST_F(PodValidatorTest, BadModeLabelFallsBackWithAWarning) {
  config_->policy.mode = PolicyMode::kEnforce;
  set_mode("app", "strict");
  AdmissionResponse r = validate(kPrivileged);
  EXPECT_FALSE(r.allowed);
  ASSERT_FALSE(r.warnings.empty());
  EXPECT_EQ(r.warnings[0],
            "berth: namespace label berth.dev/policy-mode must be enforce or warn, "
            "got \"strict\"; using enforce");
}

TEST_F(PodValidatorTest, WarnOnlyFindingsStayWarningsInEnforceMode) {
  set_mode("app", "enforce");
  config_->policy.digest_pinning = DigestPinning::kWarn;
  AdmissionResponse r = validate(pod("", good_container("app", "nginx:1.25")));
  EXPECT_TRUE(r.allowed);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("is not pinned by digest"), std::string::npos);
}

TEST_F(PodValidatorTest, CompliantPodHasNoWarnings) {
  set_mode("app", "enforce");
  AdmissionResponse r = validate(pod("", good_container("app", "nginx:1.25")));
  EXPECT_TRUE(r.allowed);
  EXPECT_TRUE(r.warnings.empty());
}

TEST_F(PodValidatorTest, UpdateOnlyDeniesNewFindings) {
  set_mode("app", "enforce");
  // A pod from before the policy: a label change must go through (as warnings).
  std::string relabeled = kPrivileged;
  relabeled.replace(relabeled.find(R"("app":"web")"), 11, R"("app":"v2")");
  AdmissionResponse r = validate(relabeled, {.operation = "UPDATE", .old_object = kPrivileged});
  EXPECT_TRUE(r.allowed) << r.status_message;
  EXPECT_EQ(r.warnings.size(), 2u);
  // A new violation (image changed to :latest) is denied, the old ones are not listed.
  std::string worse = kPrivileged;
  worse.replace(worse.find("nginx:1.25"), 10, "nginx:latest");
  AdmissionResponse u = validate(worse, {.operation = "UPDATE", .old_object = kPrivileged});
  EXPECT_FALSE(u.allowed);
  EXPECT_NE(u.status_message.find("(1) container \"app\": image \"nginx:latest\""),
            std::string::npos)
      << u.status_message;
  EXPECT_EQ(u.status_message.find("(2)"), std::string::npos) << u.status_message;
}

TEST_F(PodValidatorTest, TerminatingPodsAreNotJudged) {
  set_mode("app", "enforce");
  std::string terminating = kPrivileged;
  terminating.replace(terminating.find(R"("creationTimestamp":null)"), 24,
                      R"("creationTimestamp":null,"deletionTimestamp":"2026-11-25T04:10:33Z")");
  EXPECT_TRUE(validate(terminating, {.operation = "UPDATE", .old_object = terminating}).allowed);
}

TEST_F(PodValidatorTest, SkipsWhatItDoesNotJudge) {
  set_mode("app", "enforce");
  set_mode("kube-system", "enforce");
  EXPECT_TRUE(validate(kPrivileged, {.namespace_ = "kube-system"}).allowed);
  EXPECT_TRUE(validate(kPrivileged, {.namespace_ = "berth-system"}).allowed);
  EXPECT_TRUE(validate(kPrivileged,
                       {.operation = "UPDATE", .old_object = kPrivileged, .sub_resource = "status"})
                  .allowed);
  EXPECT_TRUE(validate("null", {.operation = "DELETE", .old_object = kPrivileged}).allowed);
  AdmissionResponse cm = validate(R"({"kind":"ConfigMap"})", {.kind = "ConfigMap"});
  EXPECT_FALSE(cm.allowed);
  EXPECT_EQ(cm.status_code, 400);
}

TEST_F(PodValidatorTest, WarningsAreCapped) {
  std::string containers;
  for (int i = 0; i < 30; ++i) {
    containers += (i ? "," : "") + container("c" + std::to_string(i), "img:1", kGoodExtra);
  }
  AdmissionResponse r = validate(pod("", containers));
  ASSERT_EQ(r.warnings.size(), 20u);
  // 30 containers x 3 missing resources = 90 findings; 19 shown, the rest counted.
  EXPECT_EQ(r.warnings.back(), "berth policy: 71 more findings not shown");
}

TEST_F(PodValidatorTest, TheInjectedLogSidecarPassesThePolicy) {
  set_mode("app", "enforce");
  NamespaceLabelMap namespaces;
  PodMutator mutator(config_, namespaces);
  std::string p = pod(R"("berth.dev/log-sidecar":"true")", good_container("app", "nginx:1.25"));
  Review review(ReviewSpec{.object = p});
  AdmissionResponse m = mutator.review(review.request());
  ASSERT_FALSE(m.patch.empty());
  std::string mutated = json::dump(testing::apply_patch(*json::parse(p), m.patch));
  AdmissionResponse v = validate(mutated);
  EXPECT_TRUE(v.allowed) << v.status_message;
  EXPECT_TRUE(v.warnings.empty()) << ::testing::PrintToString(v.warnings);
}

}  // namespace
}  // namespace berth::webhooks
