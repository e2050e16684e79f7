#include "kube/controller/controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>

#include "kube/clock/fake_clock.h"
#include "tests/support/wait.h"
#include "tests/unit/kube/cache/test_objects.h"

namespace kube {
namespace {

using berth::testing::pod;
using berth::testing::wait_for;
using Type = WatcherEvent::Type;

// A reconciler whose behaviour per call is scripted by a function; records every call.
class FuncReconciler : public Reconciler {
 public:
  using Fn = std::function<Result<ReconcileResult>(const Request&, const ReconcileContext&)>;
  explicit FuncReconciler(Fn fn) : fn_(std::move(fn)) {}
  Result<ReconcileResult> reconcile(const Request& r, const ReconcileContext& c) override {
    {
      std::lock_guard lock(mu_);
      calls_.push_back(r.key());
      retries_.push_back(c.retries());
    }
    return fn_(r, c);
  }
  std::vector<std::string> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<int> retries() const {
    std::lock_guard lock(mu_);
    return retries_;
  }
  std::size_t count() const {
    std::lock_guard lock(mu_);
    return calls_.size();
  }

 private:
  Fn fn_;
  mutable std::mutex mu_;
  std::vector<std::string> calls_;
  std::vector<int> retries_;
};

Result<ReconcileResult> ok(const Request&, const ReconcileContext&) {
  return ReconcileResult{};
}

double metric(const metrics::Registry& registry, const std::string& sample) {
  std::string text = registry.render();
  auto at = text.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + sample.size() + 2));
}

ControllerOptions options(metrics::Registry& registry, Clock* clock = nullptr, int workers = 1) {
  ControllerOptions o;
  o.name = "test";
  o.workers = workers;
  o.metrics = &registry;
  o.clock = clock;
  return o;
}

EventMapper self() {
  return [](const Object*, const Object& o, std::vector<Request>& out) {
    out.push_back(Request::of(o));
  };
}

TEST(RequestTest, KeyRoundTrip) {
  EXPECT_EQ((Request{"ns", "a"}).key(), "ns/a");
  EXPECT_EQ((Request{"", "node-1"}).key(), "node-1");
  EXPECT_EQ(Request::from_key("ns/a"), (Request{"ns", "a"}));
  EXPECT_EQ(Request::from_key("node-1"), (Request{"", "node-1"}));
}

TEST(ControllerTest, InvalidOptionsAreProgrammerErrors) {
  auto r = std::make_shared<FuncReconciler>(ok);
  EXPECT_THROW(Controller(ControllerOptions{}, r), std::invalid_argument);
  ControllerOptions zero;
  zero.name = "x";
  zero.workers = 0;
  EXPECT_THROW(Controller(std::move(zero), r), std::invalid_argument);
  ControllerOptions fine;
  fine.name = "x";
  EXPECT_THROW(Controller(std::move(fine), nullptr), std::invalid_argument);
}

TEST(ControllerTest, InformerEventsBecomeReconcilesAndSuccessIsCounted) {
  metrics::Registry registry;
  Informer informer(nullptr, {.type = resources::kPods});
  auto r = std::make_shared<FuncReconciler>(ok);
  Controller controller(options(registry), r);
  controller.watch(informer, self());
  informer.start();
  informer.apply({Type::kAdded, pod("a", "p1", "1"), {}});  // before start: replayed
  controller.start();
  informer.apply({Type::kModified, pod("b", "p2", "2"), {}});
  ASSERT_TRUE(wait_for([&] { return r->count() == 2; }));
  EXPECT_EQ(r->calls(), (std::vector<std::string>{"a/p1", "b/p2"}));
  ASSERT_TRUE(wait_for([&] {
    return metric(registry,
                  R"(controller_runtime_reconcile_total{controller="test",result="success"})") == 2;
  }));
  EXPECT_EQ(metric(registry, R"(controller_runtime_max_concurrent_reconciles{controller="test"})"),
            1);
  EXPECT_EQ(
      metric(registry, R"(controller_runtime_reconcile_time_seconds_count{controller="test"})"), 2);
  EXPECT_GE(metric(registry, R"(workqueue_adds_total{name="test"})"), 2);
  EXPECT_TRUE(controller.stop(std::chrono::seconds(5)));
}

TEST(ControllerTest, ErrorsAndExceptionsAreRetriedWithBackoffThenForgotten) {
  FakeClock clock;
  metrics::Registry registry;
  std::atomic<int> attempt{0};
  auto r = std::make_shared<FuncReconciler>(
      [&](const Request&, const ReconcileContext&) -> Result<ReconcileResult> {
        int n = attempt++;
        if (n == 0) return Error::make(Reason::kInternalError, "boom", 500);
        if (n == 1) throw std::runtime_error("reconcile bug");
        if (n == 2) throw 42;  // not even a std::exception
        return ReconcileResult{};
      });
  ControllerOptions o = options(registry, &clock);
  o.rate_limiter = std::make_unique<ItemExponentialFailureRateLimiter>(std::chrono::seconds(1),
                                                                       std::chrono::minutes(1));
  Controller controller(std::move(o), r);
  controller.start();
  controller.enqueue({"ns", "x"});
  // Backoff 1 s, 2 s, 4 s on the fake clock between attempts.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(wait_for([&] { return r->count() == static_cast<std::size_t>(i + 1); }));
    ASSERT_TRUE(wait_for([&] { return clock.next_deadline().has_value(); }));
    auto wait = *clock.next_deadline() - clock.now();
    EXPECT_EQ(wait, std::chrono::seconds(1 << i)) << i;
    clock.advance(wait);
  }
  ASSERT_TRUE(wait_for([&] { return r->count() == 4; }));
  EXPECT_EQ(r->retries(), (std::vector<int>{0, 1, 2, 3}));
  ASSERT_TRUE(wait_for([&] { return controller.queue().num_requeues("ns/x") == 0; }));
  EXPECT_EQ(metric(registry, R"(controller_runtime_reconcile_errors_total{controller="test"})"), 3);
  EXPECT_EQ(metric(registry, R"(controller_runtime_reconcile_panics_total{controller="test"})"), 2);
  EXPECT_EQ(
      metric(registry, R"(controller_runtime_reconcile_total{controller="test",result="error"})"),
      3);
  EXPECT_EQ(
      metric(registry, R"(controller_runtime_reconcile_total{controller="test",result="success"})"),
      1);
  EXPECT_EQ(metric(registry, R"(workqueue_retries_total{name="test"})"), 3);
}

TEST(ControllerTest, RequeueAfterIsHonouredOnTheClock) {
  FakeClock clock;
  metrics::Registry registry;
  auto r = std::make_shared<FuncReconciler>([](const Request&, const ReconcileContext&) {
    return Result<ReconcileResult>(ReconcileResult{.requeue_after = std::chrono::seconds(30)});
  });
  Controller controller(options(registry, &clock), r);
  controller.start();
  controller.enqueue({"ns", "x"});
  ASSERT_TRUE(wait_for([&] { return r->count() == 1; }));
  ASSERT_TRUE(wait_for([&] { return clock.next_deadline().has_value(); }));
  EXPECT_EQ(*clock.next_deadline() - clock.now(), std::chrono::seconds(30));
  clock.advance(std::chrono::seconds(29));
  EXPECT_EQ(controller.queue().len(), 0u);
  clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(wait_for([&] { return r->count() == 2; }));
  EXPECT_EQ(r->retries(), (std::vector<int>{0, 0}));  // requeue_after is not a failure
  EXPECT_GE(
      metric(registry,
             R"(controller_runtime_reconcile_total{controller="test",result="requeue_after"})"),
      1);
}

// Many producers re-adding keys while 4 workers reconcile: no key is ever reconciled by two
// workers at once, and every key is reconciled after its last add.
TEST(ControllerTest, OneWorkerPerKeyAndNoKeyLost) {
  constexpr int kKeys = 50;
  metrics::Registry registry;
  std::mutex mu;
  std::map<std::string, bool> running;
  std::map<std::string, std::uint64_t> last_add;
  std::map<std::string, std::uint64_t> last_start;
  std::atomic<std::uint64_t> clock_seq{0};
  std::atomic<int> overlaps{0};
  auto r = std::make_shared<FuncReconciler>([&](const Request& req, const ReconcileContext&) {
    std::string key = req.key();
    {
      std::lock_guard lock(mu);
      if (running[key]) ++overlaps;
      running[key] = true;
      last_start[key] = ++clock_seq;
    }
    volatile std::uint64_t spin = 0;
    for (int i = 0; i < 2000; ++i)
      spin = spin + static_cast<std::uint64_t>(i);
    {
      std::lock_guard lock(mu);
      running[key] = false;
    }
    return Result<ReconcileResult>(ReconcileResult{});
  });
  Controller controller(options(registry, nullptr, 4), r);
  controller.start();
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      std::mt19937 rng(static_cast<unsigned>(p));
      for (int i = 0; i < 5000; ++i) {
        std::string key = "k" + std::to_string(rng() % kKeys);
        {
          std::lock_guard lock(mu);
          last_add[key] = ++clock_seq;
        }
        controller.enqueue(Request::from_key(key));
      }
    });
  }
  for (auto& t : producers)
    t.join();
  ASSERT_TRUE(wait_for(
      [&] {
        std::lock_guard lock(mu);
        for (const auto& [key, added] : last_add) {
          if (last_start[key] <= added) return false;
        }
        return true;
      },
      std::chrono::seconds(30)));
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_TRUE(controller.stop(std::chrono::seconds(5)));
}

TEST(ControllerTest, GracefulStopFinishesInFlightReconcilesAndTakesNoNewWork) {
  metrics::Registry registry;
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<bool> entered{false};
  std::atomic<bool> cancelled_at_end{true};
  auto r = std::make_shared<FuncReconciler>([&](const Request&, const ReconcileContext& c) {
    entered = true;
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
    cancelled_at_end = c.cancelled();
    return Result<ReconcileResult>(ReconcileResult{});
  });
  Controller controller(options(registry), r);
  controller.start();
  controller.enqueue({"ns", "busy"});
  ASSERT_TRUE(wait_for([&] { return entered.load(); }));
  controller.enqueue({"ns", "waiting"});
  std::atomic<int> stopped{-1};
  std::thread stopper([&] { stopped = controller.stop(std::chrono::seconds(30)) ? 1 : 0; });
  ASSERT_TRUE(wait_for([&] { return controller.queue().shutting_down(); }));
  EXPECT_EQ(stopped.load(), -1);  // still draining the in-flight reconcile
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  stopper.join();
  EXPECT_EQ(stopped.load(), 1);
  EXPECT_FALSE(cancelled_at_end.load());  // a drained reconcile ran with a live context
  EXPECT_EQ(r->calls(), std::vector<std::string>{"ns/busy"});
  EXPECT_FALSE(controller.running());
}

TEST(ControllerTest, StopTokenAbortsAndCancelsTheContextOfInFlightReconciles) {
  metrics::Registry registry;
  std::atomic<bool> entered{false};
  std::atomic<bool> saw_cancel{false};
  auto r = std::make_shared<FuncReconciler>([&](const Request&, const ReconcileContext& c) {
    entered = true;
    // A reconcile checks its context before writing; here it waits for the cancellation.
    saw_cancel = c.cancel().sleep_for(Clock::real(), std::chrono::minutes(1)) == false;
    return Result<ReconcileResult>(Error::make(Reason::kCancelled, "stopped"));
  });
  Controller controller(options(registry), r);
  CancelSource leadership;
  controller.start(leadership.token());
  controller.enqueue({"ns", "x"});
  ASSERT_TRUE(wait_for([&] { return entered.load(); }));
  EXPECT_TRUE(controller.running());
  leadership.cancel();
  ASSERT_TRUE(wait_for([&] { return saw_cancel.load(); }));
  EXPECT_TRUE(controller.queue().shutting_down());
  controller.enqueue({"ns", "later"});
  EXPECT_TRUE(controller.stop(std::chrono::seconds(5)));
  EXPECT_EQ(r->calls(), std::vector<std::string>{"ns/x"});
}

}  // namespace
}  // namespace kube
