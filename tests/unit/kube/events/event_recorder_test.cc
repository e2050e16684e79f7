#include "kube/events/event_recorder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>

#include "kube/clock/fake_clock.h"
#include "tests/support/fixtures.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/client/fake_apiserver.h"

namespace kube {
namespace {

using berth::testing::wait_for;
using namespace std::chrono_literals;

// Keeps Events like the apiserver (by namespace/name) and records each call.
class MemorySink : public EventSink {
 public:
  Result<Object> create(std::string_view ns, const json::Value& event,
                        const CancelToken& cancel) override {
    KUBE_RETURN_IF_ERROR(gate(cancel));
    std::lock_guard lock(mu_);
    calls.push_back("create");
    Object o = Object::from(event);
    events[std::string(ns) + "/" + std::string(o.name())] = json::copy(event);
    return o;
  }
  Result<Object> patch(std::string_view ns, std::string_view name, std::string_view body,
                       const CancelToken& cancel) override {
    KUBE_RETURN_IF_ERROR(gate(cancel));
    std::lock_guard lock(mu_);
    calls.push_back("patch " + std::string(body));
    auto it = events.find(std::string(ns) + "/" + std::string(name));
    if (it == events.end()) return Error::make(Reason::kNotFound, "events not found", 404);
    auto p = json::parse(body).value();
    for (auto& m : p.GetObject()) {
      json::set(it->second, json::as_string(m.name),
                json::Value(m.value, it->second.GetAllocator()), it->second.GetAllocator());
    }
    return Object::from(it->second);
  }
  Status gate(const CancelToken& cancel) {
    auto wake = cancel.on_cancel([this] {
      std::lock_guard lock(mu_);
      cv.notify_all();
    });
    std::unique_lock lock(mu_);
    ++entered;
    cv.wait(lock, [&] { return open || cancel.cancelled(); });
    if (!open) return Error::make(Reason::kCancelled, "cancelled");
    return ok_status();
  }
  void set_open(bool o) {
    std::lock_guard lock(mu_);
    open = o;
    cv.notify_all();
  }
  std::vector<std::string> get_calls() {
    std::lock_guard lock(mu_);
    return calls;
  }
  std::map<std::string, json::Document> snapshot() {
    std::lock_guard lock(mu_);
    std::map<std::string, json::Document> out;
    for (auto& [k, v] : events)
      out.emplace(k, json::copy(v));
    return out;
  }
  void erase_all() {
    std::lock_guard lock(mu_);
    events.clear();
  }

  std::mutex mu_;
  std::condition_variable cv;
  bool open = true;
  std::atomic<int> entered{0};
  std::vector<std::string> calls;
  std::map<std::string, json::Document> events;
};

Object deployment(std::string_view name = "web") {
  return Object::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" +
                       std::string(name) +
                       R"(","namespace":"fx-objects","uid":"u-1","resourceVersion":"453"}})")
      .value();
}

class EventRecorderTest : public ::testing::Test {
 protected:
  EventRecorderTest() {
    auto sink = std::make_unique<MemorySink>();
    sink_ = sink.get();
    EventRecorderOptions o;
    o.component = "berth-controller";
    o.clock = &clock_;
    o.wall_clock = [this] { return wall_; };
    o.metrics = &registry_;
    recorder_ = std::make_unique<EventRecorder>(std::move(sink), std::move(o));
  }
  double metric(const std::string& result) {
    std::string text = registry_.render();
    std::string sample = "berth_events_total{result=\"" + result + "\"} ";
    auto at = text.find(sample);
    return at == std::string::npos ? 0 : std::stod(text.substr(at + sample.size()));
  }

  FakeClock clock_;
  SystemTime wall_ = SystemTime(std::chrono::seconds(1'795'000'000));
  metrics::Registry registry_;
  MemorySink* sink_;
  std::unique_ptr<EventRecorder> recorder_;
};

TEST_F(EventRecorderTest, EventMatchesWhatTheApiserverAcceptedFromAController) {
  BERTH_REQUIRE_FIXTURES();
  auto meta = berth::testing::read_fixture_json("objects/event-core-v1-create.meta.json");
  ASSERT_TRUE(meta);
  const json::Value& expected = (*meta)["request_body"];
  auto regarding =
      Object::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web",
          "namespace":"fx-objects"}})")
          .value();
  recorder_->event(regarding, EventType::kNormal, "RolloutStarted", "rollout started");
  ASSERT_TRUE(recorder_->flush(10s));
  auto events = sink_->snapshot();
  ASSERT_EQ(events.size(), 1u);
  json::Document written = json::copy(events.begin()->second);
  // Names and times vary per run; everything else is identical.
  EXPECT_EQ(events.begin()->first.rfind("fx-objects/web.", 0), 0u);
  for (const char* key : {"firstTimestamp", "lastTimestamp"}) {
    EXPECT_EQ(json::get_string(written, key), format_time(wall_));
    json::set_string(written, key, json::get_string(expected, key), written.GetAllocator());
  }
  json::set_string(written["metadata"], "name", "web.fx0002", written.GetAllocator());
  EXPECT_TRUE(json::equal(written, expected)) << json::dump(written);
}

TEST_F(EventRecorderTest, RepeatsWithinTheWindowPatchTheCount) {
  Object d = deployment();
  recorder_->event(d, EventType::kWarning, "SyncFailed", "configmap missing");
  recorder_->event(d, EventType::kWarning, "SyncFailed", "configmap missing");
  wall_ += 30s;
  recorder_->event(d, EventType::kWarning, "SyncFailed", "configmap missing");
  recorder_->event(d, EventType::kWarning, "SyncFailed", "another message");
  ASSERT_TRUE(recorder_->flush(10s));
  auto calls = sink_->get_calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[0], "create");
  EXPECT_EQ(calls[1], R"(patch {"count":2,"lastTimestamp":")" + format_time(wall_ - 30s) + "\"}");
  EXPECT_EQ(calls[2], R"(patch {"count":3,"lastTimestamp":")" + format_time(wall_) + "\"}");
  EXPECT_EQ(calls[3], "create");
  auto events = sink_->snapshot();
  ASSERT_EQ(events.size(), 2u);
  int threes = 0;
  for (auto& [name, e] : events) {
    EXPECT_EQ(json::get_string(e, "type"), "Warning");
    EXPECT_EQ(json::get_string(e["involvedObject"], "uid"), "u-1");
    EXPECT_EQ(json::get_string(e["involvedObject"], "resourceVersion"), "453");
    if (json::get_int(e, "count") == 3) {
      ++threes;
      EXPECT_EQ(json::get_string(e, "firstTimestamp"), format_time(wall_ - 30s));
      EXPECT_EQ(json::get_string(e, "lastTimestamp"), format_time(wall_));
    }
  }
  EXPECT_EQ(threes, 1);
  EXPECT_EQ(metric("created"), 2);
  EXPECT_EQ(metric("aggregated"), 2);

  // After the window a repeat starts a new Event.
  clock_.advance(11min);
  recorder_->event(d, EventType::kWarning, "SyncFailed", "configmap missing");
  ASSERT_TRUE(recorder_->flush(10s));
  EXPECT_EQ(sink_->get_calls().back(), "create");
  EXPECT_EQ(sink_->snapshot().size(), 3u);
}

TEST_F(EventRecorderTest, ExpiredEventIsRecreatedWithItsCount) {
  Object d = deployment();
  recorder_->event(d, EventType::kNormal, "Synced", "ok");
  ASSERT_TRUE(recorder_->flush(10s));
  sink_->erase_all();  // the apiserver's event TTL ran out
  recorder_->event(d, EventType::kNormal, "Synced", "ok");
  ASSERT_TRUE(recorder_->flush(10s));
  auto events = sink_->snapshot();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(json::get_int(events.begin()->second, "count"), 2);
}

TEST_F(EventRecorderTest, SpamFilterLimitsEachObject) {
  Object noisy = deployment("noisy");
  Object quiet = deployment("quiet");
  for (int i = 0; i < 30; ++i)
    recorder_->event(noisy, EventType::kNormal, "Tick", "tick " + std::to_string(i));
  recorder_->event(quiet, EventType::kNormal, "Tick", "tick");
  ASSERT_TRUE(recorder_->flush(10s));
  EXPECT_EQ(metric("dropped_spam"), 5);
  EXPECT_EQ(sink_->snapshot().size(), 26u);
  clock_.advance(5min);  // one token back
  recorder_->event(noisy, EventType::kNormal, "Tick", "again");
  recorder_->event(noisy, EventType::kNormal, "Tick", "and again");
  ASSERT_TRUE(recorder_->flush(10s));
  EXPECT_EQ(metric("dropped_spam"), 6);
  EXPECT_EQ(sink_->snapshot().size(), 27u);
}

TEST_F(EventRecorderTest, ClusterScopedObjectsGoToDefaultAndMessagesAreBounded) {
  auto node =
      Object::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}})").value();
  std::string long_message(1023, 'x');
  long_message += "\xc3\xa9";  // a two-byte character across the 1024-byte limit
  recorder_->event(node, EventType::kNormal, "Cordoned", long_message);
  ASSERT_TRUE(recorder_->flush(10s));
  auto events = sink_->snapshot();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events.begin()->first.rfind("default/n1.", 0), 0u);
  const json::Value& e = events.begin()->second;
  EXPECT_EQ(json::find(e["involvedObject"], "namespace"), nullptr);
  EXPECT_EQ(json::get_string(e, "message").size(), 1023u);
}

TEST(EventRecorderQueueTest, NeverBlocksTheCallerAndStopsPromptly) {
  auto sink = std::make_unique<MemorySink>();
  MemorySink* s = sink.get();
  s->open = false;  // the apiserver hangs
  metrics::Registry registry;
  EventRecorderOptions o;
  o.component = "c";
  o.queue_size = 3;
  o.metrics = &registry;
  EventRecorder recorder(std::move(sink), std::move(o));
  recorder.event(deployment("first"), EventType::kNormal, "R", "m");
  ASSERT_TRUE(wait_for([&] { return s->entered.load() == 1; }));  // the writer hangs on it
  for (int i = 0; i < 9; ++i)                                     // 3 fit in the queue, 6 do not
    recorder.event(deployment("d" + std::to_string(i)), EventType::kNormal, "R", "m");
  EXPECT_NE(registry.render().find(R"(berth_events_total{result="dropped_queue_full"} 6)"),
            std::string::npos)
      << registry.render();
  recorder.stop(50ms);  // the hung write is cancelled once the drain time is up
  EXPECT_NE(registry.render().find(R"(berth_events_total{result="failed"} 4)"), std::string::npos)
      << registry.render();
  recorder.event(deployment(), EventType::kNormal, "R", "after stop");  // ignored
}

TEST(EventSinkTest, ClientSinkCreatesAndPatchesThroughTheApi) {
  berth::testing::FakeApiserver server;
  Config config;
  config.server = server.url();
  auto client = Client::create(config, {.qps = 0}).value();
  EventRecorderOptions o;
  o.component = "berth-controller";
  EventRecorder recorder(EventSink::for_client(*client), std::move(o));
  recorder.event(deployment(), EventType::kNormal, "Synced", "ok");
  ASSERT_TRUE(recorder.flush(10s));
  auto snapshot = server.snapshot("/api/v1/events");
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot.begin()->first.rfind("fx-objects/web.", 0), 0u);
  auto requests = server.requests();
  ASSERT_FALSE(requests.empty());
  EXPECT_EQ(requests.back().method, "POST");
  EXPECT_EQ(requests.back().target, "/api/v1/namespaces/fx-objects/events");
}

}  // namespace
}  // namespace kube
