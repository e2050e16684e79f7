// The reconciler against caches fed by hand and a client whose transport records requests.
#include "controllers/samples/configmap-hash/reconciler.h"

#include <gtest/gtest.h>

#include <mutex>

#include "controllers/samples/configmap-hash/config_hash.h"

namespace berth::samples {
namespace {

using Type = kube::WatcherEvent::Type;

class RecordingTransport : public kube::Transport {
 public:
  kube::Result<kube::HttpResponse> send(const kube::HttpRequest& r,
                                        const kube::CancelToken&) override {
    std::lock_guard lock(mu);
    requests.push_back(r);
    return kube::HttpResponse{200, "application/json", {}, {}, R"({"metadata":{"name":"x"}})"};
  }
  kube::Result<Stream> stream(const kube::HttpRequest&, const kube::CancelToken&) override {
    return kube::Error::transport("unused");
  }
  std::mutex mu;
  std::vector<kube::HttpRequest> requests;
};

class NullSink : public kube::EventSink {
 public:
  kube::Result<kube::Object> create(std::string_view, const kube::json::Value& e,
                                    const kube::CancelToken&) override {
    std::lock_guard lock(mu);
    reasons.emplace_back(kube::json::get_string(e, "reason"));
    return kube::Object::from(e);
  }
  kube::Result<kube::Object> patch(std::string_view, std::string_view, std::string_view,
                                   const kube::CancelToken&) override {
    return kube::Error::make(kube::Reason::kNotFound, "gone", 404);
  }
  std::mutex mu;
  std::vector<std::string> reasons;
};

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest()
      : transport_(std::make_shared<RecordingTransport>()),
        client_(transport_, kube::Config{.server = "http://127.0.0.1:1"}, {.qps = 0}),
        deployments_(nullptr, {.type = kube::resources::kDeployments}),
        config_maps_(nullptr, {.type = kube::resources::kConfigMaps}) {
    auto sink = std::make_unique<NullSink>();
    sink_ = sink.get();
    recorder_ = std::make_unique<kube::EventRecorder>(std::move(sink),
                                                      kube::EventRecorderOptions{.component = "t"});
    reconciler_ =
        std::make_unique<ConfigHashReconciler>(client_, deployments_, config_maps_, *recorder_);
  }
  void put(kube::Informer& informer, std::string_view json) {
    informer.apply({Type::kAdded, kube::Object::parse(json).value(), {}});
  }
  kube::Result<kube::ReconcileResult> reconcile(const std::string& key) {
    return reconciler_->reconcile(kube::Request::from_key(key), kube::ReconcileContext());
  }

  std::shared_ptr<RecordingTransport> transport_;
  kube::Client client_;
  kube::Informer deployments_;
  kube::Informer config_maps_;
  NullSink* sink_;
  std::unique_ptr<kube::EventRecorder> recorder_;
  std::unique_ptr<ConfigHashReconciler> reconciler_;
};

constexpr char kDeployment[] = R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{
    "namespace":"ns","name":"web","resourceVersion":"1",
    "annotations":{"berth.dev/config-map":"web-config"}},
    "spec":{"template":{"metadata":{"labels":{"app":"web"}}}}})";
constexpr char kConfigMap[] = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{
    "namespace":"ns","name":"web-config","resourceVersion":"2"},"data":{"log":"debug"}})";

TEST_F(ReconcilerTest, PatchesTheTemplateWithTheConfigMapHash) {
  put(deployments_, kDeployment);
  put(config_maps_, kConfigMap);
  ASSERT_TRUE(reconcile("ns/web").ok());
  ASSERT_EQ(transport_->requests.size(), 1u);
  const auto& r = transport_->requests[0];
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.target, "/apis/apps/v1/namespaces/ns/deployments/web");
  EXPECT_EQ(r.content_type, "application/merge-patch+json");
  std::string hash = config_hash(config_maps_.store().get("ns/web-config"));
  EXPECT_EQ(r.body, R"({"spec":{"template":{"metadata":{"annotations":{"berth.dev/config-hash":")" +
                        hash + R"("}}}}})");
  ASSERT_TRUE(recorder_->flush(std::chrono::seconds(10)));
  EXPECT_EQ(sink_->reasons, std::vector<std::string>{"ConfigHashUpdated"});
}

TEST_F(ReconcilerTest, UpToDateOrNotOptedInWritesNothing) {
  put(config_maps_, kConfigMap);
  std::string hash = config_hash(config_maps_.store().get("ns/web-config"));
  std::string current = kDeployment;
  current.replace(current.find(R"("labels")"), 0,
                  R"("annotations":{"berth.dev/config-hash":")" + hash + R"("},)");
  put(deployments_, current);
  put(deployments_, R"({"metadata":{"namespace":"ns","name":"plain","resourceVersion":"3"}})");
  EXPECT_TRUE(reconcile("ns/web").ok());
  EXPECT_TRUE(reconcile("ns/plain").ok());
  EXPECT_TRUE(reconcile("ns/deleted").ok());
  EXPECT_TRUE(transport_->requests.empty());
}

TEST_F(ReconcilerTest, MissingConfigMapIsAWarningNotAnError) {
  put(deployments_, kDeployment);
  ASSERT_TRUE(reconcile("ns/web").ok());
  EXPECT_TRUE(transport_->requests.empty());
  ASSERT_TRUE(recorder_->flush(std::chrono::seconds(10)));
  EXPECT_EQ(sink_->reasons, std::vector<std::string>{"ConfigMapNotFound"});
}

TEST_F(ReconcilerTest, CancelledContextMeansNoWrite) {
  put(deployments_, kDeployment);
  put(config_maps_, kConfigMap);
  kube::CancelSource lost;
  lost.cancel();
  auto r = reconciler_->reconcile({"ns", "web"}, kube::ReconcileContext(lost.token()));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().is(kube::Reason::kCancelled));
  EXPECT_TRUE(transport_->requests.empty());
}

}  // namespace
}  // namespace berth::samples
