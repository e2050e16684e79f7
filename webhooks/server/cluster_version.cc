#include "webhooks/server/cluster_version.h"

#include <string>

#include "kube/core/strings.h"

namespace berth::webhooks {

namespace {

// Leading decimal digits of `s` ("29+" -> 29).
std::optional<int> leading_number(std::string_view s) {
  std::size_t n = 0;
  while (n < s.size() && n < 6 && s[n] >= '0' && s[n] <= '9')
    ++n;
  if (n == 0) return std::nullopt;
  auto v = kube::parse_int(s.substr(0, n));
  return v ? std::optional<int>(static_cast<int>(*v)) : std::nullopt;
}

}  // namespace

std::optional<std::pair<int, int>> cluster_version(const kube::json::Value& version) {
  auto major = leading_number(kube::json::get_string(version, "major"));
  auto minor = leading_number(kube::json::get_string(version, "minor"));
  if (major && minor) return std::make_pair(*major, *minor);
  std::string_view git = kube::json::get_string(version, "gitVersion");
  if (git.starts_with('v')) git.remove_prefix(1);
  auto dot = git.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  major = leading_number(git.substr(0, dot));
  minor = leading_number(git.substr(dot + 1));
  if (major && minor) return std::make_pair(*major, *minor);
  return std::nullopt;
}

bool native_sidecars_supported(std::pair<int, int> version) {
  return version.first > 1 || (version.first == 1 && version.second >= 29);
}

}  // namespace berth::webhooks
