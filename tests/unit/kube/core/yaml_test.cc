#include "kube/core/yaml.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/fixtures.h"

namespace kube::yaml {
namespace {

json::Document must_parse(std::string_view text) {
  auto doc = to_json(text);
  EXPECT_TRUE(doc.ok()) << (doc.ok() ? "" : doc.error().to_string());
  if (!doc.ok()) return json::Document();
  return std::move(doc).value();
}

std::string compact(std::string_view yaml_text) {
  return json::dump(must_parse(yaml_text));
}

TEST(YamlToJson, ParsesKubeconfigShapedDocument) {
  auto doc = must_parse(R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: dev
  cluster:
    server: https://127.0.0.1:6443
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: "abc"
)");
  EXPECT_EQ(json::get_string(doc, "current-context"), "dev");
  const json::Value* clusters = json::find(doc, "clusters");
  ASSERT_NE(clusters, nullptr);
  ASSERT_TRUE(clusters->IsArray());
  ASSERT_EQ(clusters->Size(), 1u);
  const json::Value* cluster = json::find((*clusters)[0], "cluster");
  ASSERT_NE(cluster, nullptr);
  EXPECT_EQ(json::get_string(*cluster, "server"), "https://127.0.0.1:6443");
  EXPECT_TRUE(json::get_bool(*cluster, "insecure-skip-tls-verify"));
}

TEST(YamlToJson, PlainScalarsResolvePerCoreSchema) {
  EXPECT_EQ(compact("a: ~\nb: null\nc: Null\nd: NULL\ne:\n"),
            R"({"a":null,"b":null,"c":null,"d":null,"e":null})");
  EXPECT_EQ(compact("a: true\nb: False\nc: TRUE\nd: false\n"),
            R"({"a":true,"b":false,"c":true,"d":false})");
  EXPECT_EQ(compact("a: 12\nb: -7\nc: +3\nd: 0o17\ne: 0x1F\nf: 007\n"),
            R"({"a":12,"b":-7,"c":3,"d":15,"e":31,"f":7})");
  EXPECT_EQ(compact("a: 1.5\nb: -0.25\nc: 1e3\nd: .5\n"),
            R"({"a":1.5,"b":-0.25,"c":1000.0,"d":0.5})");
  EXPECT_EQ(compact("a: 9223372036854775807\nb: -9223372036854775808\nc: 18446744073709551615\n"),
            R"({"a":9223372036854775807,"b":-9223372036854775808,"c":18446744073709551615})");
}

TEST(YamlToJson, YamlOneOneWordsAndOddNumbersStayStrings) {
  EXPECT_EQ(compact("a: yes\nb: off\nc: 0x\nd: 1_000\ne: 12:30\nf: 0b101\ng: 1.2.3\n"),
            R"({"a":"yes","b":"off","c":"0x","d":"1_000","e":"12:30","f":"0b101","g":"1.2.3"})");
}

TEST(YamlToJson, QuotedAndBlockScalarsStayStrings) {
  EXPECT_EQ(compact("a: \"true\"\nb: '12'\nc: \"null\"\nd: \"\"\ne: |\n  12\n"),
            R"({"a":"true","b":"12","c":"null","d":"","e":"12\n"})");
  EXPECT_EQ(compact("s: !!str 42\ni: !!int \"42\"\nf: !!float 1\n"),
            R"({"s":"42","i":42,"f":1.0})");
}

TEST(YamlToJson, InvalidExplicitTagsAreErrors) {
  auto r = to_json("i: !!int abc\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kParse);
  EXPECT_NE(r.error().message.find("line 1"), std::string::npos) << r.error().message;
}

TEST(YamlToJson, InfinityAndNanAreErrorsNamingTheLine) {
  for (const char* text : {"a: 1\nb: .inf\n", "b: -.Inf\n", "b: .NaN\n", "b: !!float .nan\n"}) {
    auto r = to_json(text);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().reason, Reason::kParse);
    EXPECT_NE(r.error().message.find("JSON"), std::string::npos) << r.error().message;
  }
  auto r = to_json("a: 1\nb: .inf\n");
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  // Quoted, they are just text.
  EXPECT_EQ(compact("b: \".inf\"\n"), R"({"b":".inf"})");
}

TEST(YamlToJson, NonStringKeysBecomeStrings) {
  EXPECT_EQ(compact("1: a\ntrue: b\n~: c\n1.5: d\n"),
            R"({"1":"a","true":"b","null":"c","1.5":"d"})");
}

TEST(YamlToJson, ComplexKeysAreRejected) {
  auto r = to_json("? [a, b]\n: c\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("key"), std::string::npos);
}

TEST(YamlToJson, DuplicateKeysAreRejected) {
  auto r = to_json("a: 1\nb: 2\na: 3\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("\"a\" already defined"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
  // Large maps take the hashed path.
  std::string big;
  for (int i = 0; i < 100; ++i)
    big += "k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  EXPECT_TRUE(to_json(big).ok());
  big += "k57: again\n";
  auto dup = to_json(big);
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("\"k57\""), std::string::npos);
}

TEST(YamlToJson, AnchorsAliasesAndMergeKeys) {
  EXPECT_EQ(compact("base: &b {x: 1, y: 2}\ncopy: *b\n"),
            R"({"base":{"x":1,"y":2},"copy":{"x":1,"y":2}})");
  EXPECT_EQ(compact("base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n"),
            R"({"base":{"x":1,"y":2},"d":{"y":3,"x":1}})");
  EXPECT_EQ(compact("a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n"),
            R"({"a":{"x":1},"b":{"x":2,"z":2},"c":{"x":1,"z":2}})");
  // A quoted "<<" is an ordinary key.
  EXPECT_EQ(compact("\"<<\": 1\n"), R"({"\u003c\u003c":1})");
}

TEST(YamlToJson, RecursiveAliasIsAnError) {
  auto r = to_json("a: &a [1, *a]\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("recursive"), std::string::npos) << r.error().message;
}

TEST(YamlToJson, UnknownAliasIsAnError) {
  EXPECT_FALSE(to_json("a: *nope\n").ok());
}

TEST(YamlToJson, AliasExpansionBombIsRefused) {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'j'; ++c) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i)
      bomb += std::string(i ? ", *" : "*") + prev;
    bomb += "]\n";
    prev = c;
  }
  auto r = to_json(bomb);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("too many nodes"), std::string::npos) << r.error().message;
}

TEST(YamlToJson, DeepNestingIsRefusedWithoutCrashing) {
  std::string flow(100000, '[');
  auto r = to_json(flow);
  ASSERT_FALSE(r.ok());
  std::string block;
  for (int i = 0; i < 300; ++i)
    block += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
  auto deep = to_json(block);
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.error().message.find("depth"), std::string::npos) << deep.error().message;
  std::string ok_flow = std::string(200, '[') + std::string(200, ']');
  EXPECT_TRUE(to_json(ok_flow).ok());
}

TEST(YamlToJson, SyntaxErrorsCarryLineAndColumn) {
  auto r = to_json("a: [1, 2\nb: 3\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, Reason::kParse);
  EXPECT_NE(r.error().message.find("line"), std::string::npos);
  EXPECT_NE(r.error().message.find("column"), std::string::npos);
}

TEST(YamlToJson, MultiDocumentStreams) {
  auto docs = to_json_all("---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n...\n");
  ASSERT_TRUE(docs.ok()) << docs.error().to_string();
  ASSERT_EQ(docs->size(), 2u);
  EXPECT_EQ(json::dump((*docs)[0]), R"({"a":1})");
  EXPECT_EQ(json::dump((*docs)[1]), R"({"b":2})");

  auto single = to_json("a: 1\n---\nb: 2\n");
  ASSERT_FALSE(single.ok());
  EXPECT_NE(single.error().message.find("found 2"), std::string::npos);
  auto empty = to_json("# nothing\n");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->IsNull());
}

TEST(YamlToJson, InputOnWhichTheParserStopsAdvancingIsAnErrorNotAHang) {
  // Found by fuzz_yaml: yaml-cpp reports empty documents forever on these bytes.
  auto docs = to_json_all(std::string_view(",\xf6\x0b\xfc", 4));
  ASSERT_FALSE(docs.ok());
  EXPECT_NE(docs.error().message.find("stopped advancing"), std::string::npos)
      << docs.error().message;
}

TEST(YamlFromJson, LeadingBytesThatLookLikeAByteOrderMarkRoundTrip) {
  // Found by fuzz_yaml: emitted plain at the start of the document, FE FF switched yaml-cpp to
  // UTF-16.
  json::Document doc;
  doc.SetString("\xfe\xff\xff\xfe\xff\"2\xff", doc.GetAllocator());
  std::string emitted = from_json(doc);
  auto back = to_json(emitted);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_TRUE(json::equal(*back, doc)) << json::dump(*back);
}

TEST(YamlToJson, AcceptsJsonText) {
  EXPECT_EQ(compact(R"({"kind":"ConfigMap","data":{"a":"1"},"n":[1,2.5,true,null]})"),
            R"({"kind":"ConfigMap","data":{"a":"1"},"n":[1,2.5,true,null]})");
}

TEST(YamlFromJson, WritesKubectlStyleBlocks) {
  auto doc = json::parse(
      R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"web"}},)"
      R"("spec":{"containers":[{"name":"app","image":"nginx:1.25","ports":[{"containerPort":80}]}],)"
      R"("tolerations":[]},"status":{}})");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(from_json(*doc), R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  labels:
    app: web
spec:
  containers:
  - name: app
    image: nginx:1.25
    ports:
    - containerPort: 80
  tolerations: []
status: {}
)");
}

TEST(YamlFromJson, QuotesStringsThatWouldChangeType) {
  auto doc = json::parse(
      R"({"a":"true","b":"123","c":"","d":"null","e":"yes","f":"0755","g":"1e3","h":"- x",)"
      R"("i":"a: b","j":" lead","k":"x #y","l":"tab\there","m":"~","n":"plain text"})");
  ASSERT_TRUE(doc.ok());
  std::string y = from_json(*doc);
  EXPECT_NE(y.find("a: \"true\"\n"), std::string::npos) << y;
  EXPECT_NE(y.find("b: \"123\"\n"), std::string::npos) << y;
  EXPECT_NE(y.find("c: \"\"\n"), std::string::npos) << y;
  EXPECT_NE(y.find("e: \"yes\"\n"), std::string::npos) << y;
  EXPECT_NE(y.find("l: \"tab\\there\"\n"), std::string::npos) << y;
  // "n" itself is a YAML 1.1 boolean, so even the key is quoted.
  EXPECT_NE(y.find("\"n\": plain text\n"), std::string::npos) << y;
  auto back = to_json(y);
  ASSERT_TRUE(back.ok()) << back.error().to_string() << "\n" << y;
  EXPECT_TRUE(json::equal(*back, *doc)) << y;
}

TEST(YamlFromJson, MultiLineStringsUseLiteralBlocks) {
  auto doc =
      json::parse(R"({"cert":"-----BEGIN-----\nAAAA\n-----END-----\n","s":"a\nb","k":"x\n\n"})");
  ASSERT_TRUE(doc.ok());
  std::string y = from_json(*doc);
  EXPECT_NE(y.find("cert: |\n  -----BEGIN-----\n  AAAA\n  -----END-----\n"), std::string::npos)
      << y;
  EXPECT_NE(y.find("s: |-\n  a\n  b\n"), std::string::npos) << y;
  auto back = to_json(y);
  ASSERT_TRUE(back.ok()) << back.error().to_string() << "\n" << y;
  EXPECT_TRUE(json::equal(*back, *doc)) << y;
}

TEST(YamlFromJson, ScalarsAndEmptyContainersAtTopLevel) {
  auto doc = json::parse(R"("x")");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(from_json(*doc), "x\n");
  EXPECT_EQ(from_json(json::Value(rapidjson::kObjectType)), "{}\n");
  EXPECT_EQ(from_json(json::Value(rapidjson::kArrayType)), "[]\n");
  EXPECT_EQ(from_json(json::Value(42)), "42\n");
}

// Found by fuzzing: a literal block cannot be a document's root (its content needs indentation).
TEST(YamlFromJson, MultiLineRootStringRoundTrips) {
  json::Document doc;
  doc.SetString("<<-- - - 0x1F\nfalse");
  std::string y = from_json(doc);
  auto back = to_json(y);
  ASSERT_TRUE(back.ok()) << back.error().to_string() << "\n" << y;
  EXPECT_TRUE(json::equal(*back, doc)) << y;
}

TEST(YamlFromJson, NestedSequencesRoundTrip) {
  auto doc = json::parse(R"({"m":[[1,[2,3]],[],[{"a":[{"b":{}}]}]],"u":"\u0085x\u2028"})");
  ASSERT_TRUE(doc.ok());
  std::string y = from_json(*doc);
  auto back = to_json(y);
  ASSERT_TRUE(back.ok()) << back.error().to_string() << "\n" << y;
  EXPECT_TRUE(json::equal(*back, *doc)) << y;
}

// Every JSON object captured from the real apiserver survives JSON -> YAML -> JSON unchanged.
TEST(YamlFromJson, FixtureObjectsRoundTrip) {
  BERTH_REQUIRE_FIXTURES();
  int checked = 0;
  for (const char* folder : {"objects", "lists", "patch", "errors"}) {
    auto dir = *berth::testing::fixtures_dir() / folder;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::string name = entry.path().filename().string();
      if (entry.path().extension() != ".json" || name.find(".meta.") != std::string::npos) continue;
      auto doc = json::parse(berth::testing::read_file(entry.path()), {.max_depth = 512});
      if (!doc.ok()) continue;  // a few captures are not JSON objects
      std::string y = from_json(*doc);
      auto back = to_json(y);
      ASSERT_TRUE(back.ok()) << name << ": " << back.error().to_string();
      EXPECT_TRUE(json::equal(*back, *doc)) << name << "\n" << y;
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
}

}  // namespace
}  // namespace kube::yaml
