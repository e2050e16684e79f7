#include "kube/meta/owner_references.h"

#include <gtest/gtest.h>

#include "tests/unit/kube/meta/fake_patch_server.h"

namespace kube {
namespace {

using berth::testing::client_for;
using berth::testing::FakePatchServer;

Object parse(std::string_view s) {
  return Object::parse(s).value();
}

const Object kDeployment = parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{
    "name":"web","namespace":"ns","uid":"d-uid"}})");
const Object kOther = parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{
    "name":"api","namespace":"ns","uid":"o-uid"}})");

TEST(OwnerReferencesTest, ReadingReferences) {
  Object rs = parse(R"({"metadata":{"name":"x","ownerReferences":[
      {"apiVersion":"apps/v1","kind":"Deployment","name":"web","uid":"d-uid","controller":true,
       "blockOwnerDeletion":true},
      {"apiVersion":"v1","kind":"ConfigMap","name":"c","uid":"c-uid"},
      {"kind":"NoUid"}, 7]}})");
  auto refs = owner_references(rs);
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0], controller_reference_to(kDeployment));
  EXPECT_FALSE(refs[1].controller);
  ASSERT_TRUE(controller_of(rs));
  EXPECT_EQ(controller_of(rs)->name, "web");
  EXPECT_TRUE(is_controlled_by(rs, kDeployment));
  EXPECT_FALSE(is_controlled_by(rs, kOther));
  EXPECT_TRUE(has_owner_reference(rs, kDeployment));
  EXPECT_FALSE(has_owner_reference(parse(R"({"metadata":{"name":"x"}})"), kDeployment));
  EXPECT_FALSE(controller_of(parse(R"({"metadata":{"name":"x"}})")));
}

TEST(OwnerReferencesTest, SetControllerReferenceOnANewObject) {
  auto doc = json::parse(R"({"metadata":{"name":"web-1","namespace":"ns"}})").value();
  ASSERT_TRUE(set_controller_reference(kDeployment, doc, doc.GetAllocator()).ok());
  EXPECT_EQ(json::dump(doc["metadata"]["ownerReferences"]),
            R"([{"apiVersion":"apps/v1","kind":"Deployment","name":"web","uid":"d-uid",)"
            R"("controller":true,"blockOwnerDeletion":true}])");
  // Setting it again replaces rather than duplicates.
  ASSERT_TRUE(set_controller_reference(kDeployment, doc, doc.GetAllocator()).ok());
  EXPECT_EQ(doc["metadata"]["ownerReferences"].Size(), 1u);
  // A second controller is refused; a plain owner is added.
  Status second = set_controller_reference(kOther, doc, doc.GetAllocator());
  ASSERT_FALSE(second.ok());
  EXPECT_TRUE(second.error().is_already_exists());
  ASSERT_TRUE(set_owner_reference(kOther, doc, doc.GetAllocator()).ok());
  EXPECT_EQ(doc["metadata"]["ownerReferences"].Size(), 2u);
}

TEST(OwnerReferencesTest, ImpossibleReferencesAreInvalid) {
  auto cluster = json::parse(R"({"metadata":{"name":"pv-1"}})").value();
  EXPECT_TRUE(
      set_controller_reference(kDeployment, cluster, cluster.GetAllocator()).error().is_invalid());
  auto elsewhere = json::parse(R"({"metadata":{"name":"x","namespace":"other"}})").value();
  EXPECT_TRUE(set_controller_reference(kDeployment, elsewhere, elsewhere.GetAllocator())
                  .error()
                  .is_invalid());
  Object unsaved = parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c",
      "namespace":"ns"}})");
  auto doc = json::parse(R"({"metadata":{"name":"x","namespace":"ns"}})").value();
  EXPECT_TRUE(set_owner_reference(unsaved, doc, doc.GetAllocator()).error().is_invalid());
  // A cluster-scoped owner may own namespaced objects.
  Object node = parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"n","uid":"n-uid"}})");
  EXPECT_TRUE(set_owner_reference(node, doc, doc.GetAllocator()).ok());
}

TEST(OwnerReferencesTest, AdoptAndRelease) {
  auto server = std::make_shared<FakePatchServer>(
      R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web-1",
          "namespace":"ns","uid":"rs-uid","resourceVersion":"5"}})");
  auto client = client_for(server);
  auto adopted = adopt(*client, resources::kReplicaSets, server->current(), kDeployment);
  ASSERT_TRUE(adopted.ok()) << adopted.error().to_string();
  EXPECT_TRUE(is_controlled_by(*adopted, kDeployment));
  auto twice = adopt(*client, resources::kReplicaSets, *adopted, kDeployment);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(server->requests().size(), 1u);
  auto stolen = adopt(*client, resources::kReplicaSets, *adopted, kOther);
  ASSERT_FALSE(stolen.ok());
  EXPECT_TRUE(stolen.error().is_already_exists());

  auto released = release(*client, resources::kReplicaSets, *adopted, kDeployment);
  ASSERT_TRUE(released.ok()) << released.error().to_string();
  EXPECT_FALSE(has_owner_reference(*released, kDeployment));
  EXPECT_EQ(json::find(*released->metadata(), "ownerReferences"), nullptr);

  // Adopting from a stale read after someone else adopted it conflicts.
  Object stale = server->current();
  server->mutate([](json::Document& d) {
    auto& a = d.GetAllocator();
    json::Value refs(rapidjson::kArrayType);
    refs.PushBack(controller_reference_to(kOther).to_json(a), a);
    json::set(d["metadata"], "ownerReferences", std::move(refs), a);
  });
  auto late = adopt(*client, resources::kReplicaSets, stale, kDeployment);
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(late.error().is_conflict());
  EXPECT_TRUE(is_controlled_by(server->current(), kOther));
}

}  // namespace
}  // namespace kube
