#include "kube/client/watch_stream.h"

#include <gtest/gtest.h>

#include <deque>

#include "kube/core/strings.h"
#include "tests/support/fixtures.h"

namespace kube {
namespace {

std::vector<std::string> fixture_lines(const std::string& name) {
  auto text = berth::testing::read_fixture("watch/" + name);
  std::vector<std::string> lines;
  if (!text) return lines;
  for (std::string_view line : split(*text, '\n')) {
    if (!line.empty()) lines.emplace_back(line);
  }
  return lines;
}

TEST(DecodeWatchEvent, EveryCapturedStreamDecodes) {
  BERTH_REQUIRE_FIXTURES();
  struct Expected {
    const char* file;
    std::vector<WatchEventType> types;
  };
  using T = WatchEventType;
  std::vector<Expected> cases = {
      {"configmaps-create-update-delete.jsonl",
       {T::kAdded, T::kModified, T::kModified, T::kModified, T::kDeleted, T::kBookmark}},
      {"pods-lifecycle-create-bind-status-graceful-delete-force.jsonl",
       {T::kAdded, T::kModified, T::kModified, T::kModified, T::kModified, T::kDeleted,
        T::kBookmark}},
      {"bookmark-timeout80.jsonl", {T::kBookmark, T::kBookmark}},
  };
  for (const Expected& c : cases) {
    auto lines = fixture_lines(c.file);
    ASSERT_FALSE(lines.empty()) << c.file;
    std::vector<WatchEventType> types;
    for (const std::string& line : lines) {
      auto event = decode_watch_event(line);
      ASSERT_TRUE(event.ok()) << c.file << ": " << event.error().to_string();
      EXPECT_FALSE(event->object.resource_version().empty()) << c.file;
      types.push_back(event->type);
    }
    EXPECT_EQ(types, c.types) << c.file;
  }
}

TEST(DecodeWatchEvent, ObjectsKeepKindAndMetadata) {
  BERTH_REQUIRE_FIXTURES();
  auto lines = fixture_lines("configmaps-create-update-delete.jsonl");
  ASSERT_GE(lines.size(), 5u);
  auto added = decode_watch_event(lines[0]);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->object.kind(), "ConfigMap");
  EXPECT_EQ(added->object.name(), "w1");
  EXPECT_EQ(added->object.namespace_(), "fx-watch");
  EXPECT_EQ(added->object.resource_version(), "638");
  auto deleted = decode_watch_event(lines[4]);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(deleted->type, WatchEventType::kDeleted);
}

TEST(DecodeWatchEvent, ErrorEventsBecomeGoneErrors) {
  BERTH_REQUIRE_FIXTURES();
  for (const char* name :
       {"error-410-resourceversion-1.jsonl", "error-410-resourceversion-2-no-bookmarks.jsonl"}) {
    auto lines = fixture_lines(name);
    ASSERT_EQ(lines.size(), 1u) << name;
    auto event = decode_watch_event(lines[0]);
    ASSERT_FALSE(event.ok()) << name;
    EXPECT_TRUE(event.error().is_gone()) << name;
    EXPECT_EQ(event.error().code, 410);
    EXPECT_EQ(event.error().reason, Reason::kExpired);
    EXPECT_NE(event.error().message.find("too old resource version"), std::string::npos);
  }
}

TEST(DecodeWatchEvent, EnvelopeInAnyOrderAndWithExtraMembers) {
  auto reordered = decode_watch_event(
      R"({"object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"5"}},"type":"MODIFIED"})");
  ASSERT_TRUE(reordered.ok()) << reordered.error().to_string();
  EXPECT_EQ(reordered->type, WatchEventType::kModified);
  EXPECT_EQ(reordered->object.name(), "a");
  auto extra =
      decode_watch_event(R"({"type":"ADDED","object":{"metadata":{"name":"b"}},"extra":{"x":1}})");
  ASSERT_TRUE(extra.ok()) << extra.error().to_string();
  EXPECT_EQ(extra->object.name(), "b");
  EXPECT_EQ(extra->object.json().MemberCount(), 1u);
  auto crlf = decode_watch_event("{\"type\":\"DELETED\",\"object\":{\"metadata\":{}}}\r");
  ASSERT_TRUE(crlf.ok());
}

TEST(DecodeWatchEvent, GarbageIsAParseErrorThatDoesNotQuoteTheLine) {
  for (std::string line :
       {std::string("this is not json"),
        std::string(R"({"type":"ADDED","object":{"data":{"password":"hunter2")"),
        std::string(R"({"type":"EXPLODED","object":{}})"), std::string(R"({"type":"ADDED"})"),
        std::string(R"({"type":"ADDED","object":"hunter2"})"), std::string("[1,2]"),
        std::string(R"({"type":"ERROR","object":42})")}) {
    auto event = decode_watch_event(line);
    ASSERT_FALSE(event.ok()) << line;
    EXPECT_EQ(event.error().reason, Reason::kParse) << line;
    EXPECT_EQ(event.error().message.find("hunter2"), std::string::npos);
  }
}

class ScriptedLines : public LineReader {
 public:
  explicit ScriptedLines(std::deque<Result<std::optional<std::string>>> script)
      : script_(std::move(script)) {}
  Result<std::optional<std::string_view>> next_line() override {
    if (script_.empty()) return std::optional<std::string_view>();
    auto next = std::move(script_.front());
    script_.pop_front();
    if (!next.ok()) return std::move(next).error();
    if (!next->has_value()) return std::optional<std::string_view>();
    current_ = **next;
    return std::optional<std::string_view>(current_);
  }
  void cancel() override {}

 private:
  std::deque<Result<std::optional<std::string>>> script_;
  std::string current_;
};

TEST(WatchStreamTest, SkipsBlankLinesAndReportsEndAndErrors) {
  std::deque<Result<std::optional<std::string>>> script;
  script.emplace_back(std::optional<std::string>(""));
  script.emplace_back(std::optional<std::string>(
      R"({"type":"ADDED","object":{"metadata":{"name":"x","resourceVersion":"1"}}})"));
  script.emplace_back(Error::transport("connection reset"));
  WatchStream stream(std::make_unique<ScriptedLines>(std::move(script)));
  auto first = stream.next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->object.name(), "x");
  auto second = stream.next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().reason, Reason::kTransport);
  auto end = stream.next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

}  // namespace
}  // namespace kube
