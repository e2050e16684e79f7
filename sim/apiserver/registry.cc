#include "sim/apiserver/registry.h"

#include <openssl/sha.h>

#include <algorithm>

#include "kube/core/strings.h"

namespace berth::sim {

std::string ResourceInfo::api_version() const {
  return group.empty() ? version : group + "/" + version;
}

bool ResourceInfo::allows(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

const SubresourceInfo* ResourceInfo::subresource(std::string_view name) const {
  for (const auto& s : subresources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string storage_version_hash(std::string_view group, std::string_view version,
                                 std::string_view kind) {
  std::string text = std::string(group) + "/" + std::string(version) + "/" + std::string(kind);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return kube::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), 8));
}

void Registry::add(ResourceInfo info) {
  if (info.storage_table.empty()) info.storage_table = info.group + "/" + info.plural;
  auto ptr = std::make_shared<const ResourceInfo>(std::move(info));
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& r : resources_) {
    if (r->group == ptr->group && r->version == ptr->version && r->plural == ptr->plural) {
      r = ptr;
      ++generation_;
      return;
    }
  }
  resources_.push_back(std::move(ptr));
  ++generation_;
}

void Registry::remove(std::string_view group, std::string_view plural) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::remove_if(resources_.begin(), resources_.end(), [&](const ResourcePtr& r) {
    return r->group == group && r->plural == plural;
  });
  if (it != resources_.end()) {
    resources_.erase(it, resources_.end());
    ++generation_;
  }
}

ResourcePtr Registry::find(std::string_view group, std::string_view version,
                           std::string_view plural) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& r : resources_) {
    if (r->group == group && r->version == version && r->plural == plural) return r;
  }
  return nullptr;
}

ResourcePtr Registry::find_kind(std::string_view group, std::string_view version,
                                std::string_view kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& r : resources_) {
    if (r->group == group && r->version == version && r->kind == kind && !r->virtual_only) {
      return r;
    }
  }
  return nullptr;
}

std::vector<ResourcePtr> Registry::all() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resources_;
}

std::vector<ResourcePtr> Registry::resources(std::string_view group,
                                             std::string_view version) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ResourcePtr> out;
  for (const auto& r : resources_) {
    if (r->group == group && r->version == version) out.push_back(r);
  }
  return out;
}

bool Registry::serves(std::string_view group, std::string_view version) const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::any_of(resources_.begin(), resources_.end(), [&](const ResourcePtr& r) {
    return r->group == group && r->version == version;
  });
}

bool Registry::serves_group(std::string_view group) const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::any_of(resources_.begin(), resources_.end(),
                     [&](const ResourcePtr& r) { return r->group == group; });
}

std::vector<std::string> Registry::versions(std::string_view group) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& r : resources_) {
    if (r->group == group && std::find(out.begin(), out.end(), r->version) == out.end()) {
      out.push_back(r->version);
    }
  }
  for (const auto& [g, v] : preferred_) {
    if (g != group) continue;
    auto it = std::find(out.begin(), out.end(), v);
    if (it != out.end()) std::rotate(out.begin(), it, it + 1);
  }
  return out;
}

std::vector<GroupInfo> Registry::groups() const {
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& r : resources_) {
      if (!r->group.empty() && std::find(names.begin(), names.end(), r->group) == names.end()) {
        names.push_back(r->group);
      }
    }
    auto rank = [this](const std::string& g) {
      auto it = std::find(group_order_.begin(), group_order_.end(), g);
      return static_cast<std::size_t>(it - group_order_.begin());
    };
    std::stable_sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
      std::size_t ra = rank(a);
      std::size_t rb = rank(b);
      if (ra != rb) return ra < rb;
      return a < b;
    });
  }
  std::vector<GroupInfo> out;
  out.reserve(names.size());
  for (auto& n : names) {
    GroupInfo g{n, versions(n)};
    out.push_back(std::move(g));
  }
  return out;
}

void Registry::set_group_order(std::vector<std::string> order) {
  std::lock_guard<std::mutex> lock(mu_);
  group_order_ = std::move(order);
  ++generation_;
}

void Registry::set_preferred_version(std::string group, std::string version) {
  std::lock_guard<std::mutex> lock(mu_);
  preferred_.emplace_back(std::move(group), std::move(version));
  ++generation_;
}

std::uint64_t Registry::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

}  // namespace berth::sim
