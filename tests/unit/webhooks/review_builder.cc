#include "tests/unit/webhooks/review_builder.h"

#include <gtest/gtest.h>

#include "kube/patch/patch.h"

namespace berth::webhooks::testing {

namespace json = kube::json;

std::string review_json(const ReviewSpec& s) {
  std::string gvk = R"({"group":")" + s.group + R"(","version":"v1","kind":")" + s.kind + R"("})";
  std::string gvr =
      R"({"group":")" + s.group + R"(","version":"v1","resource":")" + s.resource + R"("})";
  std::string out = R"({"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{)";
  out += R"("uid":")" + s.uid + R"(","kind":)" + gvk + R"(,"resource":)" + gvr;
  if (!s.sub_resource.empty()) out += R"(,"subResource":")" + s.sub_resource + R"(")";
  if (!s.name.empty()) out += R"(,"name":")" + s.name + R"(")";
  out += R"(,"namespace":")" + s.namespace_ + R"(","operation":")" + s.operation + R"(")";
  out += R"(,"userInfo":{"username":"alice","groups":["system:authenticated"]})";
  out += R"(,"object":)" + s.object + R"(,"oldObject":)" + s.old_object;
  out += std::string(R"(,"dryRun":)") + (s.dry_run ? "true" : "false") + "}}";
  return out;
}

Review::Review(const ReviewSpec& spec) {
  auto decoded = AdmissionReview::decode(review_json(spec));
  if (!decoded.ok()) {
    ADD_FAILURE() << "review does not decode: " << decoded.error().message;
    decoded = AdmissionReview::decode(review_json(ReviewSpec{.object = "{}"}));
  }
  review_ = std::make_unique<AdmissionReview>(std::move(decoded).value());
}

json::Document apply_patch(const json::Value& original, const std::string& patch) {
  json::Document target = json::copy(original);
  auto ops = json::parse(patch);
  if (!ops.ok()) {
    ADD_FAILURE() << "patch is not JSON: " << patch;
    return target;
  }
  EXPECT_TRUE(ops->IsArray()) << patch;
  auto status = kube::patch::apply_json_patch(target, *ops);
  EXPECT_TRUE(status.ok()) << (status.ok() ? "" : status.error().message) << "\n" << patch;
  return target;
}

}  // namespace berth::webhooks::testing
