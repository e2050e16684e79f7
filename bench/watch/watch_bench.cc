// Watch decoding and delivery, and what a cached pod costs in memory.
//
// The stream is synthetic but shaped like the apiserver's: one {"type":...,"object":...} line
// per event, pods of about 4 KB with the default fields, an ownerReference and managedFields
// from two managers. Baseline in the same run: a plain RapidJSON parse of the same lines,
// with no delivery.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "kube/api/object.h"
#include "kube/client/client.h"
#include "kube/client/watch_stream.h"
#include "kube/core/json.h"
#include "kube/http/server.h"

namespace {

std::string pod_json(int i) {
  std::string n = std::to_string(i);
  std::string uid = "5f2c8a1e-0b6d-4c3e-9a57-" + std::to_string(100000000000 + i);
  std::string rv = std::to_string(1000 + i);
  return R"({"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-595b59c9b5-)" + n +
         R"(","generateName":"web-595b59c9b5-","namespace":"prod","uid":")" + uid +
         R"(","resourceVersion":")" + rv +
         R"(","creationTimestamp":"2026-11-25T04:02:28Z","labels":{"app":"web",)"
         R"("app.kubernetes.io/name":"web","app.kubernetes.io/part-of":"shop",)"
         R"("pod-template-hash":"595b59c9b5","tier":"frontend"},"annotations":{)"
         R"("berth.dev/workload-class":"latency-critical","prometheus.io/scrape":"true"},)"
         R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet",)"
         R"("name":"web-595b59c9b5","uid":"0b6d4c3e-9a57-5f2c-8a1e-2d4f6a8b0c1e",)"
         R"("controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":)"
         R"("kube-controller-manager","operation":"Update","apiVersion":"v1","time":)"
         R"("2026-11-25T04:02:28Z","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{)"
         R"("f:generateName":{},"f:labels":{".":{},"f:app":{},"f:pod-template-hash":{},)"
         R"("f:tier":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"0b6d4c3e\"}":{}}},)"
         R"("f:spec":{"f:containers":{"k:{\"name\":\"app\"}":{".":{},"f:image":{},)"
         R"("f:imagePullPolicy":{},"f:name":{},"f:ports":{".":{},"k:{\"containerPort\":8080,)"
         R"(\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{},"f:protocol":{}}},)"
         R"("f:resources":{".":{},"f:limits":{".":{},"f:memory":{}},"f:requests":{".":{},)"
         R"("f:cpu":{},"f:memory":{}}},"f:terminationMessagePath":{},)"
         R"("f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},"f:enableServiceLinks":{},)"
         R"("f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},)"
         R"("f:terminationGracePeriodSeconds":{}}}},{"manager":"kubelet","operation":"Update",)"
         R"("apiVersion":"v1","time":"2026-11-25T04:02:31Z","fieldsType":"FieldsV1",)"
         R"("fieldsV1":{"f:status":{"f:conditions":{"k:{\"type\":\"Ready\"}":{".":{},)"
         R"("f:lastProbeTime":{},"f:lastTransitionTime":{},"f:status":{},"f:type":{}}},)"
         R"("f:containerStatuses":{},"f:hostIP":{},"f:phase":{},"f:podIP":{},"f:podIPs":{},)"
         R"("f:startTime":{}}},"subresource":"status"}]},"spec":{"volumes":[{"name":)"
         R"("kube-api-access-x7k2p","projected":{"sources":[{"serviceAccountToken":{)"
         R"("expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt",)"
         R"("items":[{"key":"ca.crt","path":"ca.crt"}]}},{"downwardAPI":{"items":[{"path":)"
         R"("namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}],)"
         R"("defaultMode":420}}],"containers":[{"name":"app","image":)"
         R"("registry.example.com/shop/web:1.42.0","ports":[{"containerPort":8080,)"
         R"("protocol":"TCP"}],"env":[{"name":"LOG_LEVEL","value":"info"},{"name":"POD_NAME",)"
         R"("valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"}}}],)"
         R"("resources":{"limits":{"memory":"512Mi"},"requests":{"cpu":"250m","memory":)"
         R"("256Mi"}},"volumeMounts":[{"name":"kube-api-access-x7k2p","readOnly":true,)"
         R"("mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"readinessProbe":{)"
         R"("httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"timeoutSeconds":1,)"
         R"("periodSeconds":10,"successThreshold":1,"failureThreshold":3},)"
         R"("terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",)"
         R"("imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always",)"
         R"("terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst",)"
         R"("serviceAccountName":"default","serviceAccount":"default","nodeName":"node-)" +
         std::to_string(i % 500) +
         R"(","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":)"
         R"("node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute",)"
         R"("tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":)"
         R"("Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,)"
         R"("enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":{)"
         R"("phase":"Running","conditions":[{"type":"Initialized","status":"True",)"
         R"("lastProbeTime":null,"lastTransitionTime":"2026-11-25T04:02:28Z"},{"type":"Ready",)"
         R"("status":"True","lastProbeTime":null,"lastTransitionTime":"2026-11-25T04:02:31Z"},)"
         R"({"type":"ContainersReady","status":"True","lastProbeTime":null,)"
         R"("lastTransitionTime":"2026-11-25T04:02:31Z"},{"type":"PodScheduled","status":)"
         R"("True","lastProbeTime":null,"lastTransitionTime":"2026-11-25T04:02:28Z"}],)"
         R"("hostIP":"10.0.3.)" +
         std::to_string(i % 250) + R"(","podIP":"10.244.)" + std::to_string(i % 250) + "." +
         std::to_string(i % 200) +
         R"(","podIPs":[{"ip":"10.244.1.7"}],)"
         R"("startTime":"2026-11-25T04:02:28Z","containerStatuses":[{"name":"app","state":{)"
         R"("running":{"startedAt":"2026-11-25T04:02:30Z"}},"lastState":{},"ready":true,)"
         R"("restartCount":0,"image":"registry.example.com/shop/web:1.42.0","imageID":)"
         R"("registry.example.com/shop/web@sha256:9c2b7e4f1a0d3c5b8e6f7a9d1c3e5b7f9a1c3e5d7)"
         R"(b9f1a3c5e7d9b1f3a5c7e9","containerID":"containerd://4f1a0d3c5b8e6f7a9d1c3e5b7f9a)"
         R"(1c3e5d7b9f1a3c5e7d9b1f3a5c7e94f1a","started":true}],"qosClass":"Burstable"}})";
}

std::vector<std::string> event_lines(int n) {
  std::vector<std::string> lines;
  lines.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    lines.push_back(std::string(R"({"type":")") + (i % 10 == 0 ? "ADDED" : "MODIFIED") +
                    R"(","object":)" + pod_json(i) + "}");
  }
  return lines;
}

const std::vector<std::string>& lines() {
  static const std::vector<std::string> kLines = event_lines(2000);
  return kLines;
}

std::size_t total_bytes(const std::vector<std::string>& v) {
  std::size_t n = 0;
  for (const auto& s : v)
    n += s.size() + 1;
  return n;
}

void set_counters(benchmark::State& state, std::size_t events, std::size_t bytes) {
  state.counters["events/s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
  state.counters["bytes/s"] = benchmark::Counter(
      static_cast<double>(bytes), benchmark::Counter::kIsRate, benchmark::Counter::kIs1024);
  state.counters["event_bytes"] =
      static_cast<double>(bytes) / static_cast<double>(std::max<std::size_t>(events, 1));
}

// Baseline: what parsing alone costs.
void BM_RawRapidJsonParse(benchmark::State& state) {
  const auto& in = lines();
  std::size_t events = 0;
  for (auto _ : state) {
    for (const std::string& line : in) {
      rapidjson::Document doc;
      doc.Parse(line.data(), line.size());
      benchmark::DoNotOptimize(doc.HasParseError());
      ++events;
    }
  }
  set_counters(state, events, total_bytes(in) * static_cast<std::size_t>(state.iterations()));
}
BENCHMARK(BM_RawRapidJsonParse)->Unit(benchmark::kMillisecond);

// decode_watch_event (bounded parse into a compact Object) and delivery to a callback.
void BM_DecodeAndDeliver(benchmark::State& state) {
  const auto& in = lines();
  std::size_t events = 0;
  std::size_t bytes_seen = 0;
  std::function<void(const kube::WatchEvent&)> callback = [&](const kube::WatchEvent& e) {
    bytes_seen += e.object.name().size();
  };
  for (auto _ : state) {
    for (const std::string& line : in) {
      auto event = kube::decode_watch_event(line);
      if (!event.ok()) state.SkipWithError("decode failed");
      callback(*event);
      ++events;
    }
  }
  benchmark::DoNotOptimize(bytes_seen);
  set_counters(state, events, total_bytes(in) * static_cast<std::size_t>(state.iterations()));
}
BENCHMARK(BM_DecodeAndDeliver)->Unit(benchmark::kMillisecond);

// The same events with the envelope's members in the other order: the general path (parse the
// envelope, then copy the object out), which the apiserver's fixed layout lets the fast path skip.
void BM_DecodeAndDeliverGeneralPath(benchmark::State& state) {
  std::vector<std::string> in;
  for (const std::string& line : lines()) {
    std::size_t start = line.find(R"(,"object":)");
    std::string type = line.substr(1, start - 1);  // "type":"..."
    std::string object = line.substr(start + 10, line.size() - start - 11);
    in.push_back(R"({"object":)" + object + "," + type + "}");
  }
  std::size_t events = 0;
  std::size_t bytes_seen = 0;
  for (auto _ : state) {
    for (const std::string& line : in) {
      auto event = kube::decode_watch_event(line);
      if (!event.ok()) state.SkipWithError("decode failed");
      bytes_seen += event->object.name().size();
      ++events;
    }
  }
  benchmark::DoNotOptimize(bytes_seen);
  set_counters(state, events, total_bytes(in) * static_cast<std::size_t>(state.iterations()));
}
BENCHMARK(BM_DecodeAndDeliverGeneralPath)->Unit(benchmark::kMillisecond);

// End to end on loopback: a kube::http::Server streams the events as one chunk each (like the
// apiserver over HTTP/1.1); kube::Client::watch reads them through cpprestsdk and decodes.
void BM_WatchOverHttp(benchmark::State& state) {
  const auto& in = lines();
  auto server =
      kube::http::Server::start({}, [&in](kube::http::Request&&, kube::http::Responder responder) {
        auto stream = responder.stream(200, {});
        for (const std::string& line : in)
          stream->write(line + "\n");
        stream->finish();
      });
  if (!server.ok()) {
    state.SkipWithError(server.error().to_string().c_str());
    return;
  }
  kube::Config config;
  config.server = (*server)->url();
  auto client = kube::Client::create(config, {.qps = 0});
  if (!client.ok()) {
    state.SkipWithError(client.error().to_string().c_str());
    return;
  }
  std::size_t events = 0;
  for (auto _ : state) {
    auto stream = (*client)->watch(kube::resources::kPods, "prod", {.resource_version = "1"});
    if (!stream.ok()) {
      state.SkipWithError(stream.error().to_string().c_str());
      break;
    }
    while (true) {
      auto event = (*stream)->next();
      if (!event.ok()) {
        state.SkipWithError(event.error().to_string().c_str());
        break;
      }
      if (!event->has_value()) break;
      benchmark::DoNotOptimize((*event)->object.name().size());
      ++events;
    }
  }
  set_counters(state, events, total_bytes(in) * static_cast<std::size_t>(state.iterations()));
}
BENCHMARK(BM_WatchOverHttp)->Unit(benchmark::kMillisecond)->UseRealTime();

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0;
  std::size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// What 10,000 cached pods cost: Object::memory_bytes and the process's RSS growth, with the
// objects as decoded and with metadata.managedFields stripped (an informer transform).
void BM_CachedPodMemory(benchmark::State& state) {
  const bool strip = state.range(0) != 0;
  constexpr int kPods = 10000;
  std::vector<std::string> in = event_lines(kPods);
  std::size_t json_bytes = 0;
  for (const auto& line : in)
    json_bytes += line.size();
  double object_bytes = 0;
  double rss_delta = 0;
  for (auto _ : state) {
    malloc_trim(0);
    std::size_t before = rss_bytes();
    std::vector<kube::Object> cache;
    cache.reserve(kPods);
    for (const std::string& line : in) {
      auto event = kube::decode_watch_event(line);
      if (!event.ok()) state.SkipWithError("decode failed");
      kube::Object object = std::move(event->object);
      if (strip) {
        kube::json::Document doc = object.copy();
        if (auto* metadata = kube::json::find(doc, "metadata")) {
          kube::json::remove(*metadata, "managedFields");
        }
        object = kube::Object::from(doc);
      }
      cache.push_back(std::move(object));
    }
    malloc_trim(0);
    std::size_t after = rss_bytes();
    std::size_t sum = 0;
    for (const auto& o : cache)
      sum += o.memory_bytes();
    object_bytes = static_cast<double>(sum) / kPods;
    rss_delta = static_cast<double>(after > before ? after - before : 0) / kPods;
    benchmark::DoNotOptimize(cache.data());
  }
  state.counters["json_bytes_per_pod"] = static_cast<double>(json_bytes) / kPods;
  state.counters["object_bytes_per_pod"] = object_bytes;
  state.counters["rss_bytes_per_pod"] = rss_delta;
}
BENCHMARK(BM_CachedPodMemory)->Arg(0)->Arg(1)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
