#include "kube/client/client.h"

#include <algorithm>

#include "kube/client/cpprest_transport.h"
#include "kube/client/errors.h"
#include "kube/core/log.h"
#include "kube/core/strings.h"

#ifndef BERTH_VERSION
#error "BERTH_VERSION must be defined by the build"
#endif

namespace kube {
namespace {

constexpr std::int64_t kDefaultPageSize = 500;
constexpr std::string_view kJson = "application/json";

// Builds "?a=1&b=2" with percent-encoded values.
class Query {
 public:
  Query& add(std::string_view key, std::string_view value) {
    if (value.empty()) return *this;
    out_.push_back(out_.empty() ? '?' : '&');
    out_.append(key).push_back('=');
    out_.append(url_encode(value));
    return *this;
  }
  Query& add(std::string_view key, std::int64_t value) {
    return add(key, std::string_view(std::to_string(value)));
  }
  Query& add_if(bool condition, std::string_view key, std::string_view value) {
    return condition ? add(key, value) : *this;
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

bool is_success(int status) {
  return status >= 200 && status <= 299;
}

std::string_view patch_content_type(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return kJson;
}

std::string_view propagation_name(PropagationPolicy policy) {
  switch (policy) {
    case PropagationPolicy::kOrphan:
      return "Orphan";
    case PropagationPolicy::kBackground:
      return "Background";
    case PropagationPolicy::kForeground:
      return "Foreground";
    case PropagationPolicy::kDefault:
      break;
  }
  return "";
}

Result<Object> parse_object(const HttpResponse& response) {
  auto object = Object::parse(response.body);
  if (!object.ok()) {
    return Error::parse("API response is not a JSON object: " + object.error().message);
  }
  return object;
}

// The items of a list lack kind and apiVersion; each gets them back, first as in the
// apiserver's own encoding. The item's members are moved (the list document is ours), then
// Object::from makes the compact copy.
Object complete_item(json::Value& item, std::string_view kind, std::string_view api_version,
                     json::Allocator& allocator) {
  json::Value full(rapidjson::kObjectType);
  full.AddMember(json::make_string("kind", allocator), json::make_string(kind, allocator),
                 allocator);
  full.AddMember(json::make_string("apiVersion", allocator),
                 json::make_string(api_version, allocator), allocator);
  for (auto& member : item.GetObject()) {
    if (member.name == "kind" || member.name == "apiVersion") continue;
    full.AddMember(std::move(member.name), std::move(member.value), allocator);
  }
  return Object::from(full);
}

}  // namespace

std::string default_user_agent(std::string_view component) {
  return "berth/" BERTH_VERSION " (" + std::string(component) + ")";
}

Result<std::unique_ptr<Client>> Client::create(const Config& config, ClientOptions options) {
  TransportOptions transport_options;
  transport_options.timeout = options.timeout;
  KUBE_ASSIGN_OR_RETURN(std::shared_ptr<Transport> transport,
                        make_cpprest_transport(config, transport_options));
  auto client = std::make_unique<Client>(std::move(transport), config, std::move(options));
  if (client->token_source_) {
    auto token = client->token_source_->token();
    if (!token.ok()) return std::move(token).error();
  }
  log::v(2, "Kubernetes API client ready", {{"config", config.describe()}});
  return client;
}

Client::Client(std::shared_ptr<Transport> transport, const Config& config, ClientOptions options)
    : transport_(std::move(transport)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : Clock::real()),
      limiter_(options_.qps, options_.burst, clock_),
      default_namespace_(config.namespace_.empty() ? "default" : config.namespace_),
      user_agent_(options_.user_agent.empty() ? default_user_agent(options_.component)
                                              : options_.user_agent) {
  if (!config.bearer_token_file.empty()) {
    token_source_ = TokenSource::file(config.bearer_token_file, config.token_refresh, clock_);
  } else if (!config.bearer_token.empty()) {
    token_source_ = TokenSource::fixed(config.bearer_token);
  }
  if (!config.username.empty() || !config.password.empty()) {
    basic_auth_ = "Basic " + base64_encode(config.username + ":" + config.password);
  }
}

Client::~Client() = default;

std::string Client::namespace_or_default(const ResourceType& type,
                                         std::string_view namespace_) const {
  if (!type.namespaced) return {};
  return namespace_.empty() ? default_namespace_ : std::string(namespace_);
}

Result<std::string> Client::authorize(HttpRequest& request) {
  request.headers.emplace_back("User-Agent", user_agent_);
  request.headers.emplace_back("Accept", std::string(kJson));
  if (token_source_) {
    KUBE_ASSIGN_OR_RETURN(std::string token, token_source_->token());
    request.headers.emplace_back("Authorization", "Bearer " + token);
    return token;
  }
  if (!basic_auth_.empty()) request.headers.emplace_back("Authorization", basic_auth_);
  return std::string();
}

bool Client::refresh_token_after_401(const std::string& used_token) {
  if (!token_source_ || !token_source_->invalidate()) return false;
  auto fresh = token_source_->token();
  return fresh.ok() && *fresh != used_token;
}

Result<HttpResponse> Client::execute(HttpRequest request, Retry retry, const CancelToken& cancel) {
  const std::size_t base_headers = request.headers.size();
  int retries = 0;
  bool reauthenticated = false;
  while (true) {
    if (!limiter_.wait(cancel)) {
      return Error::make(Reason::kCancelled, "request cancelled: " + request.target);
    }
    request.headers.resize(base_headers);
    KUBE_ASSIGN_OR_RETURN(std::string token, authorize(request));
    KUBE_ASSIGN_OR_RETURN(HttpResponse response, transport_->send(request, cancel));
    if (!response.warning.empty()) {
      log::warn(
          "API server warning",
          {{"warning", response.warning}, {"method", request.method}, {"path", request.target}});
    }
    if (is_success(response.status)) return response;
    if (response.status == 401 && !reauthenticated && refresh_token_after_401(token)) {
      // The request was not executed; the kubelet rotated the token since the last read.
      reauthenticated = true;
      continue;
    }
    Error error = decode_error(response.status, response.body, response.retry_after);
    bool server_asked =
        (response.status == 429 || response.status >= 500) && error.retry_after.count() > 0;
    if (retry == Retry::kWithRetryAfter && server_asked && retries < options_.max_retries) {
      ++retries;
      auto delay = std::min(error.retry_after, options_.max_retry_delay);
      log::v(2, "retrying after the server's Retry-After",
             {{"method", request.method},
              {"path", request.target},
              {"status", response.status},
              {"delay_seconds", static_cast<long long>(delay.count())}});
      if (!cancel.sleep_for(clock_, delay)) {
        return Error::make(Reason::kCancelled, "request cancelled: " + request.target);
      }
      continue;
    }
    return error;
  }
}

Result<Transport::Stream> Client::open_stream(HttpRequest request, const CancelToken& cancel) {
  const std::size_t base_headers = request.headers.size();
  bool reauthenticated = false;
  while (true) {
    if (!limiter_.wait(cancel)) {
      return Error::make(Reason::kCancelled, "request cancelled: " + request.target);
    }
    request.headers.resize(base_headers);
    KUBE_ASSIGN_OR_RETURN(std::string token, authorize(request));
    KUBE_ASSIGN_OR_RETURN(Transport::Stream stream, transport_->stream(request, cancel));
    if (stream.lines) return stream;
    if (stream.response.status == 401 && !reauthenticated && refresh_token_after_401(token)) {
      reauthenticated = true;
      continue;
    }
    return decode_error(stream.response.status, stream.response.body, stream.response.retry_after);
  }
}

Result<Object> Client::get(const ResourceType& type, std::string_view namespace_,
                           std::string_view name, const GetOptions& options) {
  HttpRequest request;
  request.target = type.path(namespace_or_default(type, namespace_), name) +
                   Query().add("resourceVersion", options.resource_version).str();
  KUBE_ASSIGN_OR_RETURN(HttpResponse response,
                        execute(std::move(request), Retry::kWithRetryAfter, {}));
  return parse_object(response);
}

Result<ObjectList> Client::decode_list(const ResourceType& type, std::string_view body) const {
  auto doc = json::parse(body);
  if (!doc.ok()) return Error::parse("API list response is not JSON: " + doc.error().message);
  if (!doc->IsObject()) return Error::parse("API list response is not a JSON object");
  ObjectList list;
  list.api_version = std::string(json::get_string(*doc, "apiVersion"));
  list.kind = std::string(json::get_string(*doc, "kind"));
  if (const json::Value* metadata = json::find(*doc, "metadata")) {
    list.resource_version = std::string(json::get_string(*metadata, "resourceVersion"));
    list.continue_ = std::string(json::get_string(*metadata, "continue"));
    if (const json::Value* remaining = json::find(*metadata, "remainingItemCount");
        remaining != nullptr && remaining->IsInt64()) {
      list.remaining_item_count = remaining->GetInt64();
    }
  }
  std::string_view item_kind = list.kind;
  if (item_kind.size() > 4 && item_kind.substr(item_kind.size() - 4) == "List") {
    item_kind.remove_suffix(4);
  } else {
    item_kind = type.kind;
  }
  std::string item_api_version = list.api_version.empty() ? type.api_version() : list.api_version;
  json::Value* items = json::find(*doc, "items");
  if (items == nullptr || !items->IsArray()) {
    return Error::parse("API list response has no items array");
  }
  list.items.reserve(items->Size());
  for (json::Value& item : items->GetArray()) {
    if (!item.IsObject()) return Error::parse("API list response has a non-object item");
    list.items.push_back(complete_item(item, item_kind, item_api_version, doc->GetAllocator()));
  }
  return list;
}

Result<ObjectList> Client::list(const ResourceType& type, std::string_view namespace_,
                                const ListOptions& options) {
  Query query;
  query.add("labelSelector", options.label_selector)
      .add("fieldSelector", options.field_selector)
      .add("resourceVersion", options.resource_version)
      .add("resourceVersionMatch", options.resource_version_match)
      .add("continue", options.continue_);
  if (options.limit > 0) query.add("limit", options.limit);
  if (options.timeout_seconds) query.add("timeoutSeconds", std::int64_t{*options.timeout_seconds});
  HttpRequest request;
  request.target = type.path(type.namespaced ? namespace_ : std::string_view()) + query.str();
  KUBE_ASSIGN_OR_RETURN(HttpResponse response,
                        execute(std::move(request), Retry::kWithRetryAfter, options.cancel));
  return decode_list(type, response.body);
}

Result<ObjectList> Client::list_all(const ResourceType& type, std::string_view namespace_,
                                    const ListOptions& options) {
  ListOptions page_options = options;
  if (page_options.limit <= 0) page_options.limit = kDefaultPageSize;
  KUBE_ASSIGN_OR_RETURN(ObjectList all, list(type, namespace_, page_options));
  // Later pages come from the first page's snapshot; resourceVersion must not be repeated.
  page_options.resource_version.clear();
  page_options.resource_version_match.clear();
  while (!all.continue_.empty()) {
    page_options.continue_ = all.continue_;
    KUBE_ASSIGN_OR_RETURN(ObjectList page, list(type, namespace_, page_options));
    all.items.insert(all.items.end(), std::make_move_iterator(page.items.begin()),
                     std::make_move_iterator(page.items.end()));
    all.continue_ = std::move(page.continue_);
  }
  all.remaining_item_count.reset();
  return all;
}

Result<Object> Client::write_object(std::string_view method, const ResourceType& type,
                                    const json::Value& object, std::string_view subresource,
                                    const WriteOptions& options) {
  if (!object.IsObject()) return Error::make(Reason::kInvalid, "object is not a JSON object");
  const json::Value* metadata = json::find(object, "metadata");
  std::string_view name = metadata ? json::get_string(*metadata, "name") : std::string_view();
  std::string_view ns = metadata ? json::get_string(*metadata, "namespace") : std::string_view();
  bool is_create = method == "POST";
  if (!is_create && name.empty()) {
    return Error::make(Reason::kInvalid, std::string(method) + " needs metadata.name");
  }
  std::string field_manager =
      options.field_manager.empty() ? options_.field_manager : options.field_manager;
  Query query;
  query.add("fieldManager", field_manager)
      .add_if(options.dry_run, "dryRun", "All")
      .add("fieldValidation", options.field_validation);
  HttpRequest request;
  request.method = std::string(method);
  request.target = type.path(namespace_or_default(type, ns), is_create ? std::string_view() : name,
                             subresource) +
                   query.str();
  request.body = json::dump(object);
  request.content_type = std::string(kJson);
  // A PUT carrying a resourceVersion cannot apply twice: a repeat is a 409, never a lost update.
  bool conditional =
      !is_create && metadata && !json::get_string(*metadata, "resourceVersion").empty();
  KUBE_ASSIGN_OR_RETURN(
      HttpResponse response,
      execute(std::move(request), conditional ? Retry::kWithRetryAfter : Retry::kNever, {}));
  return parse_object(response);
}

Result<Object> Client::create(const ResourceType& type, const json::Value& object,
                              const WriteOptions& options) {
  return write_object("POST", type, object, {}, options);
}

Result<Object> Client::update(const ResourceType& type, const json::Value& object,
                              const WriteOptions& options) {
  return write_object("PUT", type, object, {}, options);
}

Result<Object> Client::update_status(const ResourceType& type, const json::Value& object,
                                     const WriteOptions& options) {
  return write_object("PUT", type, object, "status", options);
}

Result<Object> Client::patch(const ResourceType& type, std::string_view namespace_,
                             std::string_view name, PatchType patch_type, std::string_view body,
                             const PatchOptions& options) {
  if (name.empty()) return Error::make(Reason::kInvalid, "patch needs an object name");
  std::string field_manager =
      options.field_manager.empty() ? options_.field_manager : options.field_manager;
  if (patch_type == PatchType::kApply && field_manager.empty()) {
    return Error::make(Reason::kInvalid,
                       "server-side apply needs a field manager (PatchOptions::field_manager or "
                       "ClientOptions::field_manager)");
  }
  Query query;
  query.add("fieldManager", field_manager)
      .add_if(options.dry_run, "dryRun", "All")
      .add("fieldValidation", options.field_validation)
      .add_if(options.force && patch_type == PatchType::kApply, "force", "true");
  HttpRequest request;
  request.method = "PATCH";
  request.target =
      type.path(namespace_or_default(type, namespace_), name, options.subresource) + query.str();
  request.body = std::string(body);
  request.content_type = std::string(patch_content_type(patch_type));
  KUBE_ASSIGN_OR_RETURN(HttpResponse response, execute(std::move(request), Retry::kNever, {}));
  return parse_object(response);
}

Result<Object> Client::remove(const ResourceType& type, std::string_view namespace_,
                              std::string_view name, const DeleteOptions& options) {
  if (name.empty()) return Error::make(Reason::kInvalid, "delete needs an object name");
  json::Document body(rapidjson::kObjectType);
  auto& a = body.GetAllocator();
  json::set_string(body, "kind", "DeleteOptions", a);
  json::set_string(body, "apiVersion", "v1", a);
  if (auto policy = propagation_name(options.propagation_policy); !policy.empty()) {
    json::set_string(body, "propagationPolicy", policy, a);
  }
  if (options.grace_period_seconds) {
    json::set(body, "gracePeriodSeconds", json::Value(*options.grace_period_seconds), a);
  }
  if (!options.precondition_uid.empty() || !options.precondition_resource_version.empty()) {
    json::Value& pre = json::ensure_object(body, "preconditions", a);
    if (!options.precondition_uid.empty())
      json::set_string(pre, "uid", options.precondition_uid, a);
    if (!options.precondition_resource_version.empty()) {
      json::set_string(pre, "resourceVersion", options.precondition_resource_version, a);
    }
  }
  if (options.dry_run) {
    json::Value& dry = json::ensure_array(body, "dryRun", a);
    dry.PushBack(json::make_string("All", a), a);
  }
  HttpRequest request;
  request.method = "DELETE";
  request.target = type.path(namespace_or_default(type, namespace_), name);
  request.body = json::dump(body);
  request.content_type = std::string(kJson);
  KUBE_ASSIGN_OR_RETURN(HttpResponse response, execute(std::move(request), Retry::kNever, {}));
  return parse_object(response);
}

Result<HttpResponse> Client::request(std::string_view method, std::string_view path,
                                     std::string_view body, std::string_view content_type,
                                     const CancelToken& cancel) {
  HttpRequest request;
  request.method = std::string(method);
  request.target = std::string(path);
  request.body = std::string(body);
  if (!body.empty()) request.content_type = std::string(content_type);
  Retry retry = method == "GET" ? Retry::kWithRetryAfter : Retry::kNever;
  return execute(std::move(request), retry, cancel);
}

Result<std::unique_ptr<WatchStream>> Client::watch(const ResourceType& type,
                                                   std::string_view namespace_,
                                                   const WatchOptions& options) {
  Query query;
  query.add("watch", "true")
      .add_if(options.allow_bookmarks, "allowWatchBookmarks", "true")
      .add("labelSelector", options.label_selector)
      .add("fieldSelector", options.field_selector)
      .add("resourceVersion", options.resource_version);
  HttpRequest request;
  request.target = type.path(type.namespaced ? namespace_ : std::string_view());
  if (options.timeout_seconds) {
    query.add("timeoutSeconds", std::int64_t{*options.timeout_seconds});
    // The idle timer must outlast a quiet watch: the server may send nothing (not even a
    // bookmark) until it ends the stream at timeoutSeconds.
    request.timeout = std::chrono::seconds(*options.timeout_seconds + 60);
  } else {
    request.timeout = std::chrono::minutes(30);
  }
  request.target += query.str();
  KUBE_ASSIGN_OR_RETURN(Transport::Stream stream, open_stream(std::move(request), options.cancel));
  return std::make_unique<WatchStream>(std::move(stream.lines));
}

}  // namespace kube
