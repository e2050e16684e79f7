// berth-sim's admission chain calling the real berth-webhooks server, registered the way a
// cluster registers it: Mutating/ValidatingWebhookConfigurations created through the sim's API
// with a Service reference, the caBundle written by berth-webhooks' CertManager, the serving
// certificate verified against the Service's DNS name. Plus a test webhook server for what
// berth-webhooks does not do (hang, add a container after Berth ran).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "kube/api/resource.h"
#include "kube/client/client.h"
#include "kube/core/json.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/http/client.h"
#include "kube/http/server.h"
#include "kube/tls/certificates.h"
#include "sim/apiserver/api_server.h"
#include "tests/support/wait.h"
#include "webhooks/certs/cert_manager.h"
#include "webhooks/config/config.h"
#include "webhooks/server/namespace_cache.h"
#include "webhooks/server/routes.h"
#include "webhooks/server/webhook_server.h"

namespace berth::webhooks {
namespace {

namespace json = kube::json;
using kube::resources::kMutatingWebhookConfigurations;
using kube::resources::kNamespaces;
using kube::resources::kPods;
using kube::resources::kValidatingWebhookConfigurations;

constexpr const char* kMutateName = "mutate-pods.berth.dev";
constexpr const char* kValidateName = "validate-pods.berth.dev";

// webhooks.yaml of the server under test: images from Docker Hub go through a mirror.
constexpr const char* kWebhooksConfig = R"(
registry:
  mirrors:
    docker.io: mirror.corp:5000/hub
  pullSecrets: [mirror-pull]
)";

json::Document parse(std::string_view text) {
  auto doc = json::parse(text);
  if (!doc.ok()) ADD_FAILURE() << "bad JSON in the test: " << text;
  return doc.ok() ? std::move(doc).value() : json::Document();
}

// One webhook entry of a configuration. `client_config` is the clientConfig JSON.
std::string webhook_entry(std::string_view name, std::string_view client_config,
                          std::string_view extra = "") {
  return R"({"name":")" + std::string(name) + R"(","clientConfig":)" + std::string(client_config) +
         R"(,"rules":[{"operations":["CREATE","UPDATE"],"apiGroups":[""],"apiVersions":["v1"],)"
         R"("resources":["pods"]}],"sideEffects":"None","admissionReviewVersions":["v1"])" +
         std::string(extra) + "}";
}

std::string configuration(std::string_view kind, std::string_view name, std::string_view entry) {
  return R"({"apiVersion":"admissionregistration.k8s.io/v1","kind":")" + std::string(kind) +
         R"(","metadata":{"name":")" + std::string(name) + R"("},"webhooks":[)" +
         std::string(entry) + "]}";
}

// A pod with one container "app".
std::string pod_json(std::string_view name, std::string_view ns, std::string_view image,
                     std::string_view annotations = "", std::string_view labels = "") {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + std::string(name) +
         R"(","namespace":")" + std::string(ns) + R"(","annotations":{)" +
         std::string(annotations) + R"(},"labels":{)" + std::string(labels) +
         R"(}},"spec":{"containers":[{"name":"app","image":")" + std::string(image) + R"("}]}})";
}

std::vector<const json::Value*> containers_named(const kube::Object& pod, std::string_view name) {
  std::vector<const json::Value*> out;
  const json::Value* cs = json::find_path(pod.json(), {"spec", "containers"});
  if (cs == nullptr || !cs->IsArray()) return out;
  for (const auto& c : cs->GetArray()) {
    if (json::get_string(c, "name") == name) out.push_back(&c);
  }
  return out;
}

std::size_t count_of(const kube::Object& pod, std::string_view list) {
  const json::Value* v = json::find_path(pod.json(), {"spec", list});
  return v != nullptr && v->IsArray() ? v->Size() : 0;
}

bool mounts(const json::Value& container, std::string_view path) {
  const json::Value* ms = json::find(container, "volumeMounts");
  if (ms == nullptr || !ms->IsArray()) return false;
  for (const auto& m : ms->GetArray()) {
    if (json::get_string(m, "mountPath") == path) return true;
  }
  return false;
}

// A second webhook server under the test's control, TLS with a certificate for 127.0.0.1:
// /add-container adds container "late" to a pod that lacks it; /hang never answers; /garbage,
// /wrong-uid, /http-500 and /bad-patch answer what a broken webhook would.
class TestWebhook {
 public:
  TestWebhook() {
    auto ca = kube::tls::generate_ca({.common_name = "test-webhook-ca"});
    if (!ca.ok()) throw std::runtime_error(ca.error().to_string());
    ca_pem_ = ca->cert_pem;
    kube::tls::CertificateOptions cert;
    cert.common_name = "test-webhook";
    cert.ip_addresses = {"127.0.0.1"};
    auto serving = kube::tls::issue_certificate(*ca, cert);
    if (!serving.ok()) throw std::runtime_error(serving.error().to_string());
    auto tls = std::make_shared<kube::http::TlsOptions>();
    tls->provider = [pair = std::make_pair(serving->cert_pem, serving->key_pem)]()
        -> kube::Result<std::pair<std::string, std::string>> { return pair; };
    kube::http::ServerOptions options;
    options.bind_address = "127.0.0.1:0";
    options.tls = std::move(tls);
    options.name = "test-webhook";
    auto started = kube::http::Server::start(
        options, [this](kube::http::Request&& r, kube::http::Responder w) {
          serve(std::move(r), std::move(w));
        });
    if (!started.ok()) throw std::runtime_error(started.error().to_string());
    server_ = std::move(started).value();
  }
  ~TestWebhook() {
    server_->stop(std::chrono::milliseconds(0));
    std::lock_guard<std::mutex> lock(mu_);
    hung_.clear();  // no-ops once the server stopped
  }

  std::string url(std::string_view path) const { return server_->url() + std::string(path); }
  std::string ca_bundle() const { return kube::base64_encode(ca_pem_); }
  int hung() const { return hung_count_.load(); }
  int add_container_calls() const { return add_calls_.load(); }

 private:
  void serve(kube::http::Request&& r, kube::http::Responder w) {
    if (r.path() == "/hang") {
      std::lock_guard<std::mutex> lock(mu_);
      hung_.push_back(std::move(w));
      ++hung_count_;
      return;
    }
    if (r.path() == "/garbage") {
      w.send(kube::http::Response::json(200, "{\"apiVersion\": \"admission.k8s.io/v1\", trunc"));
      return;
    }
    if (r.path() == "/http-500") {
      w.send(kube::http::Response::text(500, "webhook crashed"));
      return;
    }
    auto review = json::parse(r.body);
    if (!review.ok()) {
      w.send(kube::http::Response::text(400, "bad review"));
      return;
    }
    const json::Value& request = (*review)["request"];
    if (r.path() == "/wrong-uid" || r.path() == "/bad-patch") {
      bool wrong_uid = r.path() == "/wrong-uid";
      std::string uid = wrong_uid ? "not-the-uid" : std::string(json::get_string(request, "uid"));
      std::string patch = kube::base64_encode(R"([{"op":"remove","path":"/spec/nonexistent"}])");
      w.send(kube::http::Response::json(
          200,
          R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":")" +
              uid + R"(","allowed":true)" +
              (wrong_uid ? "" : R"(,"patchType":"JSONPatch","patch":")" + patch + "\"") + "}}"));
      return;
    }
    ++add_calls_;
    std::string patch = "[]";
    const json::Value* object = json::find(request, "object");
    bool has_late = false;
    if (const json::Value* cs =
            object != nullptr ? json::find_path(*object, {"spec", "containers"}) : nullptr;
        cs != nullptr && cs->IsArray()) {
      for (const auto& c : cs->GetArray())
        has_late = has_late || json::get_string(c, "name") == "late";
    }
    if (!has_late) {
      patch = R"([{"op":"add","path":"/spec/containers/-","value":{"name":"late",)"
              R"("image":"mirror.corp:5000/hub/library/busybox:1.36"}}])";
    }
    w.send(kube::http::Response::json(
        200, R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":")" +
                 std::string(json::get_string(request, "uid")) +
                 R"(","allowed":true,"patchType":"JSONPatch","patch":")" +
                 kube::base64_encode(patch) + R"("}})"));
  }

  std::string ca_pem_;
  std::unique_ptr<kube::http::Server> server_;
  std::mutex mu_;
  std::vector<kube::http::Responder> hung_;
  std::atomic<int> hung_count_{0};
  std::atomic<int> add_calls_{0};
};

class AdmissionChain : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = sim::ApiServer::start({.listen = "127.0.0.1:0"});
    ASSERT_TRUE(started.ok()) << started.error().to_string();
    sim_ = std::move(started).value();
    kube::Config config;
    config.server = sim_->url();
    config.bearer_token = "berth-sim";
    auto client = kube::Client::create(config, {.qps = 0});
    ASSERT_TRUE(client.ok()) << client.error().to_string();
    client_ = std::move(client).value();

    create_namespace("berth-system", "");
    create_namespace("team", R"("berth.dev/injection":"enabled")");
    create_namespace("enforced",
                     R"("berth.dev/injection":"enabled","berth.dev/policy-mode":"enforce")");
    create_namespace("plain", "");
    for (const char* ns : {"team", "enforced", "plain", "kube-system"})
      wait_for_account(ns);

    // As deploy/ registers Berth: the Service, Fail, never kube-system or Berth's namespace.
    std::string client_config =
        R"({"service":{"namespace":"berth-system","name":"berth-webhooks","path":"%s"}})";
    std::string selector =
        R"(,"failurePolicy":"Fail","timeoutSeconds":5,"namespaceSelector":{"matchExpressions":)"
        R"([{"key":"kubernetes.io/metadata.name","operator":"NotIn",)"
        R"("values":["kube-system","berth-system"]}]})";
    auto service = [&](std::string_view path) {
      std::string cc = client_config;
      return cc.replace(cc.find("%s"), 2, path);
    };
    create(kMutatingWebhookConfigurations,
           configuration("MutatingWebhookConfiguration", "berth-webhooks",
                         webhook_entry(kMutateName, service("/mutate/pods"),
                                       selector + R"(,"reinvocationPolicy":"IfNeeded")")));
    create(kValidatingWebhookConfigurations,
           configuration("ValidatingWebhookConfiguration", "berth-webhooks",
                         webhook_entry(kValidateName, service("/validate/pods"), selector)));

    certs_ = std::make_unique<CertManager>(*client_, CertManagerOptions{});
    auto reconciled = certs_->reconcile();
    ASSERT_TRUE(reconciled.ok()) << reconciled.error().to_string();
    ASSERT_TRUE(certs_->ca_bundle_injected());

    namespaces_ = std::make_unique<NamespaceCache>(*client_);
    namespaces_->start();
    ASSERT_TRUE(berth::testing::wait_for([&] { return namespaces_->synced(); }));
    auto parsed = parse_config(kWebhooksConfig, "webhooks.yaml");
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    auto tls = std::make_shared<kube::http::TlsOptions>();
    CertManager* certs = certs_.get();
    tls->provider = [certs] { return certs->serving_pair(); };
    auto server = WebhookServer::start(
        {.bind_address = "127.0.0.1:0", .tls = tls, .registry = &registry_},
        berth_routes(std::make_shared<WebhooksConfig>(std::move(parsed).value()), *namespaces_));
    ASSERT_TRUE(server.ok()) << server.error().to_string();
    server_ = std::move(server).value();
    sim_->set_webhook_service_address("berth-system/berth-webhooks",
                                      "127.0.0.1:" + std::to_string(server_->port()));
  }

  void TearDown() override {
    if (server_) server_->stop(std::chrono::milliseconds(0));
    if (namespaces_) namespaces_->stop();
  }

  void create_namespace(const std::string& name, const std::string& labels) {
    auto created = client_->create(
        kNamespaces, parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + name +
                           R"(","labels":{)" + labels + "}}}"));
    ASSERT_TRUE(created.ok()) << created.error().to_string();
  }

  // Pods need the namespace's default ServiceAccount, which the namespace controller adds.
  void wait_for_account(const std::string& ns) {
    ASSERT_TRUE(berth::testing::wait_for([&] {
      return client_->get(kube::resources::kServiceAccounts, ns, "default").ok();
    })) << ns;
  }

  void create(const kube::ResourceType& type, const std::string& object) {
    auto created = client_->create(type, parse(object));
    ASSERT_TRUE(created.ok()) << created.error().to_string();
  }

  kube::Result<kube::Object> create_pod(const std::string& pod) {
    return client_->create(kPods, parse(pod));
  }

  kube::Object stored_pod(const std::string& ns, const std::string& name) {
    auto got = client_->get(kPods, ns, name);
    EXPECT_TRUE(got.ok()) << ns << "/" << name << ": " << got.error().to_string();
    return got.ok() ? *got : kube::Object();
  }

  void set_failure_policy(const kube::ResourceType& type, const std::string& name,
                          const std::string& policy) {
    auto patched = client_->patch(
        type, "", name, kube::PatchType::kJson,
        R"([{"op":"replace","path":"/webhooks/0/failurePolicy","value":")" + policy + R"("}])");
    ASSERT_TRUE(patched.ok()) << patched.error().to_string();
  }

  // POST straight to the sim, to see the status, headers and body a client gets.
  kube::http::Response post(const std::string& path, const std::string& body) {
    kube::http::Client http;
    auto r = http.post_json(sim_->url() + path, body, std::chrono::seconds(30));
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    return r.ok() ? *r : kube::http::Response{};
  }

  std::unique_ptr<sim::ApiServer> sim_;
  std::unique_ptr<kube::Client> client_;
  std::unique_ptr<CertManager> certs_;
  std::unique_ptr<NamespaceCache> namespaces_;
  kube::metrics::Registry registry_;
  std::unique_ptr<WebhookServer> server_;
};

TEST_F(AdmissionChain, PodsOfOptedInNamespacesAreStoredMutated) {
  auto created = create_pod(
      pod_json("web", "team", "nginx:1.25",
               R"("berth.dev/log-sidecar":"true","berth.dev/mount-secrets":"db-creds")"));
  ASSERT_TRUE(created.ok()) << created.error().to_string();

  kube::Object pod = stored_pod("team", "web");
  ASSERT_TRUE(pod);
  auto app = containers_named(pod, "app");
  ASSERT_EQ(app.size(), 1u);
  EXPECT_EQ(json::get_string(*app[0], "image"), "mirror.corp:5000/hub/library/nginx:1.25");
  EXPECT_TRUE(mounts(*app[0], "/var/run/berth/secrets/db-creds"));
  EXPECT_TRUE(mounts(*app[0], "/var/log/app")) << "the log directory is shared with the sidecar";
  EXPECT_EQ(containers_named(pod, "berth-log-shipper").size(), 1u);
  std::string injected(pod.annotation("berth.dev/injected").value_or(""));
  for (const char* feature : {"log-sidecar", "secrets", "registry"})
    EXPECT_NE(injected.find(feature), std::string::npos) << injected;
  const json::Value* pull = json::find_path(pod.json(), {"spec", "imagePullSecrets"});
  ASSERT_TRUE(pull != nullptr && pull->IsArray() && pull->Size() == 1);
  EXPECT_EQ(json::get_string((*pull)[0], "name"), "mirror-pull");
  // The built-in plugins ran before the webhooks: the service account volume is still there.
  EXPECT_TRUE(mounts(*app[0], "/var/run/secrets/kubernetes.io/serviceaccount"));

  // A namespace that did not opt in, and a pod that did not ask: stored as sent.
  ASSERT_TRUE(create_pod(pod_json("web", "plain", "nginx:1.25")).ok());
  kube::Object plain = stored_pod("plain", "web");
  ASSERT_TRUE(plain);
  EXPECT_EQ(json::get_string(*containers_named(plain, "app").at(0), "image"), "nginx:1.25");
  EXPECT_TRUE(plain.annotation("berth.dev/injected").value_or("").empty());
}

TEST_F(AdmissionChain, UpdatesAndReappliesDoNotInjectTwice) {
  std::string manifest = pod_json("web", "team", "nginx:1.25", R"("berth.dev/log-sidecar":"true")");
  ASSERT_TRUE(create_pod(manifest).ok());
  kube::Object first = stored_pod("team", "web");
  ASSERT_TRUE(first);
  std::size_t volumes = count_of(first, "volumes");
  ASSERT_EQ(count_of(first, "containers"), 2u);

  auto expect_unchanged = [&](const std::string& step) {
    kube::Object now = stored_pod("team", "web");
    ASSERT_TRUE(now) << step;
    EXPECT_EQ(count_of(now, "containers"), 2u) << step;
    EXPECT_EQ(containers_named(now, "berth-log-shipper").size(), 1u) << step;
    EXPECT_EQ(count_of(now, "volumes"), volumes) << step;
    EXPECT_EQ(json::get_string(*containers_named(now, "app").at(0), "image"),
              "mirror.corp:5000/hub/library/nginx:1.25")
        << step;
  };

  // A label change (merge patch, reviewed as UPDATE).
  auto labelled = client_->patch(kPods, "team", "web", kube::PatchType::kMerge,
                                 R"({"metadata":{"labels":{"tier":"front"}}})");
  ASSERT_TRUE(labelled.ok()) << labelled.error().to_string();
  expect_unchanged("merge patch");
  // Re-applying the original manifest (strategic merge, as kubectl apply sends it): the image
  // goes back to nginx:1.25 and is rewritten to the same mirror image.
  auto reapplied =
      client_->patch(kPods, "team", "web", kube::PatchType::kStrategicMerge,
                     R"({"spec":{"containers":[{"name":"app","image":"nginx:1.25"}]}})");
  ASSERT_TRUE(reapplied.ok()) << reapplied.error().to_string();
  expect_unchanged("re-apply");
  // PUT of the stored object.
  kube::Object current = stored_pod("team", "web");
  ASSERT_TRUE(client_->update(kPods, current.json()).ok());
  expect_unchanged("put");
  EXPECT_EQ(stored_pod("team", "web").label("tier").value_or(""), "front");
}

TEST_F(AdmissionChain, DenialReachesTheClientAsTheApiserverWordsIt) {
  std::string pod = pod_json("latest", "enforced", "nginx:latest");
  kube::http::Response r = post("/api/v1/namespaces/enforced/pods", pod);
  ASSERT_EQ(r.status, 403) << r.body;
  auto status = json::parse(r.body);
  ASSERT_TRUE(status.ok()) << r.body;
  EXPECT_EQ(json::get_string(*status, "kind"), "Status");
  EXPECT_EQ(json::get_int(*status, "code"), 403);
  std::string message(json::get_string(*status, "message"));
  EXPECT_TRUE(message.starts_with(std::string("admission webhook \"") + kValidateName +
                                  "\" denied the request: "))
      << message;
  EXPECT_NE(message.find(":latest"), std::string::npos) << message;
  EXPECT_FALSE(client_->get(kPods, "enforced", "latest").ok()) << "a denied pod is not stored";

  // kube::Client sees the same Status.
  auto created = create_pod(pod);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().code, 403);
  EXPECT_EQ(created.error().message, message);
}

TEST_F(AdmissionChain, WarningsBecomeWarningHeaders) {
  // warn mode (the namespace has no policy label): admitted, with the finding as a warning.
  kube::http::Response r =
      post("/api/v1/namespaces/team/pods", pod_json("latest", "team", "nginx:latest"));
  ASSERT_EQ(r.status, 201) << r.body;
  std::string warnings;
  for (const auto& [name, value] : r.headers.fields()) {
    if (kube::iequals(name, "Warning")) warnings += value + "\n";
  }
  EXPECT_TRUE(warnings.starts_with("299 - \"")) << warnings;
  EXPECT_NE(warnings.find(":latest"), std::string::npos) << warnings;
}

TEST_F(AdmissionChain, FailurePolicyDecidesWhenTheWebhookIsDown) {
  std::mutex log_mu;
  std::vector<std::string> log_lines;
  kube::log::set_sink([&](std::string_view line) {
    std::lock_guard<std::mutex> lock(log_mu);
    log_lines.emplace_back(line);
  });
  server_->stop(std::chrono::milliseconds(0));

  // Fail: pods of matching namespaces are refused with the apiserver's 500...
  auto refused = create_pod(
      pod_json("web", "team", "nginx:1.25", R"("berth.dev/note":"do-not-log-this-value")"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 500);
  EXPECT_EQ(refused.error().reason, kube::Reason::kInternalError);
  EXPECT_NE(refused.error().message.find(std::string("Internal error occurred: failed calling "
                                                     "webhook \"") +
                                         kMutateName +
                                         "\": failed to call webhook: Post \"https://127.0.0.1:"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("/mutate/pods?timeout=5s\""), std::string::npos)
      << refused.error().message;
  // ...while kube-system, which the namespaceSelector excludes, is never affected.
  EXPECT_TRUE(create_pod(pod_json("dns", "kube-system", "coredns/coredns:1.10.1")).ok());
  kube::log::set_sink(nullptr);
  {
    std::lock_guard<std::mutex> lock(log_mu);
    bool logged = false;
    for (const auto& line : log_lines) {
      if (line.find("failed calling webhook") != std::string::npos &&
          line.find(kMutateName) != std::string::npos) {
        logged = true;
      }
      EXPECT_EQ(line.find("do-not-log-this-value"), std::string::npos) << line;
    }
    EXPECT_TRUE(logged) << "one info line per failed call";
  }

  // Ignore: admitted as if the webhooks were not there.
  set_failure_policy(kMutatingWebhookConfigurations, "berth-webhooks", "Ignore");
  set_failure_policy(kValidatingWebhookConfigurations, "berth-webhooks", "Ignore");
  auto admitted = create_pod(pod_json("web", "team", "nginx:1.25"));
  ASSERT_TRUE(admitted.ok()) << admitted.error().to_string();
  kube::Object pod = stored_pod("team", "web");
  EXPECT_TRUE(pod.annotation("berth.dev/injected").value_or("").empty());
  EXPECT_NE(kube::metrics::default_registry().render().find(
                std::string(R"(apiserver_admission_webhook_fail_open_count{name=")") + kMutateName +
                R"(",type="admit"})"),
            std::string::npos);
}

TEST_F(AdmissionChain, CaBundleAndNameAreVerified) {
  auto stranger = kube::tls::generate_ca({.common_name = "someone-else"});
  ASSERT_TRUE(stranger.ok());
  create(kMutatingWebhookConfigurations,
         configuration(
             "MutatingWebhookConfiguration", "zz-wrong-ca",
             webhook_entry("wrong-ca.berth.dev",
                           R"({"service":{"namespace":"berth-system","name":"berth-webhooks",)"
                           R"("path":"/mutate/pods"},"caBundle":")" +
                               kube::base64_encode(stranger->cert_pem) + R"("})",
                           R"(,"objectSelector":{"matchLabels":{"ca-test":"wrong"}})")));
  // The right CA, but the URL's 127.0.0.1 is not a name the certificate carries.
  create(kMutatingWebhookConfigurations,
         configuration(
             "MutatingWebhookConfiguration", "zz-by-ip",
             webhook_entry("by-ip.berth.dev",
                           R"({"url":"https://127.0.0.1:)" + std::to_string(server_->port()) +
                               R"(/mutate/pods","caBundle":")" +
                               kube::base64_encode(certs_->ca_bundle()) + R"("})",
                           R"(,"objectSelector":{"matchLabels":{"ca-test":"ip"}})")));

  auto wrong = create_pod(pod_json("a", "plain", "nginx:1.25", "", R"("ca-test":"wrong")"));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, 500);
  EXPECT_NE(wrong.error().message.find(R"(failed calling webhook "wrong-ca.berth.dev")"),
            std::string::npos)
      << wrong.error().message;
  EXPECT_NE(wrong.error().message.find("certificate verify failed"), std::string::npos)
      << wrong.error().message;

  auto by_ip = create_pod(pod_json("b", "plain", "nginx:1.25", "", R"("ca-test":"ip")"));
  ASSERT_FALSE(by_ip.ok());
  EXPECT_NE(by_ip.error().message.find(R"(failed calling webhook "by-ip.berth.dev")"),
            std::string::npos)
      << by_ip.error().message;
  EXPECT_NE(by_ip.error().message.find("mismatch"), std::string::npos) << by_ip.error().message;

  // Pods the two configurations do not select still go through Berth's own webhooks.
  ASSERT_TRUE(create_pod(pod_json("c", "plain", "nginx:1.25")).ok());
}

TEST_F(AdmissionChain, TimeoutSecondsBoundsAHangingWebhook) {
  TestWebhook hanging;
  create(kValidatingWebhookConfigurations,
         configuration("ValidatingWebhookConfiguration", "zz-hang",
                       webhook_entry("hang.berth.dev",
                                     R"({"url":")" + hanging.url("/hang") + R"(","caBundle":")" +
                                         hanging.ca_bundle() + R"("})",
                                     R"(,"timeoutSeconds":1,"failurePolicy":"Fail",)"
                                     R"("objectSelector":{"matchLabels":{"hang":"true"}})")));
  auto refused = create_pod(pod_json("a", "plain", "nginx:1.25", "", R"("hang":"true")"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 500);
  EXPECT_NE(refused.error().message.find("/hang?timeout=1s\": context deadline exceeded"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(hanging.hung(), 1) << "the call was made and then abandoned";

  set_failure_policy(kValidatingWebhookConfigurations, "zz-hang", "Ignore");
  auto admitted = create_pod(pod_json("b", "plain", "nginx:1.25", "", R"("hang":"true")"));
  ASSERT_TRUE(admitted.ok()) << admitted.error().to_string();
  EXPECT_EQ(hanging.hung(), 2);
}

TEST_F(AdmissionChain, IfNeededReinvokesBerthAfterALaterWebhookAddsAContainer) {
  TestWebhook late;
  // Sorted after "berth-webhooks", so it runs after Berth's mutating webhook.
  create(kMutatingWebhookConfigurations,
         configuration("MutatingWebhookConfiguration", "zz-add-container",
                       webhook_entry("add-container.berth.dev",
                                     R"({"url":")" + late.url("/add-container") +
                                         R"(","caBundle":")" + late.ca_bundle() + R"("})",
                                     R"(,"objectSelector":{"matchLabels":{"late":"true"}})")));
  auto created = create_pod(pod_json("web", "team", "nginx:1.25",
                                     R"("berth.dev/log-sidecar":"true")", R"("late":"true")"));
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  kube::Object pod = stored_pod("team", "web");
  ASSERT_TRUE(pod);
  auto added = containers_named(pod, "late");
  ASSERT_EQ(added.size(), 1u);
  // Only a second call of Berth's webhook, after the container appeared, can have mounted it.
  EXPECT_TRUE(mounts(*added[0], "/var/log/app"));
  EXPECT_EQ(containers_named(pod, "berth-log-shipper").size(), 1u);
  // reinvocationPolicy Never: the later webhook itself is called once.
  EXPECT_EQ(late.add_container_calls(), 1);
}

TEST_F(AdmissionChain, BrokenAnswersFollowTheFailurePolicy) {
  TestWebhook broken;
  struct Case {
    std::string path;
    std::string error;  // in the 500's message
    bool ignorable;     // admitted under failurePolicy Ignore
  };
  std::vector<Case> cases = {
      {"garbage", "received invalid webhook response: decoding the response", true},
      {"wrong-uid", "received invalid webhook response: expected response.uid=", true},
      {"http-500", "/http-500?timeout=10s\": the server responded with HTTP 500", true},
      // A patch that does not apply is the apiserver's own failure, not the call's.
      {"bad-patch", "applying the JSON patch of webhook \"bad-patch.berth.dev\"", false},
  };
  for (const auto& c : cases) {
    create(kMutatingWebhookConfigurations,
           configuration("MutatingWebhookConfiguration", "zz-" + c.path,
                         webhook_entry(c.path + ".berth.dev",
                                       R"({"url":")" + broken.url("/" + c.path) +
                                           R"(","caBundle":")" + broken.ca_bundle() + R"("})",
                                       R"(,"objectSelector":{"matchLabels":{"answer":")" + c.path +
                                           R"("}})")));
  }
  int n = 0;
  for (const auto& c : cases) {
    auto refused = create_pod(pod_json("p" + std::to_string(n++), "plain", "nginx:1.25", "",
                                       R"("answer":")" + c.path + "\""));
    ASSERT_FALSE(refused.ok()) << c.path;
    EXPECT_EQ(refused.error().code, 500) << c.path;
    EXPECT_NE(refused.error().message.find(c.error), std::string::npos)
        << c.path << ": " << refused.error().message;
  }
  for (const auto& c : cases) {
    set_failure_policy(kMutatingWebhookConfigurations, "zz-" + c.path, "Ignore");
    auto created = create_pod(pod_json("p" + std::to_string(n++), "plain", "nginx:1.25", "",
                                       R"("answer":")" + c.path + "\""));
    EXPECT_EQ(created.ok(), c.ignorable)
        << c.path << ": " << (created.ok() ? std::string("admitted") : created.error().message);
  }
}

TEST_F(AdmissionChain, DryRunSeesTheMutationWithoutStoringIt) {
  kube::http::Response r =
      post("/api/v1/namespaces/team/pods?dryRun=All",
           pod_json("dry", "team", "nginx:1.25", R"("berth.dev/log-sidecar":"true")"));
  ASSERT_EQ(r.status, 201) << r.body;
  auto body = json::parse(r.body);
  ASSERT_TRUE(body.ok());
  kube::Object answered = kube::Object::adopt(std::move(body).value());
  EXPECT_EQ(containers_named(answered, "berth-log-shipper").size(), 1u);
  EXPECT_FALSE(client_->get(kPods, "team", "dry").ok());
}

TEST_F(AdmissionChain, KubectlPrintsTheDenial) {
  const std::filesystem::path kubectl = "/usr/bin/kubectl";
  if (!std::filesystem::exists(kubectl)) GTEST_SKIP() << "kubectl not installed";
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("berth-admission-" + kube::random_suffix(8));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "kubeconfig") << sim_->kubeconfig(sim_->url());
    std::ofstream(dir / "pod.json") << pod_json("latest", "enforced", "nginx:latest");
  }
  std::string command = kubectl.string() + " --kubeconfig " + (dir / "kubeconfig").string() +
                        " --cache-dir " + (dir / "cache").string() +
                        " --request-timeout=60s --validate=false create -f " +
                        (dir / "pod.json").string() + " 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[4096];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr)
    output += buffer;
  int status = ::pclose(pipe);
  std::filesystem::remove_all(dir);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << output;
  EXPECT_NE(
      output.find(std::string("admission webhook \"") + kValidateName + "\" denied the request: "),
      std::string::npos)
      << output;
  EXPECT_NE(output.find(":latest"), std::string::npos) << output;
}

}  // namespace
}  // namespace berth::webhooks
