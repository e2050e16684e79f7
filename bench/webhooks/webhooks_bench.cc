// Server-side cost of one admission review (no network): decoding the AdmissionReview, running
// a webhook and encoding the answer, for the pod in bench_pod.cc. Baseline in the same run:
// decode + encode of the same review with no webhook (what any webhook pays to answer).
#include <benchmark/benchmark.h>

#include "bench/webhooks/bench_pod.h"
#include "kube/http/message.h"
#include "kube/metrics/registry.h"
#include "kube/patch/patch.h"
#include "webhooks/admission/handler.h"
#include "webhooks/admission/json_patch.h"
#include "webhooks/admission/review.h"
#include "webhooks/pods/pod_mutator.h"
#include "webhooks/pods/pod_validator.h"
#include "webhooks/server/routes.h"

namespace {

using namespace berth::webhooks;

struct Setup {
  Setup() : config(berth::bench::bench_config()), body(berth::bench::pod_review()) {
    berth::bench::add_bench_namespace(namespaces);
  }
  std::shared_ptr<WebhooksConfig> config;
  NamespaceLabelMap namespaces;
  std::string body;
};

void BM_ParseSerialize(benchmark::State& state) {
  Setup s;
  for (auto _ : state) {
    auto review = AdmissionReview::decode(s.body);
    std::string out =
        encode_response(review->api_version(), review->request().uid, AdmissionResponse::allow());
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.body.size()));
}
BENCHMARK(BM_ParseSerialize);

void BM_MutatePod(benchmark::State& state) {
  Setup s;
  PodMutator mutator(s.config, s.namespaces);
  std::size_t patch_bytes = 0;
  for (auto _ : state) {
    auto review = AdmissionReview::decode(s.body);
    AdmissionResponse answer = mutator.review(review->request());
    std::string out = encode_response(review->api_version(), review->request().uid, answer);
    patch_bytes = answer.patch.size();
    benchmark::DoNotOptimize(out);
  }
  if (patch_bytes == 0) state.SkipWithError("no patch: the workload is not mutated");
  state.counters["patch_bytes"] = static_cast<double>(patch_bytes);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.body.size()));
}
BENCHMARK(BM_MutatePod);

// Reinvocation: the pod is already injected, so the work is the same and the patch is empty.
void BM_MutateInjectedPod(benchmark::State& state) {
  Setup s;
  PodMutator mutator(s.config, s.namespaces);
  {
    auto review = AdmissionReview::decode(s.body);
    AdmissionResponse answer = mutator.review(review->request());
    auto ops = kube::json::parse(answer.patch);
    kube::json::Document pod = kube::json::copy(*review->request().object);
    (void)kube::patch::apply_json_patch(pod, *ops);
    std::string object = kube::json::dump(pod);
    auto at = s.body.find(R"("object":)") + 9;
    auto end = s.body.find(R"(,"oldObject")");
    s.body.replace(at, end - at, object);
  }
  for (auto _ : state) {
    auto review = AdmissionReview::decode(s.body);
    AdmissionResponse answer = mutator.review(review->request());
    if (!answer.patch.empty()) state.SkipWithError("reinvocation produced a patch");
    benchmark::DoNotOptimize(encode_response(review->api_version(), review->request().uid, answer));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.body.size()));
}
BENCHMARK(BM_MutateInjectedPod);

void BM_ValidatePod(benchmark::State& state) {
  Setup s;
  PodValidator validator(s.config, s.namespaces);
  for (auto _ : state) {
    auto review = AdmissionReview::decode(s.body);
    AdmissionResponse answer = validator.review(review->request());
    benchmark::DoNotOptimize(encode_response(review->api_version(), review->request().uid, answer));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.body.size()));
}
BENCHMARK(BM_ValidatePod);

// What the server runs per request: routing, content-type check, decisions counter.
void BM_HandlerMutatePod(benchmark::State& state) {
  Setup s;
  kube::metrics::Registry registry;
  AdmissionHandler handler(berth_routes(s.config, s.namespaces), registry);
  kube::http::Request request;
  request.method = "POST";
  request.target = "/mutate/pods?timeout=10s";
  request.headers.add("Content-Type", "application/json");
  request.body = s.body;
  for (auto _ : state) {
    kube::http::Response r = handler.handle(request);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.body.size()));
}
BENCHMARK(BM_HandlerMutatePod);

}  // namespace

BENCHMARK_MAIN();
