#include "kube/api/selector.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/support/fixtures.h"

namespace kube {
namespace {

json::Document labels(std::string_view text) {
  auto doc = json::parse(text);
  EXPECT_TRUE(doc.ok());
  return std::move(doc).value();
}

bool selects(std::string_view selector, std::string_view label_json) {
  auto s = LabelSelector::parse(selector);
  EXPECT_TRUE(s.ok()) << selector << ": " << (s.ok() ? "" : s.error().message);
  if (!s.ok()) return false;
  json::Document l = labels(label_json);
  return s->matches(&l);
}

std::string parse_error(std::string_view selector) {
  auto s = LabelSelector::parse(selector);
  if (s.ok()) return "<parsed: " + s->to_string() + ">";
  EXPECT_EQ(s.error().reason, Reason::kBadRequest);
  EXPECT_EQ(s.error().code, 400);
  return s.error().message;
}

TEST(LabelSelector, EqualityOperators) {
  EXPECT_TRUE(selects("app=web", R"({"app":"web"})"));
  EXPECT_TRUE(selects("app==web", R"({"app":"web"})"));
  EXPECT_FALSE(selects("app=web", R"({"app":"db"})"));
  EXPECT_FALSE(selects("app=web", R"({})"));
  EXPECT_TRUE(selects("app!=web", R"({"app":"db"})"));
  EXPECT_FALSE(selects("app!=web", R"({"app":"web"})"));
  // '!=' also selects objects that do not have the label at all.
  EXPECT_TRUE(selects("app!=web", R"({"other":"x"})"));
  EXPECT_TRUE(selects("app=", R"({"app":""})"));
  EXPECT_FALSE(selects("app=", R"({})"));
}

TEST(LabelSelector, SetBasedOperators) {
  EXPECT_TRUE(selects("env in (prod,staging)", R"({"env":"staging"})"));
  EXPECT_FALSE(selects("env in (prod,staging)", R"({"env":"dev"})"));
  EXPECT_FALSE(selects("env in (prod,staging)", R"({})"));
  EXPECT_TRUE(selects("env notin (prod)", R"({"env":"dev"})"));
  EXPECT_TRUE(selects("env notin (prod)", R"({})"));
  EXPECT_FALSE(selects("env notin (prod)", R"({"env":"prod"})"));
  EXPECT_TRUE(selects("canary", R"({"canary":""})"));
  EXPECT_FALSE(selects("canary", R"({"env":"prod"})"));
  EXPECT_TRUE(selects("!canary", R"({"env":"prod"})"));
  EXPECT_FALSE(selects("!canary", R"({"canary":"true"})"));
  // "()" is the set holding the empty value.
  EXPECT_TRUE(selects("env in ()", R"({"env":""})"));
  EXPECT_TRUE(selects("env in (,a)", R"({"env":""})"));
  // The keywords are plain identifiers in value position.
  EXPECT_TRUE(selects("in in (in,notin)", R"({"in":"notin"})"));
}

TEST(LabelSelector, IntegerComparisons) {
  EXPECT_TRUE(selects("gen>3", R"({"gen":"4"})"));
  EXPECT_FALSE(selects("gen>3", R"({"gen":"3"})"));
  EXPECT_TRUE(selects("gen<3", R"({"gen":"-10"})"));
  EXPECT_FALSE(selects("gen<3", R"({})"));
  EXPECT_FALSE(selects("gen>3", R"({"gen":"four"})"));
  // Compared as integers, not strings.
  EXPECT_TRUE(selects("gen>9", R"({"gen":"10"})"));
}

TEST(LabelSelector, AllRequirementsMustHold) {
  EXPECT_TRUE(selects("env in (prod,staging),!canary", R"({"env":"prod"})"));
  EXPECT_FALSE(selects("env in (prod,staging),!canary", R"({"env":"prod","canary":"1"})"));
}

TEST(LabelSelector, WhitespaceIsInsignificantBetweenTokens) {
  EXPECT_TRUE(
      selects("  env in ( prod , staging ) ,\tapp = web\n", R"({"env":"prod","app":"web"})"));
  EXPECT_TRUE(selects("app = web", R"({"app":"web"})"));
}

TEST(LabelSelector, EmptySelectsEverythingAndNothingSelectsNothing) {
  auto all = LabelSelector::parse("");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  EXPECT_TRUE(all->matches(nullptr));
  auto blank = LabelSelector::parse("   ");
  ASSERT_TRUE(blank.ok());
  EXPECT_TRUE(blank->empty());
  LabelSelector none = LabelSelector::nothing();
  EXPECT_FALSE(none.empty());
  json::Document l = labels(R"({"a":"b"})");
  EXPECT_FALSE(none.matches(&l));
  EXPECT_FALSE(none.matches(nullptr));
}

TEST(LabelSelector, CanonicalStringSortsByKeyAndValues) {
  auto s = LabelSelector::parse("z=1, b notin (y,x), a in (c,b,c), !d, e, f>2, g==h");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->to_string(), "a in (b,c),b notin (x,y),!d,e,f>2,g=h,z=1");
  ASSERT_EQ(s->requirements().size(), 7u);
  EXPECT_EQ(s->requirements()[0].values, (std::vector<std::string>{"b", "c"}));
}

TEST(LabelSelector, PrefixedKeys) {
  EXPECT_TRUE(selects("app.kubernetes.io/name=web", R"({"app.kubernetes.io/name":"web"})"));
  EXPECT_TRUE(selects("berth.dev/pool in (a)", R"({"berth.dev/pool":"a"})"));
}

TEST(LabelSelector, SyntaxErrorsCarryTheApiserverMessage) {
  EXPECT_EQ(parse_error("a in (b"), "unable to parse requirement: found '', expected: ',' or ')'");
  EXPECT_EQ(parse_error("a===b"), "unable to parse requirement: found '=', expected: identifier");
  EXPECT_EQ(parse_error("a,"), "found '', expected: identifier after ','");
  EXPECT_EQ(parse_error(",a"), "found ',', expected: !, identifier, or 'end of string'");
  EXPECT_EQ(parse_error("a b"),
            "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  EXPECT_EQ(parse_error("a in b"), "unable to parse requirement: found 'b' expected: '('");
  EXPECT_EQ(parse_error("a in (=)"),
            "unable to parse requirement: found '=', expected: ',', ')' or identifier");
  EXPECT_EQ(parse_error("!a=b"), "found '=', expected: ',' or 'end of string'");
  EXPECT_EQ(parse_error("a=b c"), "found 'c', expected: ',' or 'end of string'");
  EXPECT_EQ(parse_error("=b"), "found '=', expected: !, identifier, or 'end of string'");
}

TEST(LabelSelector, ValidationErrorsCarryTheApiserverMessage) {
  // Go's RegexError really separates the examples with two spaces.
  const std::string name_rule =
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
      "end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
      "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  EXPECT_EQ(parse_error("-a=b"),
            "unable to parse requirement: <nil>: Invalid value: \"-a\": " + name_rule);
  EXPECT_EQ(parse_error("a>b"),
            "unable to parse requirement: values[0]: Invalid value: \"b\": for 'Gt', 'Lt' "
            "operators, the value must be an integer");
  EXPECT_EQ(parse_error("a=-b"),
            "unable to parse requirement: values[0][a]: Invalid value: \"-b\": a valid label must "
            "be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
            "start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
            "'12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  EXPECT_EQ(parse_error("Example.com/a=b"),
            "unable to parse requirement: <nil>: Invalid value: \"Example.com/a\": prefix part a "
            "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
            "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
            "regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  std::string long_name(64, 'a');
  EXPECT_EQ(parse_error(long_name), "unable to parse requirement: <nil>: Invalid value: \"" +
                                        long_name +
                                        "\": name part must be no more than 63 characters");
  EXPECT_NE(parse_error("a/b/c").find("a qualified name must consist of"), std::string::npos);
  EXPECT_NE(parse_error("/a").find("prefix part must be non-empty"), std::string::npos);
}

TEST(LabelSelector, KeyAndValueRules) {
  EXPECT_TRUE(qualified_name_errors("app").empty());
  EXPECT_TRUE(qualified_name_errors("a.b-c_d").empty());
  EXPECT_TRUE(qualified_name_errors("berth.dev/x").empty());
  EXPECT_TRUE(qualified_name_errors(std::string(63, 'k')).empty());
  EXPECT_FALSE(qualified_name_errors(std::string(64, 'k')).empty());
  EXPECT_FALSE(qualified_name_errors("a_").empty());
  EXPECT_FALSE(qualified_name_errors("").empty());
  EXPECT_EQ(qualified_name_errors("").size(), 2u);  // empty and not matching the pattern
  EXPECT_FALSE(qualified_name_errors("Berth.dev/x").empty());
  EXPECT_FALSE(qualified_name_errors("berth..dev/x").empty());
  EXPECT_TRUE(label_value_errors("").empty());
  EXPECT_TRUE(label_value_errors("v1.2_3-x").empty());
  EXPECT_FALSE(label_value_errors("-x").empty());
  EXPECT_FALSE(label_value_errors(std::string(64, 'v')).empty());
  EXPECT_FALSE(label_value_errors("a b").empty());
}

TEST(LabelSelector, FromJson) {
  auto doc = json::parse(
      R"({"matchLabels":{"app":"web"},"matchExpressions":[
          {"key":"tier","operator":"In","values":["fe","be"]},
          {"key":"canary","operator":"DoesNotExist"}]})");
  ASSERT_TRUE(doc.ok());
  auto s = LabelSelector::from_json(*doc);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->to_string(), "app=web,!canary,tier in (be,fe)");
  json::Document fe = labels(R"({"app":"web","tier":"fe"})");
  json::Document canary = labels(R"({"app":"web","tier":"fe","canary":"1"})");
  json::Document untiered = labels(R"({"app":"web"})");
  EXPECT_TRUE(s->matches(&fe));
  EXPECT_FALSE(s->matches(&canary));
  EXPECT_FALSE(s->matches(&untiered));

  auto empty = LabelSelector::from_json(*json::parse("{}"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->matches(nullptr));
  auto null_selector = LabelSelector::from_json(*json::parse("null"));
  ASSERT_TRUE(null_selector.ok());
  EXPECT_FALSE(null_selector->matches(nullptr));
}

TEST(LabelSelector, FromJsonErrors) {
  auto check = [](std::string_view text, std::string_view message) {
    auto s = LabelSelector::from_json(*json::parse(text));
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.error().reason, Reason::kInvalid);
    EXPECT_EQ(s.error().message, message);
  };
  check(R"({"matchExpressions":[{"key":"a","operator":"Gt","values":["1"]}]})",
        "\"Gt\" is not a valid label selector operator");
  check(R"({"matchExpressions":[{"key":"a","operator":"In","values":[]}]})",
        "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be "
        "empty");
  check(R"({"matchExpressions":[{"key":"a","operator":"Exists","values":["x","y"]}]})",
        "values: Invalid value: []string{\"x\", \"y\"}: values set must be empty for exists and "
        "does not exist");
  check(R"({"matchLabels":{"a":"-"}})",
        "values[0][a]: Invalid value: \"-\": a valid label must be an empty string or consist of "
        "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  auto bad = LabelSelector::from_json(*json::parse(R"({"matchLabels":["x"]})"));
  EXPECT_FALSE(bad.ok());
}

// ---- Field selectors -------------------------------------------------------------------------

json::Document pod(std::string_view node, std::string_view phase) {
  std::string text = R"({"metadata":{"name":"p","namespace":"ns"},"spec":{)";
  if (!node.empty()) text += R"("nodeName":")" + std::string(node) + "\"";
  text += R"(},"status":{"phase":")" + std::string(phase) + R"("}})";
  return labels(text);
}

TEST(FieldSelector, EqualityAndInequality) {
  auto s = FieldSelector::parse("spec.nodeName=n1");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->matches(pod("n1", "Running")));
  EXPECT_FALSE(s->matches(pod("n2", "Running")));
  auto d = FieldSelector::parse("spec.nodeName==n1");
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->matches(pod("n1", "Running")));
  auto ne = FieldSelector::parse("status.phase!=Succeeded,status.phase!=Failed");
  ASSERT_TRUE(ne.ok());
  EXPECT_TRUE(ne->matches(pod("n1", "Running")));
  EXPECT_FALSE(ne->matches(pod("n1", "Failed")));
}

TEST(FieldSelector, MissingFieldIsEmptyString) {
  auto s = FieldSelector::parse("spec.nodeName=");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->matches(pod("", "Pending")));
  EXPECT_FALSE(s->matches(pod("n1", "Pending")));
}

TEST(FieldSelector, NonStringFieldsCompareAsJsonText) {
  auto s = FieldSelector::parse("spec.unschedulable=true");
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->matches(labels(R"({"spec":{"unschedulable":true}})")));
  EXPECT_FALSE(s->matches(labels(R"({"spec":{}})")));
}

TEST(FieldSelector, EscapedValues) {
  auto s = FieldSelector::parse(R"(metadata.name=a\,b\=c\\d,metadata.namespace=x)");
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_EQ(s->requirements().size(), 2u);
  EXPECT_EQ(s->requirements()[0].field, "metadata.name");
  EXPECT_EQ(s->requirements()[0].value, "a,b=c\\d");
  EXPECT_TRUE(s->matches(labels(R"({"metadata":{"name":"a,b=c\\d","namespace":"x"}})")));
  EXPECT_EQ(s->to_string(), R"(metadata.name=a\,b\=c\\d,metadata.namespace=x)");
}

TEST(FieldSelector, CanonicalOrderIsSortedTerms) {
  auto s = FieldSelector::parse("status.phase!=Failed,metadata.name=x,,");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->to_string(), "metadata.name=x,status.phase!=Failed");
  auto empty = FieldSelector::parse("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_TRUE(empty->matches(pod("", "")));
}

TEST(FieldSelector, ErrorsCarryTheApiserverMessage) {
  auto check = [](std::string_view text, std::string_view message) {
    auto s = FieldSelector::parse(text);
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_EQ(s.error().reason, Reason::kBadRequest);
    EXPECT_EQ(s.error().code, 400);
    EXPECT_EQ(s.error().message, message);
  };
  check("spec.nodeName", "invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'");
  check("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'");
  check("a=b=c", "invalid field selector: unescaped character in value: 61");
  check(R"(a=b\x)", R"(invalid field selector: invalid escape sequence: \x)");
  check(R"(a=b\)", R"(invalid field selector: invalid escape sequence: \)");
}

TEST(FieldSelector, CheckSupported) {
  auto s = FieldSelector::parse("spec.foo=bar,metadata.name=x");
  ASSERT_TRUE(s.ok());
  const std::string_view supported[] = {"metadata.name", "metadata.namespace", "spec.nodeName"};
  auto st = s->check_supported(supported);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "field label not supported: spec.foo");
  EXPECT_EQ(st.error().code, 400);
  auto good = FieldSelector::parse("metadata.name=x");
  EXPECT_TRUE(good->check_supported(supported).ok());
}

// ---- Against the real apiserver --------------------------------------------------------------

// Every object of a kind that any list fixture returned, keyed "namespace/name" (so sorted in
// the apiserver's key order).
std::map<std::string, json::Document> union_of_lists(std::string_view prefix) {
  std::map<std::string, json::Document> all;
  auto dir = berth::testing::fixtures_dir();
  for (const auto& entry : std::filesystem::directory_iterator(*dir / "lists")) {
    std::string file = entry.path().filename().string();
    if (!file.starts_with(prefix) || file.ends_with(".meta.json")) continue;
    auto list = berth::testing::read_fixture_json("lists/" + file);
    if (!list) continue;
    const json::Value* items = json::find(*list, "items");
    if (items == nullptr || !items->IsArray()) continue;
    for (const auto& item : items->GetArray()) {
      const json::Value* md = json::find(item, "metadata");
      if (md == nullptr) continue;
      std::string key = std::string(json::get_string(*md, "namespace")) + "/" +
                        std::string(json::get_string(*md, "name"));
      all.emplace(key, json::copy(item));
    }
  }
  return all;
}

std::string namespace_of_path(std::string_view path) {
  constexpr std::string_view kMarker = "/namespaces/";
  auto at = path.find(kMarker);
  if (at == path.npos) return "";
  auto rest = path.substr(at + kMarker.size());
  return std::string(rest.substr(0, rest.find('/')));
}

// For each selector list fixture: the items our selectors pick out of everything ever listed
// must be exactly the items the apiserver returned (first `limit` of them in key order).
void check_selector_lists(std::string_view prefix) {
  auto all = union_of_lists(prefix);
  ASSERT_FALSE(all.empty());
  auto dir = berth::testing::fixtures_dir();
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(*dir / "lists")) {
    std::string file = entry.path().filename().string();
    if (!file.starts_with(prefix) || !file.ends_with(".meta.json")) continue;
    auto meta = berth::testing::read_fixture_json("lists/" + file);
    ASSERT_TRUE(meta);
    const json::Value* params = json::find(*meta, "query_params");
    if (params == nullptr || !params->IsObject()) continue;
    std::string_view label_text = json::get_string(*params, "labelSelector");
    std::string_view field_text = json::get_string(*params, "fieldSelector");
    if (label_text.empty() && field_text.empty()) continue;
    if (json::find(*params, "continue") != nullptr) continue;
    std::size_t limit = 0;
    if (auto l = json::get_string(*params, "limit"); !l.empty()) limit = std::stoul(std::string(l));
    std::string ns = namespace_of_path(json::get_string(*meta, "path"));

    auto ls = LabelSelector::parse(label_text);
    ASSERT_TRUE(ls.ok()) << file;
    auto fs = FieldSelector::parse(field_text);
    ASSERT_TRUE(fs.ok()) << file;
    std::vector<std::string> ours;
    for (const auto& [key, object] : all) {
      if (!ns.empty() && !key.starts_with(ns + "/")) continue;
      const json::Value* l = json::find_path(object, {"metadata", "labels"});
      if (ls->matches(l) && fs->matches(object)) ours.push_back(key);
    }
    if (limit != 0 && ours.size() > limit) ours.resize(limit);

    std::string body_file =
        file.substr(0, file.size() - std::string(".meta.json").size()) + ".json";
    auto body = berth::testing::read_fixture_json("lists/" + body_file);
    ASSERT_TRUE(body);
    std::vector<std::string> theirs;
    for (const auto& item : (*body)["items"].GetArray()) {
      theirs.push_back(std::string(json::get_string(item["metadata"], "namespace")) + "/" +
                       std::string(json::get_string(item["metadata"], "name")));
    }
    std::sort(theirs.begin(), theirs.end());
    EXPECT_EQ(ours, theirs) << file << " labelSelector=" << label_text
                            << " fieldSelector=" << field_text;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(SelectorFixtures, ConfigMapListsMatchTheApiserver) {
  BERTH_REQUIRE_FIXTURES();
  check_selector_lists("configmaps-");
}

TEST(SelectorFixtures, PodListsMatchTheApiserver) {
  BERTH_REQUIRE_FIXTURES();
  check_selector_lists("pods-");
}

TEST(SelectorFixtures, ErrorMessagesMatchTheApiserver) {
  BERTH_REQUIRE_FIXTURES();
  for (std::string_view name : {"400-bad-labelselector", "400-bad-labelselector-operator",
                                "400-bad-fieldselector-syntax"}) {
    auto meta = berth::testing::read_fixture_json("errors/" + std::string(name) + ".meta.json");
    auto status = berth::testing::read_fixture_json("errors/" + std::string(name) + ".json");
    ASSERT_TRUE(meta && status) << name;
    const json::Value& params = (*meta)["query_params"];
    Error error;
    if (auto l = json::find(params, "labelSelector")) {
      auto s = LabelSelector::parse(json::as_string(*l));
      ASSERT_FALSE(s.ok()) << name;
      error = s.error();
    } else {
      auto s = FieldSelector::parse(json::get_string(params, "fieldSelector"));
      ASSERT_FALSE(s.ok()) << name;
      error = s.error();
    }
    EXPECT_EQ(error.message, json::get_string(*status, "message")) << name;
    EXPECT_EQ(error.code, json::get_int(*status, "code")) << name;
    EXPECT_EQ(reason_name(error.reason), json::get_string(*status, "reason")) << name;
  }
}

}  // namespace
}  // namespace kube
