#include "sim/apiserver/handlers.h"

#include <algorithm>

#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/core/yaml.h"
#include "kube/patch/apply.h"
#include "sim/apiserver/continue_token.h"
#include "sim/apiserver/discovery.h"
#include "sim/apiserver/protobuf.h"

namespace berth::sim {

namespace json = kube::json;
namespace http = kube::http;
using json::Value;

namespace {

constexpr std::string_view kNotFoundPage = "404 page not found\n";
constexpr std::string_view kBodyFormats =
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json, application/yaml, application/vnd.kubernetes.protobuf";
constexpr std::string_view kReadyzChecks[] = {
    "ping",
    "log",
    "etcd",
    "etcd-readiness",
    "informer-sync",
    "poststarthook/start-kube-apiserver-admission-initializer",
    "poststarthook/generic-apiserver-start-informers",
    "poststarthook/start-apiextensions-informers",
    "poststarthook/start-apiextensions-controllers",
    "poststarthook/crd-informer-synced",
    "poststarthook/bootstrap-controller",
    "poststarthook/scheduling/bootstrap-system-priority-classes",
    "shutdown"};

std::string media_type(std::string_view content_type) {
  std::string_view t = kube::trim(content_type.substr(0, content_type.find(';')));
  std::string out(t);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string warning_header(std::string_view text) {
  std::string out = "299 - \"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string go_json_error(const kube::Error& e, std::string_view text) {
  // kube::json::parse reports "invalid JSON at offset N: ..."; Go names the byte at N.
  auto at = e.message.find("offset ");
  if (at != std::string::npos) {
    auto end = e.message.find(':', at);
    auto offset = kube::parse_int(std::string_view(e.message).substr(at + 7, end - at - 7));
    if (offset && static_cast<std::size_t>(*offset) < text.size()) {
      return "invalid character " +
             go_quote_char(static_cast<unsigned char>(text[static_cast<std::size_t>(*offset)])) +
             " looking for beginning of value";
    }
    return "unexpected end of JSON input";
  }
  return e.message;
}

std::string excerpt(std::string_view body) {
  if (body.size() <= 30) return std::string(body);
  return std::string(body.substr(0, 30)) + " ...";
}

bool truthy(std::string_view v) {
  return v == "true" || v == "1" || v == "True" || v == "TRUE";
}

ApiResult<std::int64_t> parse_int_param(std::string_view text) {
  auto v = kube::parse_int(text);
  if (!v) {
    return errors::bad_request("strconv.ParseInt: parsing " + go_quote(text) + ": invalid syntax");
  }
  return static_cast<std::int64_t>(*v);
}

ApiResult<ListRequest> list_request(const http::Request& r) {
  ListRequest req;
  if (r.has_query_param("labelSelector")) {
    KUBE_ASSIGN_OR_RETURN(req.labels, kube::LabelSelector::parse(r.query_param("labelSelector")));
  }
  if (r.has_query_param("fieldSelector")) {
    KUBE_ASSIGN_OR_RETURN(req.fields, kube::FieldSelector::parse(r.query_param("fieldSelector")));
  }
  if (r.has_query_param("limit")) {
    KUBE_ASSIGN_OR_RETURN(req.limit, parse_int_param(r.query_param("limit")));
  }
  if (r.has_query_param("timeoutSeconds")) {
    KUBE_ASSIGN_OR_RETURN(std::int64_t t, parse_int_param(r.query_param("timeoutSeconds")));
    req.timeout_seconds = t;
  }
  req.continue_token = r.query_param("continue");
  if (r.has_query_param("resourceVersion")) req.resource_version = r.query_param("resourceVersion");
  req.resource_version_match = r.query_param("resourceVersionMatch");
  req.allow_bookmarks = truthy(r.query_param("allowWatchBookmarks"));
  return req;
}

UserInfo user_of(const http::Request& r) {
  UserInfo u;
  std::string_view impersonate = r.headers.get("Impersonate-User");
  if (!impersonate.empty()) {
    u.username = std::string(impersonate);
    u.groups = {"system:authenticated"};
  }
  return u;
}

http::Response json_response(int status, std::string body) {
  http::Response resp = http::Response::json(status, std::move(body));
  resp.content_type = "application/json";
  return resp;
}

std::string success_status(int code) {
  return "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Success\","
         "\"code\":" +
         std::to_string(code) + "}\n";
}

std::string deleted_status(const ResourceInfo& r, const kube::Object& o) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::set_string(doc, "kind", "Status", a);
  json::set_string(doc, "apiVersion", "v1", a);
  json::ensure_object(doc, "metadata", a);
  json::set_string(doc, "status", "Success", a);
  Value& d = json::ensure_object(doc, "details", a);
  json::set_string(d, "name", o.name(), a);
  if (!r.group.empty()) json::set_string(d, "group", r.group, a);
  json::set_string(d, "kind", r.plural, a);
  json::set_string(d, "uid", o.uid(), a);
  std::string out = json::dump(doc);
  out.push_back('\n');
  return out;
}

// A review API answered for the one all-powerful user berth-sim knows.
std::string review_response(const ResourceInfo& r, json::Document body, const UserInfo& user) {
  auto& a = body.GetAllocator();
  if (!body.IsObject()) body.SetObject();
  json::set_string(body, "kind", r.kind, a);
  json::set_string(body, "apiVersion", r.api_version(), a);
  Value& meta = json::ensure_object(body, "metadata", a);
  if (json::find(meta, "creationTimestamp") == nullptr) {
    json::set(meta, "creationTimestamp", Value(rapidjson::kNullType), a);
  }
  Value status(rapidjson::kObjectType);
  if (r.kind == "TokenReview") {
    json::set(status, "authenticated", Value(true), a);
    Value u(rapidjson::kObjectType);
    json::set_string(u, "username", user.username, a);
    Value groups(rapidjson::kArrayType);
    for (const auto& g : user.groups)
      groups.PushBack(json::make_string(g, a), a);
    json::set(u, "groups", std::move(groups), a);
    json::set(status, "user", std::move(u), a);
  } else if (r.kind == "SelfSubjectRulesReview") {
    auto rules = json::parse(
        R"({"resourceRules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}],)"
        R"("nonResourceRules":[{"verbs":["*"],"nonResourceURLs":["*"]}],"incomplete":false})");
    status.CopyFrom(*rules, a);
  } else {
    json::set(status, "allowed", Value(true), a);
  }
  json::set(body, "status", std::move(status), a);
  std::string out = json::dump(body);
  out.push_back('\n');
  return out;
}

}  // namespace

struct Handlers::Call {
  http::Request request;
  http::Responder responder;
  RequestInfo info;
  ResourcePtr resource;
  const SubresourceInfo* sub = nullptr;
};

Handlers::Handlers(ObjectApi& api, TaskQueue& delayed, HandlerOptions options)
    : api_(api),
      delayed_(delayed),
      options_(std::move(options)),
      flow_schema_uid_(new_uid()),
      priority_level_uid_(new_uid()) {
  representations_.push_back(partial_object_metadata_representation());
}

void Handlers::add_route(std::string prefix, http::Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_.emplace_back(std::move(prefix), std::move(handler));
}

void Handlers::add_representation(std::shared_ptr<Representation> representation) {
  std::lock_guard<std::mutex> lock(mu_);
  representations_.insert(representations_.begin(), std::move(representation));
}

void Handlers::set_server_address(std::string address) {
  std::lock_guard<std::mutex> lock(mu_);
  options_.server_address = std::move(address);
}

http::Response Handlers::status_response(const ApiError& error) {
  http::Response resp = json_response(error.code, error.to_json());
  if (error.retry_after_header > 0) {
    resp.headers.add("Retry-After", std::to_string(error.retry_after_header));
  }
  return resp;
}

void Handlers::reply(Call& call, int status, std::string body,
                     const std::vector<std::string>& warnings) {
  http::Response resp = json_response(status, std::move(body));
  resp.headers.add("Audit-Id", new_uid());
  resp.headers.add("Cache-Control", "no-cache, private");
  for (const auto& w : warnings)
    resp.headers.add("Warning", warning_header(w));
  resp.headers.add("X-Kubernetes-Pf-Flowschema-Uid", flow_schema_uid_);
  resp.headers.add("X-Kubernetes-Pf-Prioritylevel-Uid", priority_level_uid_);
  call.responder.send(std::move(resp));
}

void Handlers::fail(Call& call, const ApiError& error) {
  http::Response resp = status_response(error);
  resp.headers.add("Audit-Id", new_uid());
  resp.headers.add("Cache-Control", "no-cache, private");
  for (const auto& w : error.warnings)
    resp.headers.add("Warning", warning_header(w));
  resp.headers.add("X-Kubernetes-Pf-Flowschema-Uid", flow_schema_uid_);
  resp.headers.add("X-Kubernetes-Pf-Prioritylevel-Uid", priority_level_uid_);
  call.responder.send(std::move(resp));
}

void Handlers::serve(http::Request&& request, http::Responder responder) {
  std::string path(request.path());
  {
    std::unique_lock<std::mutex> lock(mu_);
    for (const auto& [prefix, handler] : routes_) {
      if (path.starts_with(prefix)) {
        auto h = handler;
        lock.unlock();
        h(std::move(request), std::move(responder));
        return;
      }
    }
  }
  auto call =
      std::make_shared<Call>(Call{std::move(request), std::move(responder), {}, {}, nullptr});
  if (path == "/version" || path == "/version/") {
    bool json_ok = false;
    for (const auto& m : parse_accept(call->request.headers.get("Accept"))) {
      json_ok =
          json_ok || m.type == "application/json" || m.type == "*/*" || m.type == "application/*";
    }
    if (!json_ok && call->request.headers.has("Accept")) {
      http::Response resp = http::Response::text(
          406,
          "apiVersion: v1\ncode: 406\ndetails: {}\nkind: Status\nmessage: |-\n  406: Not "
          "Acceptable\n\n  Available representations: application/json\nmetadata: {}\nreason: "
          "NotAcceptable\nstatus: Failure\n");
      resp.content_type = "application/yaml";
      call->responder.send(std::move(resp));
      return;
    }
    reply(*call, 200, discovery::version());
    return;
  }
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    std::string body = "ok";
    if (call->request.has_query_param("verbose")) {
      body.clear();
      for (auto check : kReadyzChecks)
        body += "[+]" + std::string(check) + " ok\n";
      body += path.substr(1) + " check passed\n";
    }
    http::Response resp = http::Response::text(200, std::move(body));
    resp.content_type = "text/plain; charset=utf-8";
    resp.headers.add("X-Content-Type-Options", "nosniff");
    call->responder.send(std::move(resp));
    return;
  }
  call->info = parse_request_path(path);
  switch (call->info.target) {
    case RequestInfo::Target::kOther: {
      http::Response resp = http::Response::text(404, std::string(kNotFoundPage));
      resp.content_type = "text/plain; charset=utf-8";
      resp.headers.add("X-Content-Type-Options", "nosniff");
      call->responder.send(std::move(resp));
      return;
    }
    case RequestInfo::Target::kResource:
      serve_resource(call);
      return;
    default:
      serve_discovery(call);
      return;
  }
}

void Handlers::serve_discovery(std::shared_ptr<Call> call) {
  const RequestInfo& info = call->info;
  Registry& registry = api_.registry();
  auto not_found = [&] {
    http::Response resp = http::Response::text(404, std::string(kNotFoundPage));
    resp.content_type = "text/plain; charset=utf-8";
    call->responder.send(std::move(resp));
  };
  bool served = true;
  switch (info.target) {
    case RequestInfo::Target::kApiVersions:
      served = true;
      break;
    case RequestInfo::Target::kApiGroupList:
      break;
    case RequestInfo::Target::kApiGroup:
      served = registry.serves_group(info.group);
      break;
    case RequestInfo::Target::kResourceList:
      served = (info.group.empty() && info.version == "v1") ||
               (!info.group.empty() && registry.serves(info.group, info.version));
      break;
    default:
      break;
  }
  if (!served) {
    not_found();
    return;
  }
  if (call->request.method != "GET") {
    fail(*call, errors::method_not_allowed());
    return;
  }
  // Aggregated discovery is not served (v1.26 default); JSON must be acceptable.
  auto accepts = parse_accept(call->request.headers.get("Accept"));
  bool json_ok = accepts.empty();
  for (const auto& m : accepts) {
    if (!m.param("as").empty()) continue;
    json_ok =
        json_ok || m.type == "application/json" || m.type == "*/*" || m.type == "application/*";
  }
  if (!json_ok) {
    fail(*call, errors::not_acceptable("only the following media types are accepted: "
                                       "application/json, application/yaml, "
                                       "application/vnd.kubernetes.protobuf"));
    return;
  }
  std::string body;
  switch (info.target) {
    case RequestInfo::Target::kApiVersions: {
      std::lock_guard<std::mutex> lock(mu_);
      body = discovery::api_versions(options_.server_address);
      break;
    }
    case RequestInfo::Target::kApiGroupList:
      body = discovery::api_group_list(registry);
      break;
    case RequestInfo::Target::kApiGroup:
      body = discovery::api_group(registry, info.group);
      break;
    default:
      body = discovery::resource_list(registry, info.group, info.version);
      break;
  }
  if (body.empty()) {
    not_found();
    return;
  }
  reply(*call, 200, std::move(body));
}

std::shared_ptr<Representation> Handlers::representation_for(const Call& call,
                                                             ApiError* not_acceptable) const {
  std::string_view accept = call.request.headers.get("Accept");
  if (accept.empty()) return nullptr;
  auto ranges = parse_accept(accept);
  std::vector<std::shared_ptr<Representation>> reps;
  {
    std::lock_guard<std::mutex> lock(mu_);
    reps = representations_;
  }
  bool plain_ok = false;
  for (const auto& m : ranges) {
    if (!m.param("as").empty()) {
      for (const auto& rep : reps) {
        if (!rep->accepts(m, *call.resource)) continue;
        if (auto valid = rep->validate(call.request); !valid.ok()) {
          if (not_acceptable != nullptr) *not_acceptable = valid.error();
          return nullptr;
        }
        return rep;
      }
      continue;
    }
    if (m.type == "application/json" || m.type == "*/*" || m.type == "application/*" ||
        m.type == "application/yaml" || m.type == "application/vnd.kubernetes.protobuf") {
      plain_ok = true;
    }
  }
  if (!plain_ok && not_acceptable != nullptr) {
    *not_acceptable = errors::not_acceptable(
        "only the following media types are accepted: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf");
  }
  return nullptr;
}

void Handlers::serve_resource(std::shared_ptr<Call> call) {
  const RequestInfo& info = call->info;
  Registry& registry = api_.registry();
  if (!registry.serves(info.group, info.version)) {
    http::Response resp = http::Response::text(404, std::string(kNotFoundPage));
    resp.content_type = "text/plain; charset=utf-8";
    call->responder.send(std::move(resp));
    return;
  }
  call->resource = registry.find(info.group, info.version, info.resource);
  if (!call->resource || info.malformed) {
    fail(*call, errors::resource_not_found());
    return;
  }
  const ResourceInfo& r = *call->resource;
  if (!info.subresource.empty()) {
    call->sub = r.subresource(info.subresource);
    if (call->sub == nullptr || !call->sub->served) {
      fail(*call, errors::resource_not_found());
      return;
    }
  }
  if ((!r.namespaced && !info.namespace_.empty()) ||
      (r.namespaced && info.namespace_.empty() && !info.name.empty())) {
    fail(*call, errors::resource_not_found());
    return;
  }
  const std::string& method = call->request.method;
  auto allowed = [&](std::string_view verb) {
    const auto& verbs = call->sub != nullptr ? call->sub->verbs : r.verbs;
    return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
  };
  std::string verb;
  if (method == "GET" || method == "HEAD") {
    if (info.collection()) {
      bool watch = info.watch_path || truthy(call->request.query_param("watch"));
      verb = watch ? "watch" : "list";
    } else {
      verb = "get";
    }
  } else if (method == "POST") {
    verb = (info.collection() || call->sub != nullptr) ? "create" : "";
  } else if (method == "PUT") {
    verb = info.collection() ? "" : "update";
  } else if (method == "PATCH") {
    verb = info.collection() ? "" : "patch";
  } else if (method == "DELETE") {
    verb = info.collection() ? "deletecollection" : (call->sub != nullptr ? "" : "delete");
  }
  if (verb.empty() || !allowed(verb)) {
    fail(*call, errors::method_not_allowed());
    return;
  }
  if (verb == "get") {
    handle_get(call);
  } else if (verb == "list") {
    handle_list(call);
  } else if (verb == "watch") {
    handle_watch(call);
  } else {
    if (options_.write_executor) {
      options_.write_executor([this, call] { handle_write(call); });
    } else {
      handle_write(call);
    }
  }
}

void Handlers::handle_get(std::shared_ptr<Call> call) {
  const ResourceInfo& r = *call->resource;
  const RequestInfo& info = call->info;
  ApiError not_acceptable;
  auto rep = representation_for(*call, &not_acceptable);
  if (!rep && (not_acceptable.code == 406 || not_acceptable.code == 400)) {
    fail(*call, not_acceptable);
    return;
  }
  auto object = call->sub != nullptr && call->sub->name == "scale"
                    ? api_.get_scale(r, info.namespace_, info.name)
                    : api_.get(r, info.namespace_, info.name);
  if (!object.ok()) {
    fail(*call, object.error());
    return;
  }
  if (rep && (call->sub == nullptr || call->sub->name == "status")) {
    auto ranges = parse_accept(call->request.headers.get("Accept"));
    for (const auto& m : ranges) {
      if (rep->accepts(m, r)) {
        reply(*call, 200, rep->object({call->request, api_, r, m}, *object));
        return;
      }
    }
  }
  std::string body = json::dump(object->json());
  body.push_back('\n');
  reply(*call, 200, std::move(body));
}

void Handlers::handle_list(std::shared_ptr<Call> call) {
  const ResourceInfo& r = *call->resource;
  ApiError not_acceptable;
  auto rep = representation_for(*call, &not_acceptable);
  if (!rep && (not_acceptable.code == 406 || not_acceptable.code == 400)) {
    fail(*call, not_acceptable);
    return;
  }
  auto req = list_request(call->request);
  if (!req.ok()) {
    fail(*call, req.error());
    return;
  }
  auto respond = [this, call, rep](const ApiResult<ListResult>& result) {
    if (!result.ok()) {
      fail(*call, result.error());
      return;
    }
    const ResourceInfo& res = *call->resource;
    if (rep) {
      for (const auto& m : parse_accept(call->request.headers.get("Accept"))) {
        if (rep->accepts(m, res)) {
          reply(*call, 200, rep->list({call->request, api_, res, m}, *result));
          return;
        }
      }
    }
    reply(*call, 200, render_list(api_, res, *result));
  };
  auto result = api_.list(r, call->info.namespace_, *req);
  if (!result.ok() && result.error().code == 504) {
    // A future resourceVersion: the apiserver waits for its cache before giving up.
    auto request = std::make_shared<ListRequest>(std::move(req).value());
    delayed_.post_after(api_.options().future_rv_wait, [this, call, request, respond] {
      respond(api_.list(*call->resource, call->info.namespace_, *request));
    });
    return;
  }
  respond(result);
}

void Handlers::handle_watch(std::shared_ptr<Call> call) {
  const ResourceInfo& r = *call->resource;
  ApiError not_acceptable;
  auto rep = representation_for(*call, &not_acceptable);
  if (!rep && (not_acceptable.code == 406 || not_acceptable.code == 400)) {
    fail(*call, not_acceptable);
    return;
  }
  auto req = list_request(call->request);
  if (!req.ok()) {
    fail(*call, req.error());
    return;
  }
  std::shared_ptr<const EventEncoder> encoder;
  if (rep) {
    for (const auto& m : parse_accept(call->request.headers.get("Accept"))) {
      if (rep->accepts(m, r)) {
        encoder = rep->watch_encoder({call->request, api_, r, m});
        break;
      }
    }
  }
  if (!encoder) {
    ObjectApi* api = &api_;
    ResourcePtr resource = call->resource;
    encoder = std::make_shared<JsonEventEncoder>(
        r.api_version(), r.kind, r.custom,
        [api, resource](const kube::Object& o) { return api->render(*resource, o); });
  }
  std::shared_ptr<http::ChunkedStream> stream;
  auto open = [&]() {
    http::Headers headers;
    headers.add("Audit-Id", new_uid());
    headers.add("Cache-Control", "no-cache, private");
    headers.add("X-Kubernetes-Pf-Flowschema-Uid", flow_schema_uid_);
    headers.add("X-Kubernetes-Pf-Prioritylevel-Uid", priority_level_uid_);
    stream = call->responder.stream(200, std::move(headers), "application/json");
    return stream;
  };
  auto status = api_.watch(call->resource, call->info.namespace_, *req, open, encoder);
  if (status.ok()) return;
  if (stream) {
    stream->write(watch_error_event(status.error()));
    stream->finish();
  } else {
    fail(*call, status.error());
  }
}

namespace {

// Decodes a create/update body by Content-Type.
ApiResult<json::Document> decode_body(const http::Request& request, const ResourceInfo& r,
                                      std::string_view kind) {
  std::string type = media_type(request.headers.get("Content-Type"));
  std::string_view body = request.body;
  if (type.empty() || type == "application/json") {
    auto doc = json::parse(body, {.max_depth = 128});
    if (!doc.ok()) {
      return errors::bad_request(
          "the object provided is unrecognized (must be of type " + std::string(kind) +
          "): couldn't get version/kind; json parse error: " + go_json_error(doc.error(), body) +
          " (" + excerpt(body) + ")");
    }
    return std::move(doc).value();
  }
  if (type == "application/yaml") {
    auto doc = kube::yaml::to_json(body);
    if (!doc.ok()) {
      return errors::bad_request(
          "the object provided is unrecognized (must be of type " + std::string(kind) +
          "): couldn't get version/kind; yaml parse error: " + doc.error().message);
    }
    return std::move(doc).value();
  }
  if (type == "application/vnd.kubernetes.protobuf" && protobuf_decodable(r.kind)) {
    return decode_protobuf(body);
  }
  return errors::unsupported_media_type(std::string(kBodyFormats));
}

ApiResult<DeleteOptions> delete_options(const http::Request& request, json::Document& body_doc) {
  DeleteOptions d;
  std::string_view body = kube::trim(request.body);
  if (!body.empty()) {
    auto doc = json::parse(body, {.max_depth = 32});
    if (!doc.ok()) {
      return errors::bad_request(
          "the object provided is unrecognized (must be of type "
          "DeleteOptions): couldn't get version/kind; json parse error: " +
          go_json_error(doc.error(), body) + " (" + excerpt(body) + ")");
    }
    body_doc = std::move(doc).value();
    if (body_doc.IsObject()) {
      if (const Value* g = json::find(body_doc, "gracePeriodSeconds");
          g != nullptr && g->IsInt64()) {
        d.grace_period_seconds = g->GetInt64();
      }
      if (const Value* pre = json::find(body_doc, "preconditions");
          pre != nullptr && pre->IsObject()) {
        d.precondition_uid = std::string(json::get_string(*pre, "uid"));
        d.precondition_resource_version = std::string(json::get_string(*pre, "resourceVersion"));
      }
      std::string_view policy = json::get_string(body_doc, "propagationPolicy");
      if (policy == "Foreground") d.propagation = Propagation::kForeground;
      if (policy == "Background") d.propagation = Propagation::kBackground;
      if (policy == "Orphan") d.propagation = Propagation::kOrphan;
      if (const Value* o = json::find(body_doc, "orphanDependents"); o != nullptr && o->IsBool()) {
        d.propagation = o->GetBool() ? Propagation::kOrphan : Propagation::kBackground;
      }
      if (const Value* dry = json::find(body_doc, "dryRun"); dry != nullptr && dry->IsArray()) {
        for (const auto& v : dry->GetArray())
          d.dry_run = d.dry_run || json::as_string(v) == "All";
      }
      d.options = &body_doc;
    }
  }
  if (request.has_query_param("gracePeriodSeconds")) {
    KUBE_ASSIGN_OR_RETURN(std::int64_t g,
                          parse_int_param(request.query_param("gracePeriodSeconds")));
    d.grace_period_seconds = g;
  }
  std::string policy = request.query_param("propagationPolicy");
  if (policy == "Foreground") d.propagation = Propagation::kForeground;
  if (policy == "Background") d.propagation = Propagation::kBackground;
  if (policy == "Orphan") d.propagation = Propagation::kOrphan;
  if (!policy.empty() && policy != "Foreground" && policy != "Background" && policy != "Orphan") {
    ApiError e =
        errors::invalid("DeleteOptions", "meta.k8s.io", "",
                        {FieldError::not_supported("propagationPolicy", go_quote(policy),
                                                   {"Foreground", "Background", "Orphan", "nil"})});
    return e;
  }
  if (request.has_query_param("orphanDependents")) {
    d.propagation = truthy(request.query_param("orphanDependents")) ? Propagation::kOrphan
                                                                    : Propagation::kBackground;
  }
  if (request.query_param("dryRun") == "All") d.dry_run = true;
  d.user = user_of(request);
  return d;
}

}  // namespace

void Handlers::handle_write(std::shared_ptr<Call> call) {
  const ResourceInfo& r = *call->resource;
  const RequestInfo& info = call->info;
  const http::Request& req = call->request;
  const std::string& method = req.method;
  if (req.body.size() > options_.max_body_bytes) {
    fail(*call, errors::request_entity_too_large(options_.max_body_bytes));
    return;
  }
  PatchOptions options;
  bool apply = method == "PATCH" &&
               media_type(req.headers.get("Content-Type")) == "application/apply-patch+yaml";
  // Apply names its manager explicitly; every other write falls back to the User-Agent.
  options.field_manager = req.has_query_param("fieldManager") || apply
                              ? req.query_param("fieldManager")
                              : kube::patch::manager_from_user_agent(req.headers.get("User-Agent"));
  std::string dry_run = req.query_param("dryRun");
  if (!dry_run.empty() && dry_run != "All") {
    fail(*call, errors::bad_request("Invalid dry run value: " + dry_run));
    return;
  }
  options.dry_run = dry_run == "All";
  std::string validation = req.query_param("fieldValidation");
  if (validation == "Strict") {
    options.field_validation = FieldValidation::kStrict;
  } else if (validation == "Ignore") {
    options.field_validation = FieldValidation::kIgnore;
  } else if (validation.empty() || validation == "Warn") {
    options.field_validation = FieldValidation::kWarn;
  } else {
    fail(*call, errors::bad_request("fieldValidation must be one of Ignore, Warn, Strict; got " +
                                    go_quote(validation)));
    return;
  }
  options.force = truthy(req.query_param("force"));
  options.user = user_of(req);
  std::string sub = call->sub != nullptr ? call->sub->name : std::string();
  auto render = [&](const WriteResult& w) {
    ApiError ignored;
    auto rep = representation_for(*call, &ignored);
    if (rep) {
      for (const auto& m : parse_accept(req.headers.get("Accept"))) {
        if (rep->accepts(m, r)) return rep->object({req, api_, r, m}, w.object);
      }
    }
    std::string body = json::dump(w.object.json());
    body.push_back('\n');
    return body;
  };

  if (method == "POST") {
    if (r.virtual_only || sub == "binding" || sub == "eviction") {
      std::string type = media_type(req.headers.get("Content-Type"));
      if (!type.empty() && type != "application/json" && type != "application/yaml") {
        fail(*call, errors::unsupported_media_type(std::string(kBodyFormats)));
        return;
      }
      std::string kind = sub == "eviction" ? "Eviction" : (sub == "binding" ? "Binding" : r.kind);
      auto body = decode_body(req, r, kind);
      if (!body.ok()) {
        fail(*call, body.error());
        return;
      }
      if (!body->IsObject()) {
        fail(*call, errors::bad_request("the object provided is unrecognized (must be of type " +
                                        kind + ")"));
        return;
      }
      ApiStatus st;
      if (sub == "eviction") {
        st = api_.evict(info.namespace_, info.name, *body, options);
      } else if (sub == "binding" || r.plural == "bindings") {
        std::string name = info.name;
        if (name.empty())
          name = std::string(json::get_string(*json::find(*body, "metadata"), "name"));
        st = api_.bind(info.namespace_, name, *body, options);
      } else {
        reply(*call, 201, review_response(r, std::move(body).value(), options.user));
        return;
      }
      if (!st.ok()) {
        fail(*call, st.error());
        return;
      }
      reply(*call, 201, success_status(201));
      return;
    }
    auto body = decode_body(req, r, r.kind);
    if (!body.ok()) {
      fail(*call, body.error());
      return;
    }
    auto created = api_.create(call->resource, info.namespace_, std::move(body).value(), options);
    if (!created.ok()) {
      fail(*call, created.error());
      return;
    }
    reply(*call, 201, render(*created), created->warnings);
    return;
  }
  if (method == "PUT") {
    auto body = decode_body(req, r, sub == "scale" ? "Scale" : r.kind);
    if (!body.ok()) {
      fail(*call, body.error());
      return;
    }
    auto updated = sub == "scale" ? api_.update_scale(call->resource, info.namespace_, info.name,
                                                      std::move(body).value(), options)
                                  : api_.update(call->resource, info.namespace_, info.name, sub,
                                                std::move(body).value(), options);
    if (!updated.ok()) {
      fail(*call, updated.error());
      return;
    }
    reply(*call, updated->created ? 201 : 200, render(*updated), updated->warnings);
    return;
  }
  if (method == "PATCH") {
    std::string type = media_type(req.headers.get("Content-Type"));
    PatchType patch_type;
    std::string body = req.body;
    if (type == "application/json-patch+json") {
      patch_type = PatchType::kJson;
    } else if (type == "application/merge-patch+json") {
      patch_type = PatchType::kMerge;
    } else if (type == "application/strategic-merge-patch+json") {
      patch_type = PatchType::kStrategic;
    } else if (type == "application/apply-patch+yaml") {
      patch_type = PatchType::kApply;
      auto doc = kube::yaml::to_json(body);
      if (!doc.ok()) {
        fail(*call, errors::bad_request("error decoding YAML: " + doc.error().message));
        return;
      }
      body = json::dump(*doc);
    } else {
      fail(*call, errors::unsupported_patch_type());
      return;
    }
    auto patched =
        api_.patch(call->resource, info.namespace_, info.name, sub, patch_type, body, options);
    if (!patched.ok()) {
      fail(*call, patched.error());
      return;
    }
    reply(*call, patched->created ? 201 : 200, render(*patched), patched->warnings);
    return;
  }
  if (method == "DELETE") {
    json::Document body_doc;
    auto del = delete_options(req, body_doc);
    if (!del.ok()) {
      fail(*call, del.error());
      return;
    }
    if (info.collection()) {
      auto selection = list_request(req);
      if (!selection.ok()) {
        fail(*call, selection.error());
        return;
      }
      auto removed = api_.remove_collection(call->resource, info.namespace_, *selection, *del);
      if (!removed.ok()) {
        fail(*call, removed.error());
        return;
      }
      ListResult listed;
      listed.resource_version = api_.store().current_rv();
      listed.items = std::move(removed).value();
      // Items are already served objects; render them as such.
      std::string out = render_list(api_, r, listed);
      reply(*call, 200, std::move(out));
      return;
    }
    auto removed = api_.remove(call->resource, info.namespace_, info.name, *del);
    if (!removed.ok()) {
      fail(*call, removed.error());
      return;
    }
    if (removed->deleted && !r.return_deleted_object) {
      reply(*call, 200, deleted_status(r, removed->object), removed->warnings);
      return;
    }
    std::string out = json::dump(removed->object.json());
    out.push_back('\n');
    reply(*call, 200, std::move(out), removed->warnings);
    return;
  }
  fail(*call, errors::method_not_allowed());
}

}  // namespace berth::sim
