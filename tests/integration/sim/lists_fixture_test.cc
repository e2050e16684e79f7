// Lists as kube-apiserver serves them: paging with continue tokens and remainingItemCount, one
// snapshot for all pages, resourceVersion=0 ignoring limit, selectors, metadata-only lists.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/integration/sim/scenario.h"
#include "tests/integration/sim/world.h"
#include "tests/support/fixtures.h"

namespace berth::sim::testing {
namespace {

namespace json = kube::json;

class ListFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!berth::testing::fixtures_dir()) GTEST_SKIP() << "fixtures not present";
    build_lists(sim);
  }
  Sim sim;
};

// Items of a list sorted by name (the watch cache serves resourceVersion=0 lists unordered).
json::Document by_name(const json::Value& list) {
  json::Document doc = json::copy(list);
  json::Value* items = json::find(doc, "items");
  std::vector<json::Value> v;
  for (auto& i : items->GetArray())
    v.emplace_back(std::move(i));
  std::sort(v.begin(), v.end(), [](const json::Value& a, const json::Value& b) {
    return json::get_string(*json::find(a, "metadata"), "name") <
           json::get_string(*json::find(b, "metadata"), "name");
  });
  items->Clear();
  for (auto& i : v)
    items->PushBack(std::move(i), doc.GetAllocator());
  return doc;
}

TEST_F(ListFixtures, SelectorsAndSinglePages) {
  run_steps(sim, {{"lists/configmaps-empty-result"},
                  {"lists/configmaps-fieldselector-metadata.name"},
                  {"lists/configmaps-fieldselector-not-equal-limit3"},
                  {"lists/configmaps-labelselector-not-equal"},
                  {"lists/configmaps-labelselector-notin-and-equality"},
                  {"lists/configmaps-labelselector-set-based"},
                  {"lists/configmaps-limit500-single-page"},
                  {"lists/configmaps-all-namespaces-limit3"},
                  {"lists/partialobjectmetadata-configmap"},
                  {"lists/partialobjectmetadatalist-configmaps"}});
}

TEST_F(ListFixtures, ResourceVersionZeroIgnoresLimit) {
  auto unordered = [](const Reply& reply, const json::Value& expected) {
    expect_same_shape(by_name(expected), by_name(reply.doc()), kIgnored);
  };
  run_steps(sim, {{"lists/configmaps-resourceversion0", nullptr, unordered},
                  {"lists/configmaps-limit2-resourceversion0-limit-ignored", nullptr, unordered}});
}

TEST_F(ListFixtures, PagesShareOneSnapshot) {
  std::string token;
  std::string first_rv;
  auto use_token = [&](Sim&, FixtureRequest& r) {
    r.target = r.target.substr(0, r.target.find("continue=")) + "continue=" + token;
  };
  auto remember = [&](const Reply& reply, const json::Value& expected) {
    expect_same_shape(expected, reply.doc(), kIgnored);
    token = reply.str({"metadata", "continue"});
    if (first_rv.empty()) first_rv = reply.str({"metadata", "resourceVersion"});
    EXPECT_EQ(reply.str({"metadata", "resourceVersion"}), first_rv);
  };
  run_steps(sim, {{"lists/configmaps-limit2-page1", nullptr, remember}});
  // A write between pages does not show up in the later pages.
  sim.must_create("/api/v1/namespaces/fx-lists/configmaps", R"({"metadata":{"name":"cm-9"}})");
  run_steps(sim, {{"lists/configmaps-limit2-page2", use_token, remember},
                  {"lists/configmaps-limit2-page3-last", use_token, remember}});
}

}  // namespace
}  // namespace berth::sim::testing
