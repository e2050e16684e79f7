#include "sim/apiserver/openapi.h"

#include <cstdio>

#include "kube/core/json.h"
#include "kube/core/strings.h"
#include "sim/apiserver/api_error.h"

namespace berth::sim::openapi {

namespace json = kube::json;
namespace http = kube::http;
using json::Value;

namespace {

constexpr std::string_view kPrefix = "/openapi/v3";

std::string gv_path(std::string_view group, std::string_view version) {
  return group.empty() ? "api/" + std::string(version)
                       : "apis/" + std::string(group) + "/" + std::string(version);
}

Value query_param(std::string_view name, std::string_view type, json::Allocator& a) {
  Value p(rapidjson::kObjectType);
  json::set_string(p, "name", name, a);
  json::set_string(p, "in", "query", a);
  Value schema(rapidjson::kObjectType);
  json::set_string(schema, "type", type, a);
  json::set(p, "schema", std::move(schema), a);
  return p;
}

Value gvk(std::string_view group, std::string_view version, std::string_view kind,
          json::Allocator& a) {
  Value v(rapidjson::kObjectType);
  json::set_string(v, "group", group, a);
  json::set_string(v, "version", version, a);
  json::set_string(v, "kind", kind, a);
  return v;
}

// One operation: its action and kind, and the query parameters kubectl probes for.
Value operation(std::string_view action, const Value& kind, bool write, json::Allocator& a) {
  Value op(rapidjson::kObjectType);
  json::set_string(op, "x-kubernetes-action", action, a);
  json::set(op, "x-kubernetes-group-version-kind", Value(kind, a), a);
  Value params(rapidjson::kArrayType);
  params.PushBack(query_param("pretty", "string", a), a);
  if (write) {
    params.PushBack(query_param("dryRun", "string", a), a);
    params.PushBack(query_param("fieldManager", "string", a), a);
    params.PushBack(query_param("fieldValidation", "string", a), a);
  }
  if (action == "patch") params.PushBack(query_param("force", "boolean", a), a);
  json::set(op, "parameters", std::move(params), a);
  Value responses(rapidjson::kObjectType);
  Value ok(rapidjson::kObjectType);
  json::set_string(ok, "description", "OK", a);
  json::set(responses, "200", std::move(ok), a);
  json::set(op, "responses", std::move(responses), a);
  return op;
}

void add_path(Value& paths, const std::string& path, Value item, json::Allocator& a) {
  paths.AddMember(json::make_string(path, a), std::move(item), a);
}

std::string hash_of(std::string_view document) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llX", kube::fnv1a64(document));
  return buf;
}

std::string finish(const Value& doc) {
  std::string out = json::dump(doc);
  out.push_back('\n');
  return out;
}

}  // namespace

std::string group_version(const Registry& registry, std::string_view path) {
  std::string_view group;
  std::string_view version;
  if (path.substr(0, 4) == "api/") {
    version = path.substr(4);
  } else if (path.substr(0, 5) == "apis/") {
    auto rest = path.substr(5);
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) return {};
    group = rest.substr(0, slash);
    version = rest.substr(slash + 1);
    if (group.empty()) return {};
  } else {
    return {};
  }
  if (version.empty() || version.find('/') != std::string_view::npos) return {};
  auto resources = registry.resources(group, version);
  if (resources.empty()) return {};

  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "openapi", "3.0.0", a);
  Value info(rapidjson::kObjectType);
  json::set_string(info, "title", "Kubernetes", a);
  json::set_string(info, "version", "v1.26.1", a);
  json::set(doc, "info", std::move(info), a);
  Value paths(rapidjson::kObjectType);
  std::string base = "/" + gv_path(group, version);
  for (const auto& r : resources) {
    if (r->kind.empty()) continue;
    Value kind = gvk(group, version, r->kind, a);
    auto has = [&](std::string_view verb) {
      for (const auto& v : r->verbs) {
        if (v == verb) return true;
      }
      return false;
    };
    std::string collection = base + (r->namespaced ? "/namespaces/{namespace}/" : "/") + r->plural;
    Value list_item(rapidjson::kObjectType);
    if (has("list")) json::set(list_item, "get", operation("list", kind, false, a), a);
    if (has("create")) json::set(list_item, "post", operation("post", kind, true, a), a);
    if (has("deletecollection")) {
      json::set(list_item, "delete", operation("deletecollection", kind, false, a), a);
    }
    if (list_item.MemberCount() > 0) add_path(paths, collection, std::move(list_item), a);

    Value item(rapidjson::kObjectType);
    if (has("get")) json::set(item, "get", operation("get", kind, false, a), a);
    if (has("update")) json::set(item, "put", operation("put", kind, true, a), a);
    if (has("patch")) json::set(item, "patch", operation("patch", kind, true, a), a);
    if (has("delete")) json::set(item, "delete", operation("delete", kind, false, a), a);
    if (item.MemberCount() > 0) add_path(paths, collection + "/{name}", std::move(item), a);

    // Subresources carry their own kind (Scale) or the parent's (status); every PATCH lists
    // fieldValidation, since kubectl stops at the first PATCH of a kind it finds.
    for (const auto& s : r->subresources) {
      Value sub_kind =
          s.kind == r->kind || s.kind.empty()
              ? Value(kind, a)
              : gvk(s.group.empty() ? group : std::string_view(s.group),
                    s.version.empty() ? version : std::string_view(s.version), s.kind, a);
      Value sub(rapidjson::kObjectType);
      for (const auto& verb : s.verbs) {
        if (verb == "get") json::set(sub, "get", operation("get", sub_kind, false, a), a);
        if (verb == "update") json::set(sub, "put", operation("put", sub_kind, true, a), a);
        if (verb == "patch") json::set(sub, "patch", operation("patch", sub_kind, true, a), a);
        if (verb == "create") json::set(sub, "post", operation("post", sub_kind, true, a), a);
      }
      if (sub.MemberCount() > 0) {
        add_path(paths, collection + "/{name}/" + s.name, std::move(sub), a);
      }
    }
  }
  json::set(doc, "paths", std::move(paths), a);
  Value components(rapidjson::kObjectType);
  json::set(components, "schemas", Value(rapidjson::kObjectType), a);
  json::set(doc, "components", std::move(components), a);
  return finish(doc);
}

std::string root(const Registry& registry) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  Value paths(rapidjson::kObjectType);
  auto add = [&](std::string_view group, std::string_view version) {
    std::string path = gv_path(group, version);
    std::string body = group_version(registry, path);
    if (body.empty()) return;
    Value entry(rapidjson::kObjectType);
    json::set_string(entry, "serverRelativeURL",
                     std::string(kPrefix) + "/" + path + "?hash=" + hash_of(body), a);
    paths.AddMember(json::make_string(path, a), std::move(entry), a);
  };
  for (const auto& v : registry.versions(""))
    add("", v);
  for (const auto& g : registry.groups()) {
    for (const auto& v : g.versions)
      add(g.name, v);
  }
  json::set(doc, "paths", std::move(paths), a);
  return finish(doc);
}

http::Handler handler(const Registry& registry) {
  return [&registry](http::Request&& request, http::Responder responder) {
    auto fail = [&](const ApiError& e) {
      responder.send(http::Response::json(e.code, e.to_json()));
    };
    if (request.method != "GET" && request.method != "HEAD") {
      fail(errors::method_not_allowed());
      return;
    }
    std::string_view path = request.path();
    std::string body;
    if (path == kPrefix || path == std::string(kPrefix) + "/") {
      body = root(registry);
    } else if (path.substr(0, kPrefix.size() + 1) == std::string(kPrefix) + "/") {
      body = group_version(registry, path.substr(kPrefix.size() + 1));
    }
    if (body.empty()) {
      fail(ApiError(404, "NotFound", "the server could not find the requested resource"));
      return;
    }
    http::Response response;
    response.content_type = "text/plain; charset=utf-8";
    std::string hash = request.query_param("hash");
    if (!hash.empty() && hash == hash_of(body)) {
      response.headers.set("Cache-Control", "public, immutable");
      response.headers.set("Etag", "\"" + hash + "\"");
    } else {
      response.headers.set("Cache-Control", "no-cache, private");
    }
    response.body = std::move(body);
    responder.send(std::move(response));
  };
}

}  // namespace berth::sim::openapi
