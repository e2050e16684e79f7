#include "kube/api/resource.h"

namespace kube {

std::string ResourceType::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

std::string ResourceType::group_version_path() const {
  return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

std::string ResourceType::path(std::string_view namespace_, std::string_view name,
                               std::string_view subresource) const {
  std::string p = group_version_path();
  if (namespaced && !namespace_.empty()) p.append("/namespaces/").append(namespace_);
  p.append("/").append(plural);
  if (!name.empty()) {
    p.append("/").append(name);
    if (!subresource.empty()) p.append("/").append(subresource);
  }
  return p;
}

}  // namespace kube
