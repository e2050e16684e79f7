// Small object builders for the cache tests.
#pragma once

#include <string>
#include <string_view>

#include "kube/api/object.h"

namespace berth::testing {

// A pod with the given namespace, name, resourceVersion, node (omitted when empty) and label
// app=<app> (omitted when empty).
inline kube::Object pod(std::string_view ns, std::string_view name, std::string_view rv,
                        std::string_view node = "", std::string_view app = "",
                        std::string_view owner_uid = "") {
  std::string json = R"({"apiVersion":"v1","kind":"Pod","metadata":{"namespace":")" +
                     std::string(ns) + R"(","name":")" + std::string(name) +
                     R"(","resourceVersion":")" + std::string(rv) + R"(","uid":"uid-)" +
                     std::string(name) + "\"";
  if (!app.empty()) json += R"(,"labels":{"app":")" + std::string(app) + "\"}";
  if (!owner_uid.empty()) {
    json +=
        R"(,"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":")" +
        std::string(owner_uid) + R"(","controller":true}])";
  }
  json += "},\"spec\":{";
  if (!node.empty()) json += R"("nodeName":")" + std::string(node) + "\"";
  json += "}}";
  return kube::Object::parse(json).value();
}

}  // namespace berth::testing
