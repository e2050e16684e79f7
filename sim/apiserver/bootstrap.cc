#include "sim/apiserver/bootstrap.h"

namespace berth::sim {

namespace json = kube::json;

namespace {

ApiStatus create(ObjectApi& api, std::string_view group, std::string_view plural,
                 std::string_view namespace_, const std::string& body, const std::string& manager) {
  ResourcePtr r = api.registry().find(group, "v1", plural);
  auto doc = json::parse(body);
  if (!doc.ok()) return ApiError(doc.error());
  WriteOptions options;
  options.field_manager = manager;
  options.user.username = "system:apiserver";
  auto created = api.create(r, namespace_, std::move(doc).value(), options);
  if (!created.ok() && created.error().code != 409) return created.error();
  return {};
}

}  // namespace

ApiStatus bootstrap_cluster(ObjectApi& api, int apiserver_port) {
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    KUBE_RETURN_IF_ERROR(create(api, "", "namespaces", "",
                                std::string(R"({"metadata":{"name":")") + ns + "\"}}",
                                "kube-apiserver"));
  }
  KUBE_RETURN_IF_ERROR(create(
      api, "scheduling.k8s.io", "priorityclasses", "",
      R"({"metadata":{"name":"system-node-critical"},"value":2000001000,)"
      R"("description":"Used for system critical pods that must not be moved from their current node."})",
      "kube-apiserver"));
  KUBE_RETURN_IF_ERROR(create(
      api, "scheduling.k8s.io", "priorityclasses", "",
      R"({"metadata":{"name":"system-cluster-critical"},"value":2000000000,)"
      R"("description":"Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."})",
      "kube-apiserver"));
  KUBE_RETURN_IF_ERROR(create(
      api, "", "services", "default",
      R"({"metadata":{"name":"kubernetes","labels":{"component":"apiserver","provider":"kubernetes"}},)"
      R"("spec":{"clusterIP":"10.0.0.1","ports":[{"name":"https","port":443,"targetPort":)" +
          std::to_string(apiserver_port) + "}]}}",
      "kube-apiserver"));
  return {};
}

}  // namespace berth::sim
