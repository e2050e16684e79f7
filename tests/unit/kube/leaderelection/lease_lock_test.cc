#include "kube/leaderelection/lease_lock.h"

#include <gtest/gtest.h>

#include "tests/support/fixtures.h"
#include "tests/unit/kube/client/fake_apiserver.h"

namespace kube {
namespace {

using berth::testing::FakeApiserver;

TEST(LeaseRecordTest, SpecMatchesTheApiserversMicroTimeFormat) {
  BERTH_REQUIRE_FIXTURES();
  auto lease = berth::testing::read_fixture_json("objects/lease-leader-election-renew-put.json");
  ASSERT_TRUE(lease);
  const json::Value* spec = json::find(*lease, "spec");
  LeaseRecord r = lease_record_from_spec(spec);
  EXPECT_EQ(r.holder_identity, "berth-controller-7d9f_1f2e");
  EXPECT_EQ(r.lease_duration_seconds, 15);
  EXPECT_EQ(r.lease_transitions, 0);
  ASSERT_TRUE(r.acquire_time && r.renew_time);
  EXPECT_EQ(format_micro_time(*r.renew_time), "2026-11-25T04:03:04.053710Z");
  // Writing the record back gives the fixture's spec exactly.
  json::Document written = lease_spec_json(r);
  EXPECT_TRUE(json::equal(written, *spec)) << json::dump(written);
}

TEST(LeaseRecordTest, MissingAndMistypedFieldsReadAsEmpty) {
  auto doc = json::parse(R"({"holderIdentity":7,"renewTime":"not a time"})").value();
  LeaseRecord r = lease_record_from_spec(&doc);
  EXPECT_EQ(r, LeaseRecord{});
  EXPECT_EQ(lease_record_from_spec(nullptr), LeaseRecord{});
  // A released lease keeps an explicit empty holder on the wire.
  json::Document released = lease_spec_json(LeaseRecord{"", 1, std::nullopt, std::nullopt, 2});
  EXPECT_EQ(json::dump(released),
            R"({"holderIdentity":"","leaseDurationSeconds":1,"leaseTransitions":2})");
}

class LeaseLockTest : public ::testing::Test {
 protected:
  LeaseLockTest() {
    Config config;
    config.server = server_.url();
    ClientOptions options;
    options.qps = 0;
    client_ = Client::create(config, options).value();
    lock_ = LeaseLock::for_lease(*client_, "kube-system", "berth");
  }
  FakeApiserver server_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<LeaseLock> lock_;
};

TEST_F(LeaseLockTest, CreateGetUpdateWithOptimisticConcurrency) {
  EXPECT_EQ(lock_->describe(), "kube-system/berth");
  auto missing = lock_->get({});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is_not_found());

  SystemTime t(std::chrono::microseconds(1'795'000'000'123'456));
  LeaseRecord record{"me_1", 15, t, t, 0};
  auto created = lock_->create(record, {});
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  auto again = lock_->create(record, {});
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().is_already_exists());

  auto got = lock_->get({});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->record, record);
  EXPECT_EQ(got->version, *created);

  record.renew_time = t + std::chrono::seconds(2);
  auto updated = lock_->update(record, got->version, {});
  ASSERT_TRUE(updated.ok()) << updated.error().to_string();
  EXPECT_NE(*updated, got->version);
  // The renewal is a PUT of the whole Lease carrying the version it was read at.
  auto requests = server_.requests();
  const auto& put = requests.back();
  EXPECT_EQ(put.method, "PUT");
  EXPECT_EQ(put.target, "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/berth");
  auto body = json::parse(put.body).value();
  EXPECT_EQ(json::get_string(body, "kind"), "Lease");
  EXPECT_EQ(json::get_string(body["metadata"], "resourceVersion"), got->version);
  EXPECT_EQ(json::get_string(body["spec"], "renewTime"), format_micro_time(*record.renew_time));
  EXPECT_EQ(format_micro_time(*record.renew_time).size(), 27u);  // 6 fractional digits

  // A writer holding the old version loses.
  auto stale = lock_->update(record, got->version, {});
  ASSERT_FALSE(stale.ok());
  EXPECT_TRUE(stale.error().is_conflict());
  // Renewing with the version of our own last write needs no read in between.
  auto renewed = lock_->update(record, *updated, {});
  EXPECT_TRUE(renewed.ok());
}

}  // namespace
}  // namespace kube
