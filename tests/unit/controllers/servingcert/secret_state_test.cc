#include "controllers/servingcert/secret_state.h"

#include <gtest/gtest.h>

#include <string>

#include "controllers/servingcert/names.h"
#include "kube/core/strings.h"

namespace berth::servingcert {
namespace {

namespace json = kube::json;

kube::Object parse(std::string_view text) {
  auto object = kube::Object::parse(text);
  EXPECT_TRUE(object.ok()) << text;
  return object.ok() ? *object : kube::Object();
}

std::string secret(std::string_view type, std::string_view labels, std::string_view annotations,
                   std::string_view data) {
  return R"({"apiVersion":"v1","kind":"Secret","metadata":{"name":"web-tls","namespace":"ns",)"
         R"("resourceVersion":"7","labels":{)" +
         std::string(labels) + R"(},"annotations":{)" + std::string(annotations) +
         R"(}},"type":")" + std::string(type) + R"(","data":{)" + std::string(data) + "}}";
}

constexpr std::string_view kManaged = R"("app.kubernetes.io/managed-by":"berth-controller")";
constexpr std::string_view kForWeb = R"("berth.dev/serving-cert-service":"web")";

TEST(SecretState, ReadsAndDecodesData) {
  SecretView v = read_secret(parse(
      secret("kubernetes.io/tls", kManaged, kForWeb,
             R"("tls.crt":")" + kube::base64_encode("CERT") + R"(","tls.key":"","bad":"!!")")));
  EXPECT_TRUE(v.exists);
  EXPECT_EQ(v.type, "kubernetes.io/tls");
  EXPECT_TRUE(v.managed);
  EXPECT_EQ(v.service, "web");
  EXPECT_TRUE(v.has_data);
  EXPECT_EQ(v.value("tls.crt"), "CERT");
  EXPECT_EQ(v.value("tls.key"), "");
  EXPECT_EQ(v.value("bad"), "") << "invalid base64 reads as empty";
  EXPECT_EQ(v.value("absent"), "");

  EXPECT_FALSE(read_secret(kube::Object()).exists);
  SecretView untyped = read_secret(parse(R"({"metadata":{"name":"x"}})"));
  EXPECT_EQ(untyped.type, "Opaque");
  EXPECT_FALSE(untyped.has_data);
}

TEST(SecretState, Ownership) {
  EXPECT_EQ(check_ownership(SecretView{}, kTlsSecretType, "web").ownership, Ownership::kAbsent);

  auto check = [](std::string_view text, std::string_view service = "web") {
    return check_ownership(read_secret(parse(text)), kTlsSecretType, service);
  };
  std::string data = R"("tls.crt":")" + kube::base64_encode("CERT") + R"(")";
  EXPECT_EQ(check(secret("kubernetes.io/tls", kManaged, kForWeb, data)).ownership,
            Ownership::kOwned);

  // The empty Secret a deployment ships so that RBAC can name it is taken over.
  EXPECT_EQ(check(secret("kubernetes.io/tls", "", "", R"("tls.crt":"","tls.key":"")")).ownership,
            Ownership::kAdoptable);

  OwnershipCheck unlabelled = check(secret("kubernetes.io/tls", "", "", data));
  EXPECT_EQ(unlabelled.ownership, Ownership::kForeign);
  EXPECT_NE(unlabelled.reason.find("not labelled app.kubernetes.io/managed-by=berth-controller"),
            std::string::npos)
      << unlabelled.reason;

  OwnershipCheck other_type = check(secret("Opaque", kManaged, kForWeb, ""));
  EXPECT_EQ(other_type.ownership, Ownership::kForeign);
  EXPECT_EQ(other_type.reason, "it has type Opaque, not kubernetes.io/tls");

  OwnershipCheck other_service = check(secret("kubernetes.io/tls", kManaged, kForWeb, data), "api");
  EXPECT_EQ(other_service.ownership, Ownership::kForeign);
  EXPECT_EQ(other_service.reason, "berth-controller keeps it for Service web");
  // Even empty: another Service's Secret is not taken over.
  EXPECT_EQ(check(secret("kubernetes.io/tls", kManaged, kForWeb, ""), "api").ownership,
            Ownership::kForeign);
}

TEST(SecretState, SecretNames) {
  EXPECT_EQ(invalid_secret_name("berth-extender-tls"), "");
  EXPECT_EQ(invalid_secret_name("a.b-c.d0"), "");
  EXPECT_NE(invalid_secret_name(""), "");
  EXPECT_NE(invalid_secret_name("Upper"), "");
  EXPECT_NE(invalid_secret_name("-dash"), "");
  EXPECT_NE(invalid_secret_name("dash-"), "");
  EXPECT_NE(invalid_secret_name("a..b"), "");
  EXPECT_NE(invalid_secret_name("a/b"), "");
  EXPECT_EQ(invalid_secret_name(std::string(250, 'a')), "");
  EXPECT_NE(invalid_secret_name(std::string(251, 'a')).find("\"-ca\""), std::string::npos)
      << "no room for the CA Secret's suffix";
}

TEST(SecretState, DocumentToCreate) {
  json::Document doc = secret_document(nullptr, "ns", "web-tls", kTlsSecretType, "web",
                                       "serving-certificate", {{"tls.crt", "CERT"}});
  kube::Object o = kube::Object::from(doc);
  EXPECT_EQ(o.name(), "web-tls");
  EXPECT_EQ(o.namespace_(), "ns");
  EXPECT_EQ(json::get_string(o.json(), "type"), "kubernetes.io/tls");
  EXPECT_EQ(o.label(kManagedByLabel), "berth-controller");
  EXPECT_EQ(o.label(kComponentLabel), "serving-certificate");
  EXPECT_EQ(o.annotation(kServiceAnnotation), "web");
  EXPECT_EQ(read_secret(o).value("tls.crt"), "CERT");
  EXPECT_EQ(o.resource_version(), "");
}

TEST(SecretState, DocumentToUpdateKeepsTheRestOfTheSecret) {
  kube::Object current = parse(secret("kubernetes.io/tls", R"("team":"a")", R"("note":"n")",
                                      R"("tls.crt":"","tls.key":"","extra":"eA==")"));
  json::Document doc = secret_document(&current, "ns", "web-tls", kTlsSecretType, "web",
                                       "serving-certificate", {{"tls.crt", "C"}, {"tls.key", "K"}});
  kube::Object o = kube::Object::from(doc);
  EXPECT_EQ(o.resource_version(), "7") << "the update is conditional on what was read";
  EXPECT_EQ(o.label("team"), "a");
  EXPECT_EQ(o.annotation("note"), "n");
  EXPECT_EQ(o.label(kManagedByLabel), "berth-controller");
  EXPECT_EQ(o.annotation(kServiceAnnotation), "web");
  SecretView v = read_secret(o);
  EXPECT_EQ(v.value("tls.crt"), "C");
  EXPECT_EQ(v.value("tls.key"), "K");
  EXPECT_EQ(v.value("extra"), "x");
}

}  // namespace
}  // namespace berth::servingcert
