// The election's state machine on a FakeClock against an in-memory lease with the apiserver's
// optimistic concurrency, so every timing rule is asserted exactly.
#include "kube/leaderelection/leader_elector.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "kube/clock/fake_clock.h"
#include "tests/support/wait.h"

namespace kube {
namespace {

using berth::testing::wait_for;
using namespace std::chrono_literals;

// One Lease shared by several candidates. Faults: fail every request, or hang requests until
// they are cancelled.
class MemoryLease {
 public:
  struct Write {
    std::string writer;
    LeaseRecord record;
  };

  std::optional<VersionedLeaseRecord> current() const {
    std::lock_guard lock(mu_);
    if (!exists_) return std::nullopt;
    return VersionedLeaseRecord{record_, std::to_string(version_)};
  }
  void set(LeaseRecord record) {
    std::lock_guard lock(mu_);
    exists_ = true;
    record_ = std::move(record);
    ++version_;
  }
  void fail(bool on) { failing_ = on; }
  void hang(bool on) {
    std::lock_guard lock(mu_);
    hanging_ = on;
    cv_.notify_all();
  }
  std::size_t hung() const { return hung_.load(); }
  std::vector<Write> writes() const {
    std::lock_guard lock(mu_);
    return writes_;
  }

  class Lock : public LeaseLock {
   public:
    Lock(MemoryLease& lease, std::string who) : lease_(lease), who_(std::move(who)) {}
    Result<VersionedLeaseRecord> get(const CancelToken& cancel) override {
      KUBE_RETURN_IF_ERROR(lease_.enter(cancel));
      auto c = lease_.current();
      if (!c) return Error::make(Reason::kNotFound, "leases \"l\" not found", 404);
      return *c;
    }
    Result<std::string> create(const LeaseRecord& r, const CancelToken& cancel) override {
      KUBE_RETURN_IF_ERROR(lease_.enter(cancel));
      std::lock_guard lock(lease_.mu_);
      if (lease_.exists_) return Error::make(Reason::kAlreadyExists, "exists", 409);
      lease_.exists_ = true;
      return lease_.write_locked(who_, r);
    }
    Result<std::string> update(const LeaseRecord& r, std::string_view version,
                               const CancelToken& cancel) override {
      KUBE_RETURN_IF_ERROR(lease_.enter(cancel));
      std::lock_guard lock(lease_.mu_);
      if (!lease_.exists_) return Error::make(Reason::kNotFound, "not found", 404);
      if (version != std::to_string(lease_.version_)) {
        return Error::make(Reason::kConflict, "the object has been modified", 409);
      }
      return lease_.write_locked(who_, r);
    }
    std::string describe() const override { return "ns/lease"; }

   private:
    MemoryLease& lease_;
    std::string who_;
  };

 private:
  Status enter(const CancelToken& cancel) {
    if (failing_) return Error::make(Reason::kServiceUnavailable, "apiserver down", 503);
    std::unique_lock lock(mu_);
    if (!hanging_) return ok_status();
    ++hung_;
    auto wake = cancel.on_cancel([this] {
      std::lock_guard l(mu_);
      cv_.notify_all();
    });
    cv_.wait(lock, [&] { return !hanging_ || cancel.cancelled(); });
    --hung_;
    if (cancel.cancelled()) return Error::make(Reason::kCancelled, "cancelled");
    return ok_status();
  }
  std::string write_locked(const std::string& who, const LeaseRecord& r) {
    record_ = r;
    ++version_;
    writes_.push_back({who, r});
    return std::to_string(version_);
  }

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool exists_ = false;
  LeaseRecord record_;
  std::int64_t version_ = 1;
  std::vector<Write> writes_;
  std::atomic<bool> failing_{false};
  bool hanging_ = false;
  std::atomic<std::size_t> hung_{0};
};

struct Candidate {
  Candidate(MemoryLease& lease, FakeClock& clock, std::string name) {
    LeaderElectionConfig config;
    config.identity = name;
    config.clock = &clock;
    config.wall_clock = [] { return SystemTime(std::chrono::seconds(1'800'000'000)); };
    config.callbacks.on_started_leading = [this](CancelToken t) {
      term = t;
      started = true;
    };
    config.callbacks.on_stopped_leading = [this] { stopped = true; };
    elector = std::make_unique<LeaderElector>(std::make_unique<MemoryLease::Lock>(lease, name),
                                              std::move(config));
  }
  std::atomic<bool> started{false};
  std::atomic<bool> stopped{false};
  CancelToken term;
  std::unique_ptr<LeaderElector> elector;
};

// Once `waiters` threads wait on the fake clock (every thread of the electors under test is
// idle), advances it to the earliest of their deadlines. A leader has two waiting threads
// (renewal loop and watchdog), a candidate one.
void advance_to_next(FakeClock& clock, std::size_t waiters) {
  ASSERT_TRUE(wait_for([&] { return clock.waiters() == waiters; }))
      << clock.waiters() << " waiting, expected " << waiters;
  clock.set(*clock.next_deadline());
}

TEST(LeaderElectorTest, ConfigurationIsValidated) {
  MemoryLease lease;
  auto make = [&](std::chrono::seconds lease_d, Clock::duration renew, Clock::duration retry) {
    LeaderElectionConfig c;
    c.lease_duration = lease_d;
    c.renew_deadline = renew;
    c.retry_period = retry;
    return LeaderElector(std::make_unique<MemoryLease::Lock>(lease, "x"), std::move(c));
  };
  EXPECT_THROW(make(10s, 10s, 2s), std::invalid_argument);
  EXPECT_THROW(make(15s, 2s, 2s), std::invalid_argument);
  EXPECT_THROW(make(15s, 10s, 0s), std::invalid_argument);
  EXPECT_THROW(LeaderElector(nullptr, {}), std::invalid_argument);
  auto ok = make(15s, 10s, 2s);
  EXPECT_FALSE(ok.identity().empty());
  EXPECT_NE(ok.identity().find('_'), std::string::npos);  // hostname_uuid
  EXPECT_EQ(ok.identity().size() - ok.identity().find('_') - 1, 36u);
}

TEST(LeaderElectorTest, CreatesAMissingLeaseAndRenewsEveryRetryPeriod) {
  FakeClock clock;
  MemoryLease lease;
  Candidate a(lease, clock, "a");
  a.elector->start();
  ASSERT_TRUE(wait_for([&] { return a.started.load(); }));
  EXPECT_TRUE(a.elector->is_leader());
  EXPECT_EQ(a.elector->leader(), "a");
  auto r = lease.current()->record;
  EXPECT_EQ(r.holder_identity, "a");
  EXPECT_EQ(r.lease_duration_seconds, 15);
  EXPECT_EQ(r.lease_transitions, 0);
  ASSERT_TRUE(r.acquire_time && r.renew_time);

  // The renewal loop waits exactly retry_period; the watchdog waits for renew_deadline.
  ASSERT_TRUE(wait_for([&] { return clock.waiters() == 2; }));
  EXPECT_EQ(*clock.next_deadline() - clock.now(), 2s);
  for (int i = 0; i < 5; ++i)
    advance_to_next(clock, 2);
  ASSERT_TRUE(wait_for([&] { return lease.writes().size() >= 6; }));
  EXPECT_TRUE(a.elector->is_leader());
  for (const auto& w : lease.writes()) {
    EXPECT_EQ(w.writer, "a");
    EXPECT_EQ(w.record.lease_transitions, 0);
    EXPECT_EQ(w.record.acquire_time, r.acquire_time);
  }
  EXPECT_FALSE(a.stopped.load());
}

TEST(LeaderElectorTest, LeaseHeldByAnotherIsTakenOnlyAfterItExpires) {
  FakeClock clock;
  MemoryLease lease;
  lease.set({"other", 15, SystemTime(), SystemTime(), 3});
  Candidate a(lease, clock, "a");
  std::vector<std::string> leaders;
  a.elector->start();
  ASSERT_TRUE(wait_for([&] { return a.elector->leader() == "other"; }));
  // The record stays unchanged: after 15 s on our clock it counts as expired. Each retry waits
  // 2 s to 4.4 s (jitter), so the takeover lands between 15 s and 19.4 s.
  auto t0 = clock.now();
  while (!a.started.load()) {
    EXPECT_FALSE(a.elector->is_leader());
    advance_to_next(clock, 1);
    ASSERT_TRUE(wait_for(
        [&] { return a.started.load() || (clock.waiters() == 1 && !a.elector->is_leader()); }));
    ASSERT_LT(clock.now() - t0, 20s);
  }
  EXPECT_GE(clock.now() - t0, 15s);
  auto r = lease.current()->record;
  EXPECT_EQ(r.holder_identity, "a");
  EXPECT_EQ(r.lease_transitions, 4);
  EXPECT_EQ(lease.writes().size(), 1u);
}

TEST(LeaderElectorTest, ARenewingHolderKeepsTheLease) {
  FakeClock clock;
  MemoryLease lease;
  lease.set({"other", 15, SystemTime(), SystemTime(), 0});
  Candidate a(lease, clock, "a");
  a.elector->start();
  ASSERT_TRUE(wait_for([&] { return a.elector->leader() == "other"; }));
  for (int i = 0; i < 20; ++i) {
    // The other holder renews (its renewTime changes) before each of our attempts.
    lease.set({"other", 15, SystemTime(), SystemTime(std::chrono::seconds(i + 1)), 0});
    advance_to_next(clock, 1);
  }
  EXPECT_GE(clock.now() - FakeClock().now(), 40s);
  EXPECT_FALSE(a.started.load());
  EXPECT_TRUE(lease.writes().empty());
}

TEST(LeaderElectorTest, TwoCandidatesOneLeader) {
  FakeClock clock;
  MemoryLease lease;
  Candidate a(lease, clock, "a");
  Candidate b(lease, clock, "b");
  a.elector->start();
  b.elector->start();
  ASSERT_TRUE(wait_for([&] { return a.started.load() || b.started.load(); }));
  for (int i = 0; i < 10; ++i)
    advance_to_next(clock, 3);
  EXPECT_NE(a.started.load(), b.started.load());
  EXPECT_NE(a.elector->is_leader(), b.elector->is_leader());
}

TEST(LeaderElectorTest, LosesLeadershipExactlyAtTheRenewDeadline) {
  FakeClock clock;
  MemoryLease lease;
  Candidate a(lease, clock, "a");
  a.elector->start();
  ASSERT_TRUE(wait_for([&] { return a.started.load(); }));
  auto renewed = clock.now();
  lease.fail(true);
  // Renewals at +2, +4, +6, +8 fail; the watchdog fires at +10.
  while (clock.now() - renewed < 10s) {
    EXPECT_TRUE(a.elector->is_leader()) << (clock.now() - renewed).count();
    EXPECT_FALSE(a.term.cancelled());
    advance_to_next(clock, 2);
  }
  ASSERT_TRUE(wait_for([&] { return a.stopped.load(); }));
  EXPECT_EQ(clock.now() - renewed, 10s);
  EXPECT_TRUE(a.term.cancelled());
  EXPECT_FALSE(a.elector->is_leader());
  EXPECT_TRUE(wait_for([&] { return a.elector->done(); }));
  a.elector->stop();
  EXPECT_EQ(lease.writes().size(), 1u);  // no release after a loss
}

TEST(LeaderElectorTest, AHungRenewalIsCancelledAtTheDeadline) {
  FakeClock clock;
  MemoryLease lease;
  Candidate a(lease, clock, "a");
  a.elector->start();
  ASSERT_TRUE(wait_for([&] { return a.started.load(); }));
  auto renewed = clock.now();
  lease.hang(true);
  advance_to_next(clock, 2);  // +2 s: the renewal request hangs
  ASSERT_TRUE(wait_for([&] { return lease.hung() == 1; }));
  clock.set(renewed + 10s - 1ns);
  EXPECT_TRUE(a.elector->is_leader());
  clock.set(renewed + 10s);
  ASSERT_TRUE(wait_for([&] { return a.stopped.load(); }));
  EXPECT_FALSE(a.elector->is_leader());
  ASSERT_TRUE(wait_for([&] { return lease.hung() == 0; }));  // the request was cancelled
  a.elector->stop();
}

TEST(LeaderElectorTest, StopReleasesTheLeaseForAStandby) {
  FakeClock clock;
  MemoryLease lease;
  Candidate a(lease, clock, "a");
  a.elector->start();
  ASSERT_TRUE(wait_for([&] { return a.started.load(); }));
  Candidate b(lease, clock, "b");
  b.elector->start();
  ASSERT_TRUE(wait_for([&] { return b.elector->leader() == "a"; }));
  a.elector->stop();
  EXPECT_TRUE(a.stopped.load());
  EXPECT_TRUE(a.term.cancelled());
  auto released = lease.current()->record;
  EXPECT_EQ(released.holder_identity, "");
  EXPECT_EQ(released.lease_duration_seconds, 1);
  // b takes over at its next attempt, without waiting out the 15 s lease.
  auto t0 = clock.now();
  while (!b.started.load()) {
    advance_to_next(clock, 1);
    ASSERT_TRUE(wait_for(
        [&] { return b.started.load() || (clock.waiters() == 1 && !b.elector->is_leader()); }));
  }
  EXPECT_LE(clock.now() - t0, 5s);
  EXPECT_EQ(lease.current()->record.lease_transitions, 1);
  b.elector->stop();
}

TEST(LeaderElectorTest, StopBeforeLeadingCallsNothing) {
  FakeClock clock;
  MemoryLease lease;
  lease.set({"other", 15, SystemTime(), SystemTime(), 0});
  Candidate a(lease, clock, "a");
  a.elector->start();
  ASSERT_TRUE(wait_for([&] { return a.elector->leader() == "other"; }));
  a.elector->stop();
  EXPECT_FALSE(a.started.load());
  EXPECT_FALSE(a.stopped.load());
  EXPECT_TRUE(a.elector->done());
  EXPECT_EQ(lease.current()->record.holder_identity, "other");
}

TEST(LeaderElectorTest, ConflictingWriteMeansNotLeader) {
  FakeClock clock;
  MemoryLease lease;
  lease.set({"", 1, SystemTime(), SystemTime(), 2});  // released
  Candidate a(lease, clock, "a");
  // Someone else's write lands between our read and our update: the update conflicts.
  class Racing : public LeaseLock {
   public:
    Racing(MemoryLease& l) : lease_(l), inner_(l, "a") {}
    Result<VersionedLeaseRecord> get(const CancelToken& c) override {
      auto r = inner_.get(c);
      if (!raced_) {
        raced_ = true;
        lease_.set({"thief", 15, SystemTime(), SystemTime(), 3});
      }
      return r;
    }
    Result<std::string> create(const LeaseRecord& r, const CancelToken& c) override {
      return inner_.create(r, c);
    }
    Result<std::string> update(const LeaseRecord& r, std::string_view v,
                               const CancelToken& c) override {
      return inner_.update(r, v, c);
    }
    std::string describe() const override { return "ns/lease"; }
    MemoryLease& lease_;
    MemoryLease::Lock inner_;
    bool raced_ = false;
  };
  LeaderElectionConfig config;
  config.identity = "a";
  config.clock = &clock;
  std::atomic<bool> started{false};
  config.callbacks.on_started_leading = [&](CancelToken) { started = true; };
  LeaderElector elector(std::make_unique<Racing>(lease), std::move(config));
  elector.start();
  ASSERT_TRUE(wait_for([&] { return clock.next_deadline().has_value(); }));
  EXPECT_FALSE(started.load());
  EXPECT_FALSE(elector.is_leader());
  EXPECT_TRUE(lease.writes().empty());
  advance_to_next(clock, 1);
  ASSERT_TRUE(wait_for([&] { return elector.leader() == "thief"; }));
  EXPECT_FALSE(started.load());
  elector.stop();
}

}  // namespace
}  // namespace kube
