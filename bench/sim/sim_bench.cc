// berth-sim throughput: creating objects through the full write path (in-process and over
// HTTP), listing, and watch fan-out. The baseline in the same run is the bare Store insert
// (what the write path adds on top: defaults, admission, managedFields, validation, events).
#include <benchmark/benchmark.h>

#include <atomic>
#include <string>

#include "kube/http/client.h"
#include "sim/apiserver/api_server.h"
#include "sim/apiserver/storage.h"

namespace {

namespace json = kube::json;
using berth::sim::ApiServer;
using berth::sim::ApiServerOptions;

std::unique_ptr<ApiServer> start() {
  ApiServerOptions options;
  options.watch_history = 1000;
  auto s = ApiServer::start(options);
  if (!s.ok()) std::abort();
  return std::move(s).value();
}

std::string configmap(std::int64_t i) {
  return R"({"metadata":{"name":"cm-)" + std::to_string(i) +
         R"(","labels":{"app":"bench","tier":"x"}},"data":{"config.yaml":"port: 8080\nlog: info\n","mode":"prod"}})";
}

// Baseline: a raw insert into the store (key order, revision, event) without the API layer.
void BM_StoreInsert(benchmark::State& state) {
  berth::sim::WatchHub hub(berth::sim::WatchHubOptions{.history = 1000});
  berth::sim::Store store(hub);
  std::int64_t i = 0;
  for (auto _ : state) {
    auto doc = json::parse(configmap(i));
    std::string key = "default/cm-" + std::to_string(i++);
    benchmark::DoNotOptimize(store.create("/configmaps", key, std::move(doc).value()));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_StoreInsert);

// The full write path in-process: decode checks, defaults, managedFields, admission,
// validation, commit, event.
void BM_ObjectApiCreate(benchmark::State& state) {
  auto server = start();
  auto resource = server->registry().find("", "v1", "configmaps");
  berth::sim::WriteOptions options;
  options.field_manager = "bench";
  std::int64_t i = 0;
  for (auto _ : state) {
    auto doc = json::parse(configmap(i++));
    auto r = server->api().create(resource, "default", std::move(doc).value(), options);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ObjectApiCreate);

// POST over loopback HTTP with keep-alive, one request at a time.
void BM_HttpCreate(benchmark::State& state) {
  auto server = start();
  kube::http::Client client;
  kube::http::Headers headers;
  headers.add("Content-Type", "application/json");
  std::string url = server->url() + "/api/v1/namespaces/default/configmaps";
  std::int64_t i = 0;
  for (auto _ : state) {
    auto r = client.request("POST", url, headers, configmap(i++), std::chrono::seconds(10));
    if (!r.ok() || r->status != 201) state.SkipWithError("create failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HttpCreate)->UseRealTime();

// A full list of N ConfigMaps over HTTP (render + transfer).
void BM_HttpList(benchmark::State& state) {
  auto server = start();
  auto resource = server->registry().find("", "v1", "configmaps");
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    auto doc = json::parse(configmap(i));
    (void)server->api().create(resource, "default", std::move(doc).value(), {});
  }
  kube::http::Client client;
  std::string url = server->url() + "/api/v1/namespaces/default/configmaps";
  for (auto _ : state) {
    auto r = client.get(url, std::chrono::seconds(30));
    if (!r.ok() || r->status != 200) state.SkipWithError("list failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_HttpList)->Arg(1000)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
