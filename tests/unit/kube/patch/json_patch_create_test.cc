#include <gtest/gtest.h>

#include <random>

#include "kube/patch/patch.h"
#include "tests/unit/kube/patch/fixture_objects.h"

namespace kube::patch {
namespace {

using testing::parse_json;

std::string diff(std::string_view from, std::string_view to) {
  return json::dump(create_json_patch(parse_json(from), parse_json(to)));
}

TEST(CreateJsonPatch, EqualDocumentsGiveAnEmptyPatch) {
  EXPECT_EQ(diff(R"({"a":[1,{"b":null}]})", R"({"a":[1,{"b":null}]})"), "[]");
  EXPECT_EQ(diff("1", "1.0"), "[]");
}

TEST(CreateJsonPatch, SmallPatchesWithEscapedKeys) {
  EXPECT_EQ(
      diff(R"({"metadata":{"name":"p","annotations":{"a":"1"}}})",
           R"({"metadata":{"name":"p","annotations":{"a":"1","berth.dev/injected":"true"}}})"),
      R"([{"op":"add","path":"/metadata/annotations/berth.dev~1injected","value":"true"}])");
  EXPECT_EQ(diff(R"({"metadata":{"name":"p"}})",
                 R"({"metadata":{"name":"p","labels":{"berth.dev/pool":"a"}}})"),
            R"([{"op":"add","path":"/metadata/labels","value":{"berth.dev/pool":"a"}}])");
  EXPECT_EQ(diff(R"({"a~b":1,"c":2})", R"({"c":3})"),
            R"([{"op":"remove","path":"/a~0b"},{"op":"replace","path":"/c","value":3}])");
}

TEST(CreateJsonPatch, Arrays) {
  EXPECT_EQ(diff(R"({"l":[1,2]})", R"({"l":[1,2,3,4]})"),
            R"([{"op":"add","path":"/l/-","value":3},{"op":"add","path":"/l/-","value":4}])");
  EXPECT_EQ(diff(R"({"l":[1,2,3]})", R"({"l":[1]})"),
            R"([{"op":"remove","path":"/l/2"},{"op":"remove","path":"/l/1"}])");
  EXPECT_EQ(diff(R"({"l":[1,2,3]})", R"({"l":[1,5,3]})"),
            R"([{"op":"replace","path":"/l/1","value":5}])");
  EXPECT_EQ(diff(R"({"l":[1,2,3]})", R"({"l":[2,3]})"),
            R"([{"op":"replace","path":"/l","value":[2,3]}])");
  EXPECT_EQ(
      diff(R"({"c":[{"name":"a","env":[]}]})", R"({"c":[{"name":"a","env":[{"name":"X"}]}]})"),
      R"([{"op":"add","path":"/c/0/env/-","value":{"name":"X"}}])");
}

TEST(CreateJsonPatch, TypeChangesAndTheWholeDocument) {
  EXPECT_EQ(diff(R"({"a":{"b":1}})", R"({"a":[1]})"),
            R"([{"op":"replace","path":"/a","value":[1]}])");
  EXPECT_EQ(diff(R"({"a":1})", R"([1])"), R"([{"op":"replace","path":"","value":[1]}])");
}

// ---- Property: applying create(a, b) to a gives b ---------------------------------------------

class Generator {
 public:
  explicit Generator(unsigned seed) : rng_(seed) {}

  json::Value value(json::Allocator& a, int depth) {
    int kind = pick(depth > 0 ? 8 : 5);
    switch (kind) {
      case 0:
        return json::Value();
      case 1:
        return json::Value(pick(2) == 0);
      case 2:
        return json::Value(pick(100) - 50);
      case 3:
        return json::Value(pick(1000) / 8.0);
      case 4:
        return json::make_string(key(), a);
      case 5:
      case 6: {
        json::Value o(rapidjson::kObjectType);
        int n = pick(5);
        for (int i = 0; i < n; ++i)
          set(o, key(), value(a, depth - 1), a);
        return o;
      }
      default: {
        json::Value l(rapidjson::kArrayType);
        int n = pick(5);
        for (int i = 0; i < n; ++i)
          l.PushBack(value(a, depth - 1), a);
        return l;
      }
    }
  }

  // A random edit somewhere in `v`, so that a and b share most of their structure.
  void mutate(json::Value& v, json::Allocator& a, int depth) {
    if (v.IsObject() && v.MemberCount() > 0 && pick(4) != 0) {
      auto it = v.MemberBegin() + pick(static_cast<int>(v.MemberCount()));
      switch (pick(4)) {
        case 0:
          v.EraseMember(it);
          return;
        case 1:
          set(v, key(), value(a, depth), a);
          return;
        default:
          mutate(it->value, a, depth);
          return;
      }
    }
    if (v.IsArray() && v.Size() > 0 && pick(4) != 0) {
      switch (pick(5)) {
        case 0:
          v.PushBack(value(a, depth), a);
          return;
        case 1:
          v.PopBack();
          return;
        case 2:
          v.Erase(v.Begin());
          return;
        default:
          mutate(v[static_cast<rapidjson::SizeType>(pick(static_cast<int>(v.Size())))], a, depth);
          return;
      }
    }
    v = value(a, depth);
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  std::string key() {
    static const char* kKeys[] = {"a",           "b", "c",  "name", "x/y", "~t",
                                  "berth.dev/z", "",  "~1", "-",    "0"};
    return kKeys[pick(static_cast<int>(std::size(kKeys)))];
  }
  static void set(json::Value& o, const std::string& k, json::Value v, json::Allocator& a) {
    for (auto& m : o.GetObject()) {
      if (json::as_string(m.name) == k) {
        m.value = std::move(v);
        return;
      }
    }
    o.AddMember(json::make_string(k, a), std::move(v), a);
  }
  std::mt19937 rng_;
};

TEST(CreateJsonPatch, RoundTripsOnRandomDocuments) {
  Generator gen(20261125);
  for (int i = 0; i < 3000; ++i) {
    json::Document a;
    static_cast<json::Value&>(a) = gen.value(a.GetAllocator(), 4);
    json::Document b;
    b.CopyFrom(a, b.GetAllocator());
    int edits = 1 + i % 4;
    for (int e = 0; e < edits; ++e)
      gen.mutate(b, b.GetAllocator(), 2);
    if (i % 10 == 0) static_cast<json::Value&>(b) = gen.value(b.GetAllocator(), 3);

    json::Document ops = create_json_patch(a, b);
    json::Document result;
    result.CopyFrom(a, result.GetAllocator());
    Status st = apply_json_patch(result, ops);
    ASSERT_TRUE(st.ok()) << st.error().message << "\n a: " << json::dump(a)
                         << "\n b: " << json::dump(b) << "\n patch: " << json::dump(ops);
    ASSERT_TRUE(json::equal(result, b))
        << "\n a: " << json::dump(a) << "\n b: " << json::dump(b) << "\n patch: " << json::dump(ops)
        << "\n got: " << json::dump(result);
    EXPECT_EQ(json::dump(create_json_patch(a, a)), "[]");
  }
}

}  // namespace
}  // namespace kube::patch
