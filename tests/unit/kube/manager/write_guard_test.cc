#include "kube/manager/write_guard.h"

#include <gtest/gtest.h>

#include <atomic>

namespace kube {
namespace {

class CountingTransport : public Transport {
 public:
  Result<HttpResponse> send(const HttpRequest&, const CancelToken&) override {
    ++sent;
    return HttpResponse{200, "application/json", {}, {}, "{}"};
  }
  Result<Stream> stream(const HttpRequest&, const CancelToken&) override {
    ++streamed;
    return Stream{nullptr, HttpResponse{500, {}, {}, {}, {}}};
  }
  std::atomic<int> sent{0};
  std::atomic<int> streamed{0};
};

TEST(WriteGuardTransportTest, RefusesWritesOnlyWhileNotAllowed) {
  auto inner = std::make_shared<CountingTransport>();
  std::atomic<bool> leader{false};
  WriteGuardTransport guard(
      inner, [&] { return leader.load(); }, "not the leader");
  HttpRequest get;
  EXPECT_TRUE(guard.send(get, {}).ok());  // reads always pass
  EXPECT_TRUE(guard.stream(get, {}).ok());
  for (std::string method : {"POST", "PUT", "PATCH", "DELETE"}) {
    HttpRequest write;
    write.method = method;
    auto r = guard.send(write, {});
    ASSERT_FALSE(r.ok()) << method;
    EXPECT_TRUE(r.error().is(Reason::kCancelled));
    EXPECT_EQ(r.error().message, "not the leader");
  }
  EXPECT_EQ(guard.refused(), 4u);
  EXPECT_EQ(inner->sent.load(), 1);
  leader = true;
  HttpRequest put;
  put.method = "PUT";
  EXPECT_TRUE(guard.send(put, {}).ok());
  EXPECT_EQ(inner->sent.load(), 2);
  EXPECT_EQ(inner->streamed.load(), 1);
}

}  // namespace
}  // namespace kube
