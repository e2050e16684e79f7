#include "sim/apiserver/protobuf.h"

#include <gtest/gtest.h>

#include "kube/core/strings.h"
#include "tests/support/fixtures.h"

namespace berth::sim {
namespace {

namespace json = kube::json;

// Protobuf encoding helpers for building request bodies by hand.
std::string varint(std::uint64_t v) {
  std::string out;
  do {
    unsigned char b = v & 0x7f;
    v >>= 7;
    if (v != 0) b |= 0x80;
    out.push_back(static_cast<char>(b));
  } while (v != 0);
  return out;
}
std::string field(int number, const std::string& bytes) {
  return varint(static_cast<std::uint64_t>(number) << 3 | 2) + varint(bytes.size()) + bytes;
}
std::string entry(const std::string& k, const std::string& v) {
  return field(1, k) + field(2, v);
}
std::string envelope(const std::string& kind, const std::string& raw) {
  return std::string("k8s\0", 4) + field(1, field(1, "v1") + field(2, kind)) + field(2, raw) +
         field(3, "") + field(4, "");
}

TEST(Protobuf, SecretWithBytesAndStringData) {
  std::string meta = field(1, "s1") + field(3, "ns") + field(11, entry("app", "web"));
  std::string raw = field(1, meta) + field(2, entry("password", std::string("\x00\x01", 2))) +
                    field(3, "Opaque") + field(4, entry("user", "admin"));
  auto doc = decode_protobuf(envelope("Secret", raw));
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(
      json::dump(*doc),
      R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s1","namespace":"ns","labels":{"app":"web"}},)"
      R"("data":{"password":"AAE="},"type":"Opaque","stringData":{"user":"admin"}})");
}

TEST(Protobuf, UnknownKindsAndGarbage) {
  auto pod = decode_protobuf(envelope("Pod", field(1, field(1, "p"))));
  ASSERT_FALSE(pod.ok());
  EXPECT_EQ(pod.error().code, 415);
  EXPECT_EQ(decode_protobuf("not protobuf").error().code, 400);
  EXPECT_EQ(decode_protobuf(std::string("k8s\0\x0a\xff", 6)).error().code, 400);
  EXPECT_FALSE(protobuf_decodable("Deployment"));
  EXPECT_TRUE(protobuf_decodable("ConfigMap"));
}

// What kubectl 1.32 sent for `kubectl create configmap kc-cm --from-literal=a=1`, read from the
// hex dump in its -v=9 log.
TEST(Protobuf, KubectlCreateConfigMapBody) {
  BERTH_REQUIRE_FIXTURES();
  auto log = berth::testing::read_fixture("kubectl/14-create-configmap-imperative.log");
  ASSERT_TRUE(log);
  auto start = log->find("\"Request Body\" body=<");
  ASSERT_NE(start, std::string::npos);
  auto end = log->find(" >", start);
  std::string bytes;
  for (auto line : kube::split(std::string_view(*log).substr(start, end - start), '\n')) {
    // "\t00000000  6b 38 73 00 ...  |k8s.....|": hex pairs between the offset and the '|'.
    auto bar = line.find('|');
    if (line.size() < 12 || bar == std::string_view::npos) continue;
    for (auto tok : kube::split(line.substr(11, bar - 11), ' ')) {
      if (tok.size() == 2)
        bytes.push_back(static_cast<char>(std::stoi(std::string(tok), nullptr, 16)));
    }
  }
  auto doc = decode_protobuf(bytes);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(
      json::dump(*doc),
      R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"kc-cm","namespace":"fx-kubectl"},"data":{"a":"1"}})");
}

}  // namespace
}  // namespace berth::sim
