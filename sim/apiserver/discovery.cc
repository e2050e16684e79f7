#include "sim/apiserver/discovery.h"

#include <algorithm>

#include "kube/core/json.h"

namespace berth::sim::discovery {

namespace json = kube::json;
using json::Value;

namespace {

Value strings(const std::vector<std::string>& list, json::Allocator& a) {
  Value out(rapidjson::kArrayType);
  for (const auto& s : list)
    out.PushBack(json::make_string(s, a), a);
  return out;
}

Value group_version(std::string_view group, std::string_view version, json::Allocator& a) {
  Value v(rapidjson::kObjectType);
  std::string gv =
      group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  json::set_string(v, "groupVersion", gv, a);
  json::set_string(v, "version", version, a);
  return v;
}

Value group_object(const GroupInfo& g, bool with_type, json::Allocator& a) {
  Value out(rapidjson::kObjectType);
  if (with_type) {
    json::set_string(out, "kind", "APIGroup", a);
    json::set_string(out, "apiVersion", "v1", a);
  }
  json::set_string(out, "name", g.name, a);
  Value versions(rapidjson::kArrayType);
  for (const auto& v : g.versions)
    versions.PushBack(group_version(g.name, v, a), a);
  json::set(out, "versions", std::move(versions), a);
  if (!g.versions.empty())
    json::set(out, "preferredVersion", group_version(g.name, g.versions.front(), a), a);
  return out;
}

std::string finish(const Value& doc) {
  std::string out = json::dump(doc);
  out.push_back('\n');
  return out;
}

}  // namespace

std::string version() {
  return "{\n"
         "  \"major\": \"1\",\n"
         "  \"minor\": \"26\",\n"
         "  \"gitVersion\": \"" +
         std::string(kGitVersion) +
         "\",\n"
         "  \"gitCommit\": \"8f94681cd294aa8cfd3407b8191f6c70214973a4\",\n"
         "  \"gitTreeState\": \"clean\",\n"
         "  \"buildDate\": \"2023-01-18T15:51:25Z\",\n"
         "  \"goVersion\": \"go1.19.5\",\n"
         "  \"compiler\": \"gc\",\n"
         "  \"platform\": \"linux/amd64\"\n"
         "}";
}

std::string api_versions(std::string_view server_address) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "kind", "APIVersions", a);
  json::set(doc, "versions", strings({"v1"}, a), a);
  Value cidrs(rapidjson::kArrayType);
  Value c(rapidjson::kObjectType);
  json::set_string(c, "clientCIDR", "0.0.0.0/0", a);
  json::set_string(c, "serverAddress", server_address, a);
  cidrs.PushBack(std::move(c), a);
  json::set(doc, "serverAddressByClientCIDRs", std::move(cidrs), a);
  return finish(doc);
}

std::string api_group_list(const Registry& registry) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "kind", "APIGroupList", a);
  json::set_string(doc, "apiVersion", "v1", a);
  Value groups(rapidjson::kArrayType);
  for (const auto& g : registry.groups())
    groups.PushBack(group_object(g, false, a), a);
  json::set(doc, "groups", std::move(groups), a);
  return finish(doc);
}

std::string api_group(const Registry& registry, std::string_view group) {
  for (const auto& g : registry.groups()) {
    if (g.name != group) continue;
    json::Document doc(rapidjson::kObjectType);
    Value obj = group_object(g, true, doc.GetAllocator());
    return finish(obj);
  }
  return {};
}

std::string resource_list(const Registry& registry, std::string_view group,
                          std::string_view version) {
  auto resources = registry.resources(group, version);
  if (resources.empty()) return {};
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "kind", "APIResourceList", a);
  // The core list is the one document of its kind without apiVersion.
  if (!group.empty()) json::set_string(doc, "apiVersion", "v1", a);
  json::set_string(
      doc, "groupVersion",
      group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version), a);
  struct Entry {
    std::string name;
    Value value;
  };
  std::vector<Entry> entries;
  bool custom = false;
  for (const auto& r : resources) {
    custom = custom || r->custom;
    Value e(rapidjson::kObjectType);
    json::set_string(e, "name", r->plural, a);
    json::set_string(e, "singularName", r->singular, a);
    json::set(e, "namespaced", Value(r->namespaced), a);
    json::set_string(e, "kind", r->kind, a);
    json::set(e, "verbs", strings(r->verbs, a), a);
    if (!r->short_names.empty()) json::set(e, "shortNames", strings(r->short_names, a), a);
    if (!r->categories.empty()) json::set(e, "categories", strings(r->categories, a), a);
    if (!r->storage_version_hash.empty()) {
      json::set_string(e, "storageVersionHash", r->storage_version_hash, a);
    }
    entries.push_back({r->plural, std::move(e)});
    for (const auto& s : r->subresources) {
      Value se(rapidjson::kObjectType);
      json::set_string(se, "name", r->plural + "/" + s.name, a);
      json::set_string(se, "singularName", "", a);
      json::set(se, "namespaced", Value(r->namespaced), a);
      if (!s.group.empty()) json::set_string(se, "group", s.group, a);
      if (!s.version.empty()) json::set_string(se, "version", s.version, a);
      json::set_string(se, "kind", s.kind, a);
      json::set(se, "verbs", strings(s.verbs, a), a);
      entries.push_back({r->plural + "/" + s.name, std::move(se)});
    }
  }
  if (!custom) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& x, const Entry& y) { return x.name < y.name; });
  }
  Value list(rapidjson::kArrayType);
  for (auto& e : entries)
    list.PushBack(std::move(e.value), a);
  json::set(doc, "resources", std::move(list), a);
  return finish(doc);
}

}  // namespace berth::sim::discovery
