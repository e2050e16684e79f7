// Helpers for comparing patch results with objects captured from a real apiserver.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "kube/core/json.h"
#include "tests/support/fixtures.h"

namespace kube::patch::testing {

inline json::Document parse_json(std::string_view text) {
  auto doc = json::parse(text);
  EXPECT_TRUE(doc.ok()) << text;
  if (!doc.ok()) return json::Document();
  return std::move(doc).value();
}

inline json::Document fixture(std::string_view relative) {
  auto doc = berth::testing::read_fixture_json(relative);
  EXPECT_TRUE(doc.has_value()) << relative;
  if (!doc) return json::Document();
  return std::move(*doc);
}

// The request body the capture sent, from <name>.meta.json.
inline json::Document request_body(std::string_view relative_without_extension) {
  json::Document meta = fixture(std::string(relative_without_extension) + ".meta.json");
  const json::Value* body = json::find(meta, "request_body");
  EXPECT_NE(body, nullptr) << relative_without_extension;
  return body != nullptr ? json::copy(*body) : json::Document();
}

// Drops what the apiserver and controllers set on their own: resourceVersion, generation, uid,
// timestamps, managedFields, status and the deployment controller's revision annotation.
inline json::Document normalized(const json::Value& object) {
  json::Document doc = json::copy(object);
  json::remove(doc, "status");
  if (json::Value* md = json::find(doc, "metadata")) {
    for (const char* key :
         {"resourceVersion", "generation", "uid", "creationTimestamp", "managedFields"}) {
      json::remove(*md, key);
    }
    if (json::Value* annotations = json::find(*md, "annotations")) {
      json::remove(*annotations, "deployment.kubernetes.io/revision");
      if (annotations->ObjectEmpty()) json::remove(*md, "annotations");
    }
  }
  return doc;
}

inline ::testing::AssertionResult same_object(const json::Value& actual,
                                              const json::Value& expected) {
  json::Document a = normalized(actual);
  json::Document e = normalized(expected);
  if (json::equal(a, e)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\n  actual:   " << json::dump(a) << "\n  expected: " << json::dump(e);
}

}  // namespace kube::patch::testing
