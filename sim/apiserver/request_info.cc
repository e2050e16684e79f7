#include "sim/apiserver/request_info.h"

#include <vector>

#include "kube/core/strings.h"

namespace berth::sim {

RequestInfo parse_request_path(std::string_view path) {
  RequestInfo info;
  std::vector<std::string> parts;
  for (std::string_view p : kube::split(path, '/')) {
    if (p.empty()) continue;
    auto decoded = kube::url_decode(p);
    parts.emplace_back(decoded ? *decoded : std::string(p));
  }
  if (parts.empty()) return info;
  std::size_t i = 0;
  if (parts[0] == "api") {
    if (parts.size() == 1) {
      info.target = RequestInfo::Target::kApiVersions;
      return info;
    }
    info.version = parts[1];
    i = 2;
  } else if (parts[0] == "apis") {
    if (parts.size() == 1) {
      info.target = RequestInfo::Target::kApiGroupList;
      return info;
    }
    info.group = parts[1];
    if (parts.size() == 2) {
      info.target = RequestInfo::Target::kApiGroup;
      return info;
    }
    info.version = parts[2];
    i = 3;
  } else {
    return info;
  }
  if (i == parts.size()) {
    info.target = RequestInfo::Target::kResourceList;
    return info;
  }
  info.target = RequestInfo::Target::kResource;
  if (parts[i] == "watch") {
    info.watch_path = true;
    ++i;
    if (i == parts.size()) {
      info.malformed = true;
      return info;
    }
  }
  std::vector<std::string> rest(parts.begin() + static_cast<std::ptrdiff_t>(i), parts.end());
  // /namespaces/<ns>/<resource>[/<name>[/<sub>]] unless it is the namespace itself.
  if (rest.size() >= 3 && rest[0] == "namespaces" && rest[2] != "status" && rest[2] != "finalize") {
    info.namespace_ = rest[1];
    rest.erase(rest.begin(), rest.begin() + 2);
  }
  if (rest.size() > 3) {
    info.malformed = true;
    return info;
  }
  info.resource = rest[0];
  if (rest.size() > 1) info.name = rest[1];
  if (rest.size() > 2) info.subresource = rest[2];
  return info;
}

}  // namespace berth::sim
