// Untrusted AdmissionReviews: decoding, every webhook and the patch it answers with must never
// crash, and every patch must apply to the object it was computed from.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "kube/core/json.h"
#include "kube/core/strings.h"
#include "kube/patch/patch.h"
#include "webhooks/admission/review.h"
#include "webhooks/crds/berth_validator.h"
#include "webhooks/pods/pod_mutator.h"
#include "webhooks/pods/pod_validator.h"

namespace {

using namespace berth::webhooks;

struct Webhooks {
  Webhooks() {
    // Every feature on, so the fuzzer reaches every injector and check.
    auto c = std::make_shared<WebhooksConfig>();
    c->registry.global.mirrors["docker.io"] = Mirror{"mirror.corp:5000", "hub"};
    c->registry.global.mirrors["quay.io"] = Mirror{"mirror.corp:5000", ""};
    c->registry.global.pull_secrets = {"pull"};
    c->policy.mode = PolicyMode::kEnforce;
    c->policy.allowed_registries = {"mirror.corp:5000"};
    c->policy.digest_pinning = DigestPinning::kWarn;
    config = c;
    namespaces.set("app", {{"berth.dev/injection", "enabled"}});
    mutator = std::make_unique<PodMutator>(config, namespaces);
    validator = std::make_unique<PodValidator>(config, namespaces);
  }
  std::shared_ptr<const WebhooksConfig> config;
  NamespaceLabelMap namespaces;
  std::unique_ptr<PodMutator> mutator;
  std::unique_ptr<PodValidator> validator;
  BerthValidator berth;
};

Webhooks& webhooks() {
  static Webhooks instance;
  return instance;
}

void check_answer(const AdmissionReview& review, const AdmissionResponse& answer) {
  std::string encoded = encode_response(review.api_version(), review.request().uid, answer);
  if (!kube::json::parse(encoded).ok()) std::abort();
  if (answer.patch.empty()) return;
  if (!answer.allowed) std::abort();
  auto ops = kube::json::parse(answer.patch);
  if (!ops.ok() || !ops->IsArray() || review.request().object == nullptr) std::abort();
  kube::json::Document target = kube::json::copy(*review.request().object);
  if (!kube::patch::apply_json_patch(target, *ops).ok()) std::abort();
  // Idempotence: the patched pod needs no further patch.
  std::string again = R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":)"
                      R"({"uid":"u","kind":{"group":"","version":"v1","kind":"Pod"},)"
                      R"("namespace":"app","operation":"CREATE","object":)" +
                      kube::json::dump(target) + "}}";
  auto second = AdmissionReview::decode(again);
  if (!second.ok()) return;  // deeper than the bound after patching
  AdmissionResponse answer2 = webhooks().mutator->review(second->request());
  if (!answer2.patch.empty() && review.request().operation == Operation::kCreate &&
      review.request().sub_resource.empty() && review.request().namespace_ == "app") {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Webhooks& w = webhooks();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto review = AdmissionReview::decode(text, {.max_bytes = 1 << 20});
  if (!review.ok()) return 0;
  check_answer(*review, w.mutator->review(review->request()));
  check_answer(*review, w.validator->review(review->request()));
  check_answer(*review, w.berth.review(review->request()));
  return 0;
}
