#include "kube/client/errors.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "tests/support/fixtures.h"

namespace kube {
namespace {

struct Captured {
  int status = 0;
  std::string body;
  std::string retry_after;
};

std::optional<Captured> load_error(const std::string& name) {
  auto meta = berth::testing::read_fixture_json("errors/" + name + ".meta.json");
  if (!meta) return std::nullopt;
  Captured c;
  c.status = static_cast<int>(json::get_int(*meta, "status"));
  auto body =
      berth::testing::read_fixture("errors/" + std::string(json::get_string(*meta, "body_file")));
  if (!body) return std::nullopt;
  c.body = *body;
  if (const json::Value* headers = json::find(*meta, "headers")) {
    c.retry_after = std::string(json::get_string(*headers, "Retry-After"));
  }
  return c;
}

Error decode_fixture(const std::string& name) {
  auto c = load_error(name);
  EXPECT_TRUE(c.has_value()) << name;
  if (!c) return {};
  return decode_error(c->status, c->body, c->retry_after);
}

// Every captured error response decodes to the Status it carries: reason (or the reason of its
// code when the Status has none), code, message, details and retry delay.
TEST(DecodeError, EveryCapturedErrorResponse) {
  BERTH_REQUIRE_FIXTURES();
  int checked = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(*berth::testing::fixtures_dir() / "errors")) {
    std::string file = entry.path().filename().string();
    const std::string suffix = ".meta.json";
    if (file.size() <= suffix.size() || file.substr(file.size() - suffix.size()) != suffix)
      continue;
    std::string name = file.substr(0, file.size() - suffix.size());
    auto c = load_error(name);
    ASSERT_TRUE(c.has_value()) << name;
    if (c->status < 400) continue;  // ok-* captures and the watch ERROR event (HTTP 200)
    Error e = decode_error(c->status, c->body, c->retry_after);
    EXPECT_EQ(e.code, c->status) << name;
    EXPECT_FALSE(e.message.empty()) << name;
    auto status = json::parse(c->body);
    if (!status.ok()) {
      EXPECT_EQ(e.reason, reason_for_code(c->status)) << name;
      ++checked;
      continue;
    }
    std::string_view reason = json::get_string(*status, "reason");
    if (reason.empty()) {
      EXPECT_EQ(e.reason, reason_for_code(c->status)) << name;
    } else {
      EXPECT_EQ(reason_name(e.reason), reason) << name;
    }
    EXPECT_EQ(e.message, json::get_string(*status, "message")) << name;
    const json::Value* details = json::find(*status, "details");
    if (details != nullptr) {
      EXPECT_EQ(e.name, json::get_string(*details, "name")) << name;
      EXPECT_EQ(e.kind, json::get_string(*details, "kind")) << name;
      const json::Value* causes = json::find(*details, "causes");
      EXPECT_EQ(e.causes.size(), causes != nullptr ? causes->Size() : 0u) << name;
    } else {
      EXPECT_TRUE(e.name.empty() && e.kind.empty() && e.causes.empty()) << name;
    }
    ++checked;
  }
  EXPECT_GT(checked, 50);
}

TEST(DecodeError, NotFoundCarriesNameAndKind) {
  BERTH_REQUIRE_FIXTURES();
  Error e = decode_fixture("404-get-missing-configmap");
  EXPECT_TRUE(e.is_not_found());
  EXPECT_EQ(e.name, "does-not-exist");
  EXPECT_EQ(e.kind, "configmaps");
  EXPECT_EQ(e.to_string(), "NotFound: configmaps \"does-not-exist\" not found");
  Error ns = decode_fixture("404-create-in-missing-namespace");
  EXPECT_TRUE(ns.is_not_found());
  EXPECT_EQ(ns.kind, "namespaces");
}

TEST(DecodeError, PlainTextNotFoundFromUnknownGroup) {
  BERTH_REQUIRE_FIXTURES();
  Error e = decode_fixture("404-unknown-group");
  EXPECT_TRUE(e.is_not_found());
  EXPECT_EQ(e.code, 404);
  EXPECT_EQ(e.message, "404 page not found");
}

TEST(DecodeError, ConflictsAndAlreadyExists) {
  BERTH_REQUIRE_FIXTURES();
  EXPECT_TRUE(decode_fixture("409-already-exists").is_already_exists());
  for (const char* name :
       {"409-conflict-stale-resourceversion", "409-delete-precondition-uid-mismatch",
        "409-delete-precondition-resourceversion-mismatch", "409-patch-with-stale-resourceversion",
        "409-pod-rebinding"}) {
    Error e = decode_fixture(name);
    EXPECT_TRUE(e.is_conflict()) << name << ": " << e.to_string();
    EXPECT_FALSE(e.is_retryable()) << name;
  }
}

TEST(DecodeError, InvalidWithEveryCause) {
  BERTH_REQUIRE_FIXTURES();
  Error e = decode_fixture("422-pod-multiple-causes");
  EXPECT_TRUE(e.is_invalid());
  EXPECT_EQ(e.name, "badpod");
  EXPECT_EQ(e.kind, "Pod");
  ASSERT_EQ(e.causes.size(), 4u);
  EXPECT_EQ(e.causes[1].reason, "FieldValueRequired");
  EXPECT_EQ(e.causes[1].field, "spec.containers[0].image");
  EXPECT_EQ(e.causes[1].message, "Required value");
}

TEST(DecodeError, WebhookDenialWithoutReasonIsForbidden) {
  BERTH_REQUIRE_FIXTURES();
  Error e = decode_fixture("403-admission-webhook-denied");
  EXPECT_EQ(e.reason, Reason::kForbidden);
  EXPECT_NE(e.message.find("denied the request"), std::string::npos);
}

TEST(DecodeError, ThrottlingAndRetryAfter) {
  BERTH_REQUIRE_FIXTURES();
  Error pdb = decode_fixture("429-eviction-blocked-by-pdb");
  EXPECT_TRUE(pdb.is_too_many_requests());
  EXPECT_EQ(pdb.retry_after.count(), 0);  // no Retry-After: not to be retried blindly
  ASSERT_EQ(pdb.causes.size(), 1u);
  EXPECT_EQ(pdb.causes[0].reason, "DisruptionBudget");

  Error timeout = decode_fixture("504-list-future-resourceversion");
  EXPECT_EQ(timeout.reason, Reason::kTimeout);
  EXPECT_EQ(timeout.retry_after, std::chrono::seconds(1));
  EXPECT_TRUE(timeout.is_retryable());
  ASSERT_EQ(timeout.causes.size(), 1u);
  EXPECT_EQ(timeout.causes[0].reason, "ResourceVersionTooLarge");
}

TEST(DecodeError, ExpiredIsGone) {
  BERTH_REQUIRE_FIXTURES();
  for (const char* name :
       {"410-expired-continue-token", "410-list-exact-compacted-resourceversion"}) {
    Error e = decode_fixture(name);
    EXPECT_EQ(e.reason, Reason::kExpired) << name;
    EXPECT_TRUE(e.is_gone()) << name;
  }
}

TEST(DecodeError, OtherCodes) {
  BERTH_REQUIRE_FIXTURES();
  EXPECT_EQ(decode_fixture("401-invalid-bearer-token").reason, Reason::kUnauthorized);
  EXPECT_EQ(decode_fixture("403-rbac-forbidden-list").reason, Reason::kForbidden);
  EXPECT_EQ(decode_fixture("405-patch-collection").reason, Reason::kMethodNotAllowed);
  EXPECT_EQ(decode_fixture("415-patch-text-plain").reason, Reason::kUnsupportedMediaType);
  EXPECT_EQ(decode_fixture("400-bad-labelselector").reason, Reason::kBadRequest);
  Error internal = decode_fixture("500-eviction-pod-has-two-pdbs");
  EXPECT_EQ(internal.reason, Reason::kInternalError);
  EXPECT_TRUE(internal.is_retryable());
}

TEST(DecodeError, HeaderAndBodyRetryAfterTakeTheLarger) {
  std::string body =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","reason":"TooManyRequests",)"
      R"("message":"slow down","details":{"retryAfterSeconds":2},"code":429})";
  EXPECT_EQ(decode_error(429, body, "5").retry_after, std::chrono::seconds(5));
  EXPECT_EQ(decode_error(429, body, "1").retry_after, std::chrono::seconds(2));
  EXPECT_EQ(decode_error(429, body, "Wed, 21 Oct 2015 07:28:00 GMT").retry_after,
            std::chrono::seconds(2));
  EXPECT_EQ(decode_error(429, "", "3").retry_after, std::chrono::seconds(3));
}

TEST(DecodeError, NonStatusBodiesAreQuotedShortAndPrintable) {
  std::string html = "<html>" + std::string(1000, 'x') + "\x01</html>";
  Error e = decode_error(502, html, {});
  EXPECT_EQ(e.code, 502);
  EXPECT_EQ(e.reason, Reason::kUnknown);
  EXPECT_LT(e.message.size(), 300u);
  EXPECT_EQ(e.message.find('\x01'), std::string::npos);
  EXPECT_EQ(decode_error(503, "", {}).message, "HTTP 503");
  EXPECT_EQ(decode_error(503, "", {}).reason, Reason::kServiceUnavailable);
  // JSON that is not a Status is not mistaken for one.
  Error other = decode_error(400, R"({"kind":"ConfigMap"})", {});
  EXPECT_EQ(other.reason, Reason::kBadRequest);
}

}  // namespace
}  // namespace kube
