#include "webhooks/pods/pod_mutator.h"

#include <gtest/gtest.h>

#include "kube/core/json.h"
#include "tests/unit/webhooks/pods/pod_test_util.h"
#include "tests/unit/webhooks/review_builder.h"
#include "webhooks/pods/annotations.h"
#include "webhooks/pods/log_sidecar.h"
#include "webhooks/pods/secret_mounts.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;
using testing::container;
using testing::pod;
using testing::Review;
using testing::ReviewSpec;

constexpr const char* kLogSidecar = R"("berth.dev/log-sidecar":"true")";

class PodMutatorTest : public ::testing::Test {
 protected:
  AdmissionResponse mutate(const std::string& object, ReviewSpec spec = {}) {
    spec.object = object;
    PodMutator mutator(config_, namespaces_);
    Review review(spec);
    return mutator.review(review.request());
  }

  // The pod after applying the response's patch (the original when there is none).
  json::Document result(const std::string& object, const AdmissionResponse& response) {
    auto original = json::parse(object);
    EXPECT_TRUE(original.ok());
    if (response.patch.empty()) return json::copy(*original);
    return testing::apply_patch(*original, response.patch);
  }

  // Mutates, checks the answer is an allowed patch, returns the patched pod.
  json::Document mutated(const std::string& object, ReviewSpec spec = {}) {
    AdmissionResponse r = mutate(object, spec);
    EXPECT_TRUE(r.allowed) << r.status_message;
    EXPECT_FALSE(r.patch.empty()) << "expected a patch";
    return result(object, r);
  }

  std::shared_ptr<WebhooksConfig> config_ = std::make_shared<WebhooksConfig>();
  NamespaceLabelMap namespaces_;
};

const json::Value* find_named(const json::Value& pod, std::string_view list,
                              std::string_view name) {
  const json::Value* items = json::find_path(pod, {"spec", list});
  if (items == nullptr || !items->IsArray()) return nullptr;
  for (const auto& item : items->GetArray()) {
    if (json::get_string(item, "name") == name) return &item;
  }
  return nullptr;
}

const json::Value* find_mount(const json::Value& container, std::string_view path) {
  const json::Value* mounts = json::find(container, "volumeMounts");
  if (mounts == nullptr) return nullptr;
  for (const auto& m : mounts->GetArray()) {
    if (json::get_string(m, "mountPath") == path) return &m;
  }
  return nullptr;
}

std::string annotation(const json::Value& pod, std::string_view key) {
  const json::Value* a = json::find_path(pod, {"metadata", "annotations"});
  return a == nullptr ? "" : std::string(json::get_string(*a, key));
}

// ---- opt-in and exclusions ------------------------------------------------------------------

TEST_F(PodMutatorTest, PodWithoutOptInIsUntouched) {
  AdmissionResponse r = mutate(pod());
  EXPECT_TRUE(r.allowed);
  EXPECT_TRUE(r.patch.empty());
  EXPECT_TRUE(r.warnings.empty());
}

struct OptInCase {
  std::string name;
  std::string namespace_label;  // berth.dev/injection value, "" = no label
  std::string annotations;
  std::string ns = "app";
  bool injected;
};

class OptIn : public PodMutatorTest, public ::testing::WithParamInterface<OptInCase> {};

TEST_P(OptIn, Decides) {
  const OptInCase& c = GetParam();
  config_->excluded_namespaces = {"kube-system", "monitoring"};
  // Registry rewriting shows whether a pod was opted in even without a feature annotation.
  config_->registry.global.mirrors["docker.io"] = Mirror{"mirror.corp", "hub"};
  if (!c.namespace_label.empty()) {
    namespaces_.set(c.ns, {{std::string(kInjectionLabel), c.namespace_label}});
  }
  AdmissionResponse r = mutate(pod(c.annotations), {.namespace_ = c.ns});
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(!r.patch.empty(), c.injected) << r.patch;
}

INSTANTIATE_TEST_SUITE_P(
    Rules, OptIn,
    ::testing::Values(
        OptInCase{"none", "", "", "app", false},
        OptInCase{"namespace_enabled", "enabled", "", "app", true},
        OptInCase{"namespace_other_value", "yes", "", "app", false},
        OptInCase{"pod_inject_true", "", R"("berth.dev/inject":"true")", "app", true},
        OptInCase{"pod_feature", "", kLogSidecar, "app", true},
        OptInCase{"pod_secrets", "", R"("berth.dev/mount-secrets":"tls")", "app", true},
        OptInCase{"pod_opt_out_wins", "enabled", R"("berth.dev/inject":"false")", "app", false},
        OptInCase{"pod_opt_out_beats_feature", "",
                  R"("berth.dev/inject":"false","berth.dev/log-sidecar":"true")", "app", false},
        OptInCase{"namespace_disabled_wins", "disabled", R"("berth.dev/inject":"true")", "app",
                  false},
        OptInCase{"kube_system", "enabled", R"("berth.dev/inject":"true")", "kube-system", false},
        OptInCase{"own_namespace", "enabled", kLogSidecar, "berth-system", false},
        OptInCase{"configured_exclusion", "enabled", kLogSidecar, "monitoring", false}),
    [](const auto& p) { return p.param.name; });

TEST_F(PodMutatorTest, UnknownNamespaceMeansNoNamespaceOptIn) {
  config_->registry.global.mirrors["docker.io"] = Mirror{"mirror.corp", ""};
  EXPECT_TRUE(mutate(pod(), {.namespace_ = "not-cached"}).patch.empty());
  EXPECT_FALSE(mutate(pod(kLogSidecar), {.namespace_ = "not-cached"}).patch.empty());
}

TEST_F(PodMutatorTest, BadInjectValueWarns) {
  AdmissionResponse r = mutate(pod(R"("berth.dev/inject":"yes")"));
  EXPECT_TRUE(r.allowed);
  EXPECT_TRUE(r.patch.empty());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("berth.dev/inject must be \"true\" or \"false\", got \"yes\""),
            std::string::npos);
}

TEST_F(PodMutatorTest, NamespaceComesFromTheObjectWhenTheRequestHasNone) {
  config_->excluded_namespaces = {"kube-system"};
  // Object namespace "app" (not excluded) -> mutated; the request carries none.
  EXPECT_FALSE(mutate(pod(kLogSidecar), {.namespace_ = ""}).patch.empty());
}

// ---- what is never mutated ------------------------------------------------------------------

TEST_F(PodMutatorTest, SubresourcesDeleteAndConnectAreAllowedUntouched) {
  std::string p = pod(kLogSidecar);
  for (const char* sub : {"binding", "status", "ephemeralcontainers", "eviction"}) {
    AdmissionResponse r = mutate(p, {.sub_resource = sub});
    EXPECT_TRUE(r.allowed) << sub;
    EXPECT_TRUE(r.patch.empty()) << sub;
  }
  AdmissionResponse binding = mutate(
      R"({"kind":"Binding","apiVersion":"v1","metadata":{"name":"web"},"target":{"kind":"Node","name":"n1"}})",
      {.sub_resource = "binding", .kind = "Binding"});
  EXPECT_TRUE(binding.allowed);
  EXPECT_TRUE(binding.patch.empty());
  AdmissionResponse del = mutate("null", {.operation = "DELETE", .old_object = p});
  EXPECT_TRUE(del.allowed);
  EXPECT_TRUE(del.patch.empty());
  AdmissionResponse connect = mutate("{}", {.operation = "CONNECT"});
  EXPECT_TRUE(connect.allowed);
}

TEST_F(PodMutatorTest, NonPodObjectIsDeniedWithAClearReason) {
  AdmissionResponse r = mutate(R"({"kind":"ConfigMap","metadata":{"name":"x"}})",
                               {.kind = "ConfigMap", .resource = "configmaps"});
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.status_code, 400);
  EXPECT_NE(r.status_message.find("received a ConfigMap"), std::string::npos);
  AdmissionResponse deploy =
      mutate(R"({"kind":"Deployment"})", {.group = "apps", .kind = "Deployment"});
  EXPECT_NE(deploy.status_message.find("received a apps/Deployment"), std::string::npos);
}

TEST_F(PodMutatorTest, DuplicateMemberNamesAreDenied) {
  std::string p = pod(kLogSidecar, R"({"name":"app","image":"nginx:1","name":"x"})");
  AdmissionResponse r = mutate(p);
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.status_code, 400);
  EXPECT_NE(r.status_message.find("repeated member name"), std::string::npos);
  EXPECT_TRUE(mutate(pod("", R"({"name":"app","image":"nginx:1","name":"x"})")).allowed)
      << "a pod Berth does not mutate is not judged";
}

TEST_F(PodMutatorTest, PodWithoutContainersIsDenied) {
  AdmissionResponse r = mutate(R"({"kind":"Pod","metadata":{},"spec":{}})");
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.status_code, 400);
  EXPECT_EQ(r.status_message, "pod has no spec.containers list");
  EXPECT_FALSE(mutate(R"({"kind":"Pod","spec":"x"})").allowed);
  EXPECT_FALSE(mutate(R"({"kind":"Pod","spec":{"containers":{}}})").allowed);
}

// ---- log sidecar ----------------------------------------------------------------------------

TEST_F(PodMutatorTest, LogSidecarIsInjectedAsClassicContainer) {
  std::string p = pod(kLogSidecar);
  AdmissionResponse r = mutate(p);
  ASSERT_TRUE(r.allowed) << r.status_message;
  // Minimal: appends and adds only, never a replace of a list.
  EXPECT_EQ(r.patch.find("\"replace\""), std::string::npos) << r.patch;
  EXPECT_NE(r.patch.find(R"("path":"/spec/containers/-")"), std::string::npos);
  EXPECT_NE(r.patch.find(R"("path":"/metadata/annotations/berth.dev~1injected")"),
            std::string::npos)
      << r.patch;
  json::Document out = result(p, r);

  const json::Value* sidecar = find_named(out, "containers", "berth-log-shipper");
  ASSERT_NE(sidecar, nullptr);
  EXPECT_EQ(json::get_string(*sidecar, "image"), config_->log_sidecar.image);
  EXPECT_EQ(json::find(*sidecar, "restartPolicy"), nullptr);
  EXPECT_EQ(json::get_string(*json::find_path(*sidecar, {"resources", "requests"}), "memory"),
            "32Mi");
  EXPECT_EQ(json::get_string(*json::find_path(*sidecar, {"resources", "limits"}), "cpu"), "200m");
  EXPECT_TRUE(json::find_path(*sidecar, {"securityContext", "runAsNonRoot"})->GetBool());
  EXPECT_EQ(json::get_string((*json::find(*sidecar, "env"))[0], "value"), "/var/log/app/*.log");
  std::string volume = log_volume_name("/var/log/app");
  const json::Value* sidecar_mount = find_mount(*sidecar, "/var/log/app");
  ASSERT_NE(sidecar_mount, nullptr);
  EXPECT_EQ(json::get_string(*sidecar_mount, "name"), volume);
  ASSERT_NE(find_mount(*sidecar, "/etc/berth/log-sidecar"), nullptr);

  // The app container is first still (kubectl logs' default) and shares the directory.
  const json::Value& app = (*json::find_path(out, {"spec", "containers"}))[0];
  EXPECT_EQ(json::get_string(app, "name"), "app");
  const json::Value* app_mount = find_mount(app, "/var/log/app");
  ASSERT_NE(app_mount, nullptr);
  EXPECT_EQ(json::get_string(*app_mount, "name"), volume);

  const json::Value* empty_dir = find_named(out, "volumes", volume);
  ASSERT_NE(empty_dir, nullptr);
  EXPECT_TRUE(json::find(*empty_dir, "emptyDir")->IsObject());
  const json::Value* cm = find_named(out, "volumes", "berth-log-config");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(json::get_string(*json::find(*cm, "configMap"), "name"), "berth-log-sidecar");
  EXPECT_TRUE(json::find_path(*cm, {"configMap", "optional"})->GetBool());
  EXPECT_EQ(annotation(out, kInjectedAnnotation), "log-sidecar");
}

TEST_F(PodMutatorTest, LogSidecarIsANativeSidecarWhenEnabled) {
  config_->log_sidecar.native = true;
  std::string p = pod(kLogSidecar);
  AdmissionResponse r = mutate(p);
  EXPECT_NE(r.patch.find(R"("op":"add","path":"/spec/initContainers")"), std::string::npos)
      << r.patch;
  json::Document out = result(p, r);
  EXPECT_EQ(find_named(out, "containers", "berth-log-shipper"), nullptr);
  const json::Value* sidecar = find_named(out, "initContainers", "berth-log-shipper");
  ASSERT_NE(sidecar, nullptr);
  EXPECT_EQ(json::get_string(*sidecar, "restartPolicy"), "Always");

  // Appended after the pod's own init containers.
  std::string with_init = pod(kLogSidecar, container("app", "nginx:1.25"),
                              R"(,"initContainers":[{"name":"migrate","image":"m:1"}])");
  json::Document out2 = mutated(with_init);
  const json::Value& inits = *json::find_path(out2, {"spec", "initContainers"});
  ASSERT_EQ(inits.Size(), 2u);
  EXPECT_EQ(json::get_string(inits[0], "name"), "migrate");
  EXPECT_EQ(json::get_string(inits[1], "name"), "berth-log-shipper");
}

TEST_F(PodMutatorTest, LogPathsAndOverridesFromAnnotations) {
  std::string p = pod(
      std::string(kLogSidecar) +
          R"(,"berth.dev/log-paths":" /data/logs/*.log, /var/log/app/audit.json,/data/logs/x.log ",)"
          R"("berth.dev/log-sidecar-image":"registry.corp/shipper:2",)"
          R"("berth.dev/log-sidecar-cpu-request":"50m",)"
          R"("berth.dev/log-sidecar-memory-limit":"256Mi",)"
          R"("berth.dev/log-config":"team-logs")",
      container("app", "nginx:1.25") + "," + container("worker", "worker:1"));
  json::Document out = mutated(p);
  const json::Value* sidecar = find_named(out, "containers", "berth-log-shipper");
  ASSERT_NE(sidecar, nullptr);
  EXPECT_EQ(json::get_string(*sidecar, "image"), "registry.corp/shipper:2");
  EXPECT_EQ(json::get_string(*json::find_path(*sidecar, {"resources", "requests"}), "cpu"), "50m");
  EXPECT_EQ(json::get_string(*json::find_path(*sidecar, {"resources", "limits"}), "memory"),
            "256Mi");
  EXPECT_EQ(json::get_string((*json::find(*sidecar, "env"))[0], "value"),
            "/data/logs/*.log,/var/log/app/audit.json,/data/logs/x.log");
  for (const char* name : {"app", "worker"}) {
    const json::Value* c = find_named(out, "containers", name);
    ASSERT_NE(c, nullptr);
    EXPECT_NE(find_mount(*c, "/data/logs"), nullptr) << name;
    EXPECT_NE(find_mount(*c, "/var/log/app"), nullptr) << name;
  }
  EXPECT_NE(find_named(out, "volumes", log_volume_name("/data/logs")), nullptr);
  EXPECT_NE(find_named(out, "volumes", log_volume_name("/var/log/app")), nullptr);
  EXPECT_EQ(json::get_string(
                *json::find(*find_named(out, "volumes", "berth-log-config"), "configMap"), "name"),
            "team-logs");
}

struct BadAnnotation {
  std::string annotations;
  std::string message;
};

class BadLogAnnotation : public PodMutatorTest,
                         public ::testing::WithParamInterface<BadAnnotation> {};

TEST_P(BadLogAnnotation, IsDeniedNamingTheAnnotation) {
  AdmissionResponse r = mutate(pod(GetParam().annotations));
  EXPECT_FALSE(r.allowed);
  EXPECT_EQ(r.status_code, 400);
  EXPECT_EQ(r.status_reason, "BadRequest");
  EXPECT_NE(r.status_message.find(GetParam().message), std::string::npos) << r.status_message;
  EXPECT_EQ(r.status_message.rfind("pod web: ", 0), 0u) << r.status_message;
}

INSTANTIATE_TEST_SUITE_P(
    Annotations, BadLogAnnotation,
    ::testing::Values(
        BadAnnotation{std::string(kLogSidecar) + R"(,"berth.dev/log-paths":"/etc/*.conf")",
                      "annotation berth.dev/log-paths: \"/etc/*.conf\": directory /etc is a "
                      "system directory"},
        BadAnnotation{std::string(kLogSidecar) + R"(,"berth.dev/log-paths":" , ")",
                      "annotation berth.dev/log-paths: lists no path"},
        BadAnnotation{std::string(kLogSidecar) + R"(,"berth.dev/log-paths":"logs/*.log")",
                      "must be an absolute file path"},
        BadAnnotation{std::string(kLogSidecar) + R"(,"berth.dev/log-sidecar-image":"UPPER")",
                      "annotation berth.dev/log-sidecar-image: invalid image reference"},
        BadAnnotation{std::string(kLogSidecar) + R"(,"berth.dev/log-sidecar-cpu-limit":"fast")",
                      "annotation berth.dev/log-sidecar-cpu-limit: \"fast\" is not a positive "
                      "quantity"},
        BadAnnotation{std::string(kLogSidecar) + R"(,"berth.dev/log-sidecar-memory-request":"1Gi")",
                      "log sidecar memory request 1Gi exceeds its limit 128Mi"},
        BadAnnotation{std::string(kLogSidecar) + R"(,"berth.dev/log-config":"Bad_CM")",
                      "annotation berth.dev/log-config:"}));

TEST_F(PodMutatorTest, TooManyLogPathsAreDenied) {
  std::string paths;
  for (int i = 0; i < 17; ++i)
    paths += (i ? "," : "") + ("/logs/d" + std::to_string(i) + "/a");
  AdmissionResponse r =
      mutate(pod(std::string(kLogSidecar) + R"(,"berth.dev/log-paths":")" + paths + "\""));
  EXPECT_FALSE(r.allowed);
  EXPECT_NE(r.status_message.find("at most 16"), std::string::npos);
}

TEST_F(PodMutatorTest, LogSidecarOtherValuesWarnOrDoNothing) {
  EXPECT_TRUE(mutate(pod(R"("berth.dev/log-sidecar":"false")")).patch.empty());
  AdmissionResponse r = mutate(pod(R"("berth.dev/log-sidecar":"yes","berth.dev/inject":"true")"));
  EXPECT_TRUE(r.patch.empty());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("no log sidecar injected"), std::string::npos);
}

TEST_F(PodMutatorTest, ExistingMountAtLogDirectoryIsKeptWithAWarning) {
  std::string app = container("app", "nginx:1.25");
  app.insert(app.find("]"), R"(,{"name":"data","mountPath":"/var/log/app"})");
  std::string p = pod(kLogSidecar, app);
  AdmissionResponse r = mutate(p);
  ASSERT_TRUE(r.allowed);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("container \"app\" already mounts another volume at "
                               "/var/log/app"),
            std::string::npos);
  json::Document out = result(p, r);
  EXPECT_EQ(
      json::get_string(*find_mount(*find_named(out, "containers", "app"), "/var/log/app"), "name"),
      "data");
}

TEST_F(PodMutatorTest, JobPodsWarnAboutClassicSidecars) {
  std::string p = pod(kLogSidecar, container("app", "nginx:1.25"), "",
                      R"(,"ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":"j",)"
                      R"("uid":"u","controller":true}])");
  AdmissionResponse r = mutate(p);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("Job's pod does not complete"), std::string::npos);
  config_->log_sidecar.native = true;
  EXPECT_TRUE(mutate(p).warnings.empty());
}

// ---- secret mounts --------------------------------------------------------------------------

TEST_F(PodMutatorTest, SecretsAreMountedReadOnlyInEveryAppContainer) {
  std::string p =
      pod(std::string(kLogSidecar) + R"(,"berth.dev/mount-secrets":"db-creds, tls.web ,db-creds")",
          container("app", "nginx:1.25") + "," + container("worker", "worker:1"));
  json::Document out = mutated(p);
  for (const char* name : {"app", "worker"}) {
    const json::Value* c = find_named(out, "containers", name);
    ASSERT_NE(c, nullptr);
    for (const char* secret : {"db-creds", "tls.web"}) {
      const json::Value* m = find_mount(*c, "/var/run/berth/secrets/" + std::string(secret));
      ASSERT_NE(m, nullptr) << name << " " << secret;
      EXPECT_TRUE(json::find(*m, "readOnly")->GetBool());
      EXPECT_EQ(json::get_string(*m, "name"), secret_volume_name(secret));
    }
  }
  // Not in the log sidecar.
  EXPECT_EQ(find_mount(*find_named(out, "containers", "berth-log-shipper"),
                       "/var/run/berth/secrets/db-creds"),
            nullptr);
  const json::Value* v = find_named(out, "volumes", secret_volume_name("tls.web"));
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(json::get_string(*json::find(*v, "secret"), "secretName"), "tls.web");
  // Duplicates collapse into one volume.
  int count = 0;
  for (const auto& vol : json::find_path(out, {"spec", "volumes"})->GetArray()) {
    count += json::get_string(vol, "name") == secret_volume_name("db-creds") ? 1 : 0;
  }
  EXPECT_EQ(count, 1);
  EXPECT_EQ(annotation(out, kInjectedAnnotation), "log-sidecar,secrets");
}

TEST_F(PodMutatorTest, SecretVolumeNamesAreValidAndDistinct) {
  EXPECT_EQ(secret_volume_name("db-creds"), "berth-secret-db-creds");
  std::string dotted = secret_volume_name("tls.web");
  std::string dashed = secret_volume_name("tls-web");
  EXPECT_NE(dotted, dashed);
  std::string long_name = secret_volume_name(std::string(200, 'a') + ".b");
  EXPECT_LE(long_name.size(), 63u);
  for (const std::string& n : {dotted, dashed, long_name}) {
    EXPECT_EQ(n.find('.'), std::string::npos) << n;
    EXPECT_LE(n.size(), 63u);
    EXPECT_NE(n.back(), '-');
  }
  EXPECT_EQ(secret_volume_name("tls.web"), dotted) << "stable across calls";
}

TEST_F(PodMutatorTest, BadSecretNamesAreDenied) {
  AdmissionResponse r = mutate(pod(R"("berth.dev/mount-secrets":"ok,Not_OK")"));
  EXPECT_FALSE(r.allowed);
  EXPECT_NE(r.status_message.find("annotation berth.dev/mount-secrets: Secret name \"Not_OK\""),
            std::string::npos)
      << r.status_message;
  config_->secrets.max_secrets = 2;
  AdmissionResponse many = mutate(pod(R"("berth.dev/mount-secrets":"a,b,c")"));
  EXPECT_FALSE(many.allowed);
  EXPECT_NE(many.status_message.find("names 3 Secrets; at most 2"), std::string::npos);
}

TEST_F(PodMutatorTest, MountPathConflictWarns) {
  std::string app = container("app", "nginx:1.25");
  app.insert(app.find("]"), R"(,{"name":"mine","mountPath":"/var/run/berth/secrets/db"})");
  AdmissionResponse r = mutate(pod(R"("berth.dev/mount-secrets":"db")", app));
  ASSERT_TRUE(r.allowed);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("Secret db is not mounted there"), std::string::npos);
}

// ---- registry mirror ------------------------------------------------------------------------

class RegistryTest : public PodMutatorTest {
 protected:
  void SetUp() override {
    config_->registry.global.mirrors["docker.io"] = Mirror{"mirror.corp:5000", "hub"};
    config_->registry.global.mirrors["quay.io"] = Mirror{"mirror.corp:5000", "quay"};
    config_->registry.global.pull_secrets = {"mirror-pull"};
    namespaces_.set("app", {{std::string(kInjectionLabel), "enabled"}});
  }
};

TEST_F(RegistryTest, RewritesImagesAndAddsPullSecrets) {
  const std::string digest = "sha256:" + std::string(64, 'b');
  std::string p =
      pod("",
          container("app", "nginx:1.25") + "," + container("exporter", "quay.io/prom/x@" + digest) +
              "," + container("own", "ghcr.io/berth/own:1"),
          R"(,"initContainers":[{"name":"init","image":"busybox"}])");
  AdmissionResponse r = mutate(p);
  ASSERT_TRUE(r.allowed);
  EXPECT_NE(r.patch.find(R"({"op":"add","path":"/metadata/annotations","value":)"
                         R"({"berth.dev/injected":"registry"}})"),
            std::string::npos)
      << "the pod has no annotations: the patch must create the map\n"
      << r.patch;
  json::Document out = result(p, r);
  EXPECT_EQ(json::get_string(*find_named(out, "containers", "app"), "image"),
            "mirror.corp:5000/hub/library/nginx:1.25");
  EXPECT_EQ(json::get_string(*find_named(out, "containers", "exporter"), "image"),
            "mirror.corp:5000/quay/prom/x@" + digest);
  EXPECT_EQ(json::get_string(*find_named(out, "containers", "own"), "image"),
            "ghcr.io/berth/own:1");
  EXPECT_EQ(json::get_string(*find_named(out, "initContainers", "init"), "image"),
            "mirror.corp:5000/hub/library/busybox");
  const json::Value* secrets = json::find_path(out, {"spec", "imagePullSecrets"});
  ASSERT_NE(secrets, nullptr);
  ASSERT_EQ(secrets->Size(), 1u);
  EXPECT_EQ(json::get_string((*secrets)[0], "name"), "mirror-pull");
  EXPECT_EQ(annotation(out, kInjectedAnnotation), "registry");
}

TEST_F(RegistryTest, KeepsExistingPullSecrets) {
  std::string p = pod("", container("app", "nginx:1.25"),
                      R"(,"imagePullSecrets":[{"name":"own"},{"name":"mirror-pull"}])");
  json::Document out = mutated(p);
  EXPECT_EQ(json::find_path(out, {"spec", "imagePullSecrets"})->Size(), 2u);
}

TEST_F(RegistryTest, PerNamespacePolicyReplacesTheGlobalOne) {
  config_->registry.namespaces["team"].mirrors["docker.io"] = Mirror{"team.mirror.io", ""};
  config_->registry.namespaces["legacy"] = {};
  namespaces_.set("team", {{std::string(kInjectionLabel), "enabled"}});
  namespaces_.set("legacy", {{std::string(kInjectionLabel), "enabled"}});
  std::string p = pod();
  json::Document out = mutated(p, {.namespace_ = "team"});
  EXPECT_EQ(json::get_string(*find_named(out, "containers", "app"), "image"),
            "team.mirror.io/library/nginx:1.25");
  EXPECT_EQ(json::find_path(out, {"spec", "imagePullSecrets"}), nullptr);
  EXPECT_TRUE(mutate(p, {.namespace_ = "legacy"}).patch.empty());
}

TEST_F(RegistryTest, UnparsableImagesAreLeftToTheValidator) {
  std::string p = pod("", container("app", "Not A Image"));
  EXPECT_TRUE(mutate(p).patch.empty());
}

TEST_F(RegistryTest, UpdateRewritesOnlyChangedImages) {
  // Stored before the policy existed: nginx:1.25 un-mirrored. A label change must not touch it.
  std::string old_pod = pod("", container("app", "nginx:1.25") + "," + container("b", "redis:7"));
  std::string relabeled = old_pod;
  relabeled.replace(relabeled.find(R"("app":"web")"), 11, R"("app":"web2")");
  AdmissionResponse r = mutate(relabeled, {.operation = "UPDATE", .old_object = old_pod});
  EXPECT_TRUE(r.allowed);
  EXPECT_TRUE(r.patch.empty()) << r.patch;

  // kubectl set image on container b: only b is rewritten, pull secrets stay (immutable).
  std::string new_image = pod("", container("app", "nginx:1.25") + "," + container("b", "redis:8"));
  AdmissionResponse u = mutate(new_image, {.operation = "UPDATE", .old_object = old_pod});
  json::Document out = result(new_image, u);
  EXPECT_EQ(json::get_string(*find_named(out, "containers", "app"), "image"), "nginx:1.25");
  EXPECT_EQ(json::get_string(*find_named(out, "containers", "b"), "image"),
            "mirror.corp:5000/hub/library/redis:8");
  EXPECT_EQ(json::find_path(out, {"spec", "imagePullSecrets"}), nullptr);
}

// ---- UPDATE, idempotence, reinvocation, dryRun -----------------------------------------------

TEST_F(PodMutatorTest, UpdateNeverAddsContainersOrVolumes) {
  std::string old_pod = pod();
  std::string annotated = pod(std::string(kLogSidecar) + R"(,"berth.dev/mount-secrets":"a")");
  AdmissionResponse r = mutate(annotated, {.operation = "UPDATE", .old_object = old_pod});
  EXPECT_TRUE(r.allowed);
  EXPECT_TRUE(r.patch.empty()) << r.patch;
}

TEST_F(PodMutatorTest, MutatingTheMutatedPodIsANoOp) {
  config_->registry.global.mirrors["docker.io"] = Mirror{"mirror.corp", "hub"};
  config_->registry.global.pull_secrets = {"pull"};
  for (bool native : {false, true}) {
    config_->log_sidecar.native = native;
    std::string p = pod(std::string(kLogSidecar) +
                            R"(,"berth.dev/mount-secrets":"a,b.c","berth.dev/log-paths":)"
                            R"("/var/log/app/*.log,/data/x/y.log")",
                        container("app", "nginx:1.25") + "," + container("w", "quay.io/w:1"),
                        R"(,"initContainers":[{"name":"init","image":"busybox:1"}])");
    json::Document once = mutated(p);
    std::string once_text = json::dump(once);
    AdmissionResponse again = mutate(once_text);
    EXPECT_TRUE(again.allowed);
    EXPECT_TRUE(again.patch.empty()) << "native=" << native << " patch: " << again.patch;
    EXPECT_TRUE(again.warnings.empty());
    // And as an UPDATE of itself (metadata-only change).
    AdmissionResponse update = mutate(once_text, {.operation = "UPDATE", .old_object = once_text});
    EXPECT_TRUE(update.patch.empty()) << update.patch;
  }
}

TEST_F(PodMutatorTest, ReinvocationCoversAContainerAddedByAnotherWebhook) {
  std::string p = pod(std::string(kLogSidecar) + R"(,"berth.dev/mount-secrets":"a")");
  json::Document once = mutated(p);
  // Another webhook appends a container after Berth ran; kube-apiserver calls Berth again.
  json::Value extra(rapidjson::kObjectType);
  auto& alloc = once.GetAllocator();
  json::set_string(extra, "name", "mesh-proxy", alloc);
  json::set_string(extra, "image", "proxy:1", alloc);
  json::find(*json::find(once, "spec"), "containers")->PushBack(extra, alloc);
  std::string text = json::dump(once);
  AdmissionResponse r = mutate(text);
  ASSERT_TRUE(r.allowed);
  // Only the new container gets the mounts.
  EXPECT_EQ(
      r.patch,
      R"([{"op":"add","path":"/spec/containers/2/volumeMounts","value":[)"
      R"({"name":")" +
          log_volume_name("/var/log/app") +
          R"(","mountPath":"/var/log/app"},)"
          R"({"name":"berth-secret-a","mountPath":"/var/run/berth/secrets/a","readOnly":true}]}])");
}

TEST_F(PodMutatorTest, MarkerMergesWithAnExistingValue) {
  std::string p = pod(std::string(kLogSidecar) + R"(,"berth.dev/injected":"registry")");
  json::Document out = mutated(p);
  EXPECT_EQ(annotation(out, kInjectedAnnotation), "log-sidecar,registry");
}

TEST_F(PodMutatorTest, DryRunGetsTheSameAnswer) {
  std::string p = pod(std::string(kLogSidecar) + R"(,"berth.dev/mount-secrets":"a")");
  AdmissionResponse wet = mutate(p);
  AdmissionResponse dry = mutate(p, {.dry_run = true});
  EXPECT_EQ(dry.patch, wet.patch);
  EXPECT_EQ(dry.warnings, wet.warnings);
}

TEST_F(PodMutatorTest, GenerateNamePodWithoutName) {
  std::string p = pod(kLogSidecar);
  p.replace(p.find(R"("name":"web",)"), 13, R"("generateName":"web-7985997c79-",)");
  AdmissionResponse r = mutate(p, {.name = ""});
  ASSERT_TRUE(r.allowed);
  EXPECT_FALSE(r.patch.empty());
  std::string bad = pod(std::string(kLogSidecar) + R"(,"berth.dev/log-paths":"x")");
  bad.replace(bad.find(R"("name":"web",)"), 13, R"("generateName":"web-7985997c79-",)");
  AdmissionResponse denied = mutate(bad, {.name = ""});
  EXPECT_EQ(denied.status_message.rfind("pod web-7985997c79-*: ", 0), 0u) << denied.status_message;
}

}  // namespace
}  // namespace berth::webhooks
