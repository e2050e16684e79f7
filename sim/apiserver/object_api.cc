#include "sim/apiserver/object_api.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "kube/core/log.h"
#include "kube/core/strings.h"
#include "kube/core/time.h"
#include "kube/patch/patch.h"
#include "sim/apiserver/continue_token.h"
#include "sim/apiserver/meta.h"
#include "sim/apiserver/strategy.h"

namespace berth::sim {

namespace json = kube::json;
using json::Value;

std::string now_rfc3339() {
  return kube::format_time(std::chrono::system_clock::now());
}

std::string new_uid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t hi = rng();
  std::uint64_t lo = rng();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xFFFF),
                static_cast<unsigned long long>(hi & 0xFFFF),
                static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

namespace {

Value& metadata_of(json::Document& doc) {
  return json::ensure_object(doc, "metadata", doc.GetAllocator());
}

std::int64_t parse_rv(std::string_view text) {
  auto v = kube::parse_int(text);
  return v ? *v : 0;
}

// The internal API package name the apiserver prints in conversion errors ("core", "apps").
std::string internal_group(std::string_view group) {
  if (group.empty()) return "core";
  return std::string(group.substr(0, group.find('.')));
}

bool differs_outside(const Value& a, const Value& b,
                     std::initializer_list<std::string_view> ignored) {
  auto skip = [&](std::string_view key) {
    return std::find(ignored.begin(), ignored.end(), key) != ignored.end();
  };
  if (!a.IsObject() || !b.IsObject()) return !json::equal(a, b);
  std::size_t na = 0;
  for (const auto& m : a.GetObject()) {
    std::string_view key = json::as_string(m.name);
    if (skip(key)) continue;
    ++na;
    const Value* other = json::find(b, key);
    if (other == nullptr || !json::equal(m.value, *other)) return true;
  }
  std::size_t nb = 0;
  for (const auto& m : b.GetObject()) {
    if (!skip(json::as_string(m.name))) ++nb;
  }
  return na != nb;
}

// Equal apart from metadata.resourceVersion and the timestamps of managedFields entries.
bool same_object(const Value& a, const Value& b) {
  if (!differs_outside(a, b, {"metadata"})) {
    const Value* ma = json::find(a, "metadata");
    const Value* mb = json::find(b, "metadata");
    if (ma == nullptr || mb == nullptr) return ma == mb;
    if (differs_outside(*ma, *mb, {"resourceVersion", "managedFields"})) return false;
    const Value* fa = json::find(*ma, "managedFields");
    const Value* fb = json::find(*mb, "managedFields");
    if (fa == nullptr || fb == nullptr) return fa == fb;
    if (!fa->IsArray() || !fb->IsArray() || fa->Size() != fb->Size()) return false;
    for (rapidjson::SizeType i = 0; i < fa->Size(); ++i) {
      if (differs_outside((*fa)[i], (*fb)[i], {"time"})) return false;
    }
    return true;
  }
  return false;
}

// Makes `target` a copy of `source` except for member `keep`, which keeps its value from
// `target` (absent when `target` has none). Works in place, so `a` stays target's allocator.
void replace_all_but(Value& target, const Value& source, std::string_view keep,
                     json::Allocator& a) {
  Value kept;
  bool had = false;
  if (Value* v = json::find(target, keep); v != nullptr && !keep.empty()) {
    kept = std::move(*v);
    had = true;
  }
  target.RemoveAllMembers();
  for (const auto& m : source.GetObject()) {
    if (!keep.empty() && json::as_string(m.name) == keep) continue;
    target.AddMember(Value(m.name, a), Value(m.value, a), a);
  }
  if (had) target.AddMember(json::make_string(keep, a), std::move(kept), a);
}

void copy_member(Value& to, const Value& from, std::string_view key, json::Allocator& a) {
  if (const Value* v = json::find(from, key)) {
    json::set(to, key, Value(*v, a), a);
  } else {
    json::remove(to, key);
  }
}

}  // namespace

ObjectApi::ObjectApi(Registry& registry, Store& store, WatchHub& hub, ObjectApiOptions options)
    : registry_(registry), store_(store), hub_(hub), options_(std::move(options)) {}

void ObjectApi::add_admission(std::shared_ptr<AdmissionPlugin> plugin) {
  std::lock_guard<std::mutex> lock(mu_);
  admission_.push_back(std::move(plugin));
}

void ObjectApi::set_field_manager(std::shared_ptr<FieldManager> manager) {
  std::lock_guard<std::mutex> lock(mu_);
  field_manager_ = std::move(manager);
}

std::shared_ptr<FieldManager> ObjectApi::field_manager() const {
  std::lock_guard<std::mutex> lock(mu_);
  return field_manager_;
}

void ObjectApi::on_commit(CommitHook hook) {
  std::lock_guard<std::mutex> lock(mu_);
  commit_hooks_.push_back(std::move(hook));
}

void ObjectApi::fire(const CommitEvent& event) const {
  std::vector<CommitHook> hooks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hooks = commit_hooks_;
  }
  for (const auto& h : hooks)
    h(event);
}

ApiStatus ObjectApi::run_admit(AdmissionRequest& request) const {
  std::vector<std::shared_ptr<AdmissionPlugin>> plugins;
  {
    std::lock_guard<std::mutex> lock(mu_);
    plugins = admission_;
  }
  for (const auto& p : plugins)
    KUBE_RETURN_IF_ERROR(p->admit(request));
  return {};
}

ApiStatus ObjectApi::run_validate(const AdmissionRequest& request) const {
  std::vector<std::shared_ptr<AdmissionPlugin>> plugins;
  {
    std::lock_guard<std::mutex> lock(mu_);
    plugins = admission_;
  }
  for (const auto& p : plugins)
    KUBE_RETURN_IF_ERROR(p->validate(request));
  return {};
}

std::string ObjectApi::storage_key(const ResourceInfo& resource, std::string_view namespace_,
                                   std::string_view name) const {
  return resource.namespaced ? kube::make_key(namespace_, name) : std::string(name);
}

ResourcePtr ObjectApi::resource_for_table(const std::string& table) const {
  ResourcePtr fallback;
  for (const auto& r : registry_.all()) {
    if (r->storage_table != table || r->virtual_only) continue;
    if (!r->strategy->converts()) return r;
    if (!fallback) fallback = r;
  }
  return fallback;
}

json::Document ObjectApi::to_storage_doc(const ResourceInfo& resource,
                                         json::Document served) const {
  if (resource.strategy->converts()) resource.strategy->to_storage(served, served.GetAllocator());
  return served;
}

kube::Object ObjectApi::to_storage(const ResourceInfo& resource, json::Document served) const {
  return kube::Object::adopt(to_storage_doc(resource, std::move(served)));
}

kube::Object ObjectApi::served(const ResourceInfo& resource, const kube::Object& stored) const {
  if (!stored) return stored;
  bool convert = resource.strategy->converts();
  bool retag = !convert && stored.api_version() != resource.api_version();
  if (!convert && !retag) return stored;
  json::Document doc = stored.copy();
  if (convert) {
    resource.strategy->from_storage(doc, doc.GetAllocator());
  } else {
    json::set_string(doc, "apiVersion", resource.api_version(), doc.GetAllocator());
  }
  return kube::Object::adopt(std::move(doc));
}

std::string ObjectApi::render(const ResourceInfo& resource, const kube::Object& stored) const {
  return json::dump(served(resource, stored).json());
}

ApiStatus ObjectApi::check_decoded(const ResourceInfo& resource, const Value& body) const {
  if (!body.IsObject()) {
    return errors::bad_request("the object provided is unrecognized (must be of type " +
                               resource.kind +
                               "): couldn't get version/kind; json parse error: "
                               "json: cannot unmarshal " +
                               std::string(body.IsArray() ? "array" : "value") +
                               " into Go value of type struct { APIVersion string "
                               "\"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
                               "\"json:\\\"kind,omitempty\\\"\" }");
  }
  std::string_view api_version = json::get_string(body, "apiVersion");
  std::string_view kind = json::get_string(body, "kind");
  if (!kind.empty() && kind != resource.kind) {
    std::string version = api_version.empty()
                              ? resource.version
                              : std::string(api_version.substr(api_version.rfind('/') + 1));
    return errors::bad_request(
        std::string(kind) + " in version " + go_quote(version) + " cannot be handled as a " +
        resource.kind + ": converting (" + version + "." + std::string(kind) + ") to (" +
        internal_group(resource.group) + "." + resource.kind + "): unknown conversion");
  }
  if (!api_version.empty() && api_version != resource.api_version()) {
    bool same_group_other_version =
        registry_.find(resource.group, api_version.substr(api_version.rfind('/') + 1),
                       resource.plural) != nullptr &&
        (resource.group.empty() ? api_version.find('/') == std::string_view::npos
                                : api_version.starts_with(resource.group + "/"));
    if (!same_group_other_version) {
      return errors::bad_request("the API version in the data (" + std::string(api_version) +
                                 ") does not match the expected API version (" +
                                 resource.api_version() + ")");
    }
  }
  if (auto e = resource.strategy->type_error(body)) {
    return errors::bad_request(resource.kind + " in version " + go_quote(resource.version) +
                               " cannot be handled as a " + resource.kind + ": " + *e);
  }
  return {};
}

ApiStatus ObjectApi::record_update(const ResourceInfo& resource, json::Document& object,
                                   const Value* old, std::string_view subresource,
                                   const WriteOptions& options) const {
  // Without a manager name (internal writes, apply) managedFields are taken as given.
  if (options.field_manager.empty()) return {};
  auto fm = field_manager();
  if (!fm) {
    Value& meta = metadata_of(object);
    if (old != nullptr) {
      copy_member(meta, *json::find(*old, "metadata"), "managedFields", object.GetAllocator());
    } else {
      json::remove(meta, "managedFields");
    }
    return {};
  }
  ManagerInfo who{options.field_manager, resource.api_version(), std::string(subresource),
                  std::chrono::system_clock::now()};
  return fm->update(object, old, who);
}

// ---- reads ----------------------------------------------------------------------------------

ApiResult<kube::Object> ObjectApi::get(const ResourceInfo& resource, std::string_view namespace_,
                                       std::string_view name) const {
  kube::Object stored = store_.get(resource.storage_table, storage_key(resource, namespace_, name));
  if (!stored) return errors::not_found(resource.group_resource(), name);
  return served(resource, stored);
}

ApiResult<std::function<bool(const kube::Object&)>> ObjectApi::matcher(
    const ResourceInfo& resource, const ListRequest& request) const {
  for (const auto& req : request.fields.requirements()) {
    if (req.field == "metadata.name" || req.field == "metadata.namespace") continue;
    if (std::find(resource.field_labels.begin(), resource.field_labels.end(), req.field) ==
        resource.field_labels.end()) {
      return errors::bad_request("field label not supported: " + req.field);
    }
  }
  if (request.labels.empty() && request.fields.empty()) {
    return std::function<bool(const kube::Object&)>();
  }
  auto labels = request.labels;
  auto fields = request.fields;
  auto strategy = resource.strategy;
  return std::function<bool(const kube::Object&)>(
      [labels, fields, strategy](const kube::Object& o) {
        if (!labels.matches(o.labels())) return false;
        for (const auto& req : fields.requirements()) {
          std::string value;
          if (req.field == "metadata.name") {
            value = std::string(o.name());
          } else if (req.field == "metadata.namespace") {
            value = std::string(o.namespace_());
          } else {
            value = strategy->field_value(o.json(), req.field);
          }
          if ((value == req.value) != req.equals) return false;
        }
        return true;
      });
}

namespace {

ApiError list_options_invalid(std::vector<FieldError> errs) {
  ApiError e = errors::invalid("ListOptions", "meta.k8s.io", "", errs);
  e.details->name.clear();
  return e;
}

}  // namespace

ApiResult<ListResult> ObjectApi::list(const ResourceInfo& resource, std::string_view namespace_,
                                      const ListRequest& request) const {
  bool rv_given = request.resource_version.has_value() && !request.resource_version->empty();
  if (!request.resource_version_match.empty()) {
    if (!rv_given) {
      return list_options_invalid({FieldError::forbidden(
          "resourceVersionMatch",
          "resourceVersionMatch is forbidden unless resourceVersion is provided")});
    }
    if (request.resource_version_match != "NotOlderThan" &&
        request.resource_version_match != "Exact") {
      return list_options_invalid({FieldError::not_supported(
          "resourceVersionMatch", go_quote(request.resource_version_match),
          {"Exact", "NotOlderThan", ""})});
    }
  }
  if (!request.continue_token.empty() && rv_given) {
    return list_options_invalid({FieldError::forbidden(
        "resourceVersion", "specifying resource version is not allowed when using continue")});
  }
  KUBE_ASSIGN_OR_RETURN(auto match, matcher(resource, request));
  std::string prefix =
      (resource.namespaced && !namespace_.empty()) ? std::string(namespace_) + "/" : std::string();
  const std::string& table = resource.storage_table;

  SnapshotPtr snap;
  std::string start;  // absolute key the page starts at (inclusive)
  bool use_limit = request.limit > 0;
  std::int64_t token_rv = 0;
  if (!request.continue_token.empty()) {
    KUBE_ASSIGN_OR_RETURN(ContinueToken token, decode_continue(request.continue_token));
    start = prefix + token.start;
    if (token.rv > 0) {
      snap = store_.list_at(table, prefix, token.rv);
      if (!snap) {
        ApiError e = errors::expired(
            "The provided continue parameter is too old to display a consistent list result. "
            "You can start a new list without the continue parameter, or use the continue token "
            "in this response to retrieve the remainder of the results. Continuing with the "
            "provided token results in an inconsistent list - objects that were created, "
            "modified, or deleted between the time the first chunk was returned and now may "
            "show up in the list.");
        e.continue_token = encode_continue(-1, token.start);
        return e;
      }
      token_rv = token.rv;
    } else {
      snap = store_.list(table, prefix);
      token_rv = -1;
    }
  } else if (request.resource_version && *request.resource_version == "0") {
    snap = store_.list(table, prefix);
    use_limit = false;  // served from the watch cache, which ignores limit
  } else if (rv_given) {
    auto rv = kube::parse_int(*request.resource_version);
    if (!rv || *rv < 0) {
      return list_options_invalid({FieldError::invalid(
          "resourceVersion", go_quote(*request.resource_version), "must be a valid integer")});
    }
    std::int64_t current = store_.current_rv();
    if (request.resource_version_match == "Exact") {
      snap = store_.list_at(table, prefix, *rv);
      if (!snap) {
        if (*rv > current) return errors::too_large_resource_version(*rv, current);
        return errors::gone_resource_version();
      }
    } else {
      if (*rv > current) return errors::too_large_resource_version(*rv, current);
      snap = store_.list(table, prefix);
    }
  } else {
    snap = store_.list(table, prefix);
  }

  ListResult result;
  result.resource_version = snap->rv;
  if (token_rv < 0) result.resource_version = store_.current_rv();
  const auto& items = snap->items;
  auto it = items.begin();
  if (!start.empty()) {
    it = std::lower_bound(
        items.begin(), items.end(), start,
        [](const kube::Object& o, const std::string& key) { return object_key(o) < key; });
  }
  std::int64_t taken = 0;
  for (; it != items.end(); ++it) {
    if (use_limit && taken >= request.limit) break;
    if (match && !match(*it)) continue;
    result.items.push_back(*it);
    ++taken;
  }
  if (use_limit && it != items.end() && !result.items.empty()) {
    std::string last = object_key(result.items.back());
    std::string relative = last.substr(prefix.size());
    relative.push_back('\0');
    result.continue_token =
        encode_continue(token_rv < 0 ? -1 : (token_rv > 0 ? token_rv : snap->rv), relative);
    if (!match) result.remaining_item_count = static_cast<std::int64_t>(items.end() - it);
  }
  return result;
}

ApiStatus ObjectApi::watch(
    const ResourcePtr& resource, std::string_view namespace_, const ListRequest& request,
    const std::function<std::shared_ptr<kube::http::ChunkedStream>()>& open_stream,
    std::shared_ptr<const EventEncoder> encoder) const {
  bool rv_given = request.resource_version.has_value() && !request.resource_version->empty();
  if (!request.resource_version_match.empty()) {
    std::vector<FieldError> errs{FieldError::forbidden(
        "resourceVersionMatch", "resourceVersionMatch is forbidden for watch")};
    if (!rv_given) {
      errs.push_back(FieldError::forbidden(
          "resourceVersionMatch",
          "resourceVersionMatch is forbidden unless resourceVersion is provided"));
    }
    return list_options_invalid(std::move(errs));
  }
  KUBE_ASSIGN_OR_RETURN(auto match, matcher(*resource, request));
  WatchSpec spec;
  spec.table = resource->storage_table;
  spec.namespace_ = resource->namespaced ? std::string(namespace_) : std::string();
  spec.matches = match;
  spec.encoder = std::move(encoder);
  spec.bookmarks = request.allow_bookmarks;
  std::chrono::seconds timeout;
  if (request.timeout_seconds && *request.timeout_seconds > 0) {
    timeout = std::chrono::seconds(*request.timeout_seconds);
  } else {
    thread_local std::mt19937 rng{std::random_device{}()};
    auto base = options_.min_request_timeout.count();
    timeout =
        std::chrono::seconds(base + static_cast<long long>(rng() % std::max<long long>(base, 1)));
  }
  spec.deadline = std::chrono::steady_clock::now() + timeout;
  if (!rv_given || *request.resource_version == "0") {
    std::string prefix = spec.namespace_.empty() ? std::string() : spec.namespace_ + "/";
    SnapshotPtr snap = store_.list(spec.table, prefix);
    spec.start_rv = snap->rv;
    for (const auto& o : snap->items) {
      if (!match || match(o)) spec.initial.push_back(o);
    }
  } else {
    auto rv = kube::parse_int(*request.resource_version);
    if (!rv || *rv < 0) {
      return list_options_invalid({FieldError::invalid(
          "resourceVersion", go_quote(*request.resource_version), "must be a valid integer")});
    }
    spec.start_rv = *rv;
  }
  spec.stream = open_stream();
  return hub_.add(std::move(spec));
}

// ---- writes ---------------------------------------------------------------------------------

ApiResult<WriteResult> ObjectApi::create(const ResourcePtr& resource, std::string_view namespace_,
                                         json::Document body, const WriteOptions& options) {
  const ResourceInfo& r = *resource;
  KUBE_RETURN_IF_ERROR(check_decoded(r, body));
  auto& a = body.GetAllocator();
  WriteResult result;
  Value& meta = metadata_of(body);
  std::string_view body_ns = json::get_string(meta, "namespace");
  if (r.namespaced) {
    if (!body_ns.empty() && body_ns != namespace_) {
      return errors::bad_request(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    json::set_string(meta, "namespace", namespace_, a);
  } else {
    json::remove(meta, "namespace");
  }
  json::set_string(body, "kind", r.kind, a);
  json::set_string(body, "apiVersion", r.api_version(), a);
  auto unknown = r.strategy->prune_unknown_fields(body);
  if (!unknown.empty()) {
    if (options.field_validation == FieldValidation::kStrict) {
      std::string list;
      for (const auto& u : unknown) {
        if (!list.empty()) list.append(", ");
        list.append("unknown field " + go_quote(u));
      }
      return errors::bad_request(r.kind + " in version " + go_quote(r.version) +
                                 " cannot be handled as a " + r.kind +
                                 ": strict decoding error: " + list);
    }
    if (options.field_validation == FieldValidation::kWarn) {
      for (const auto& u : unknown)
        result.warnings.push_back("unknown field " + go_quote(u));
    }
  }
  r.strategy->apply_defaults(body, a);
  if (r.strategy->drops_status_on_create()) json::remove(body, "status");
  for (std::string_view key : {"uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                               "deletionGracePeriodSeconds", "generation", "selfLink"}) {
    json::remove(meta, key);
  }
  KUBE_RETURN_IF_ERROR(record_update(r, body, nullptr, "", options));

  AdmissionRequest admission;
  admission.operation = Operation::kCreate;
  admission.resource = resource;
  admission.namespace_ = std::string(namespace_);
  admission.name = std::string(json::get_string(metadata_of(body), "name"));
  admission.object = &body;
  admission.options = options.options;
  admission.dry_run = options.dry_run;
  admission.user = options.user;
  admission.warnings = &result.warnings;
  KUBE_RETURN_IF_ERROR(run_admit(admission));

  Value& m = metadata_of(body);
  if (json::get_string(m, "name").empty()) {
    std::string_view prefix = json::get_string(m, "generateName");
    if (!prefix.empty()) json::set_string(m, "name", generate_name(prefix), a);
  }
  json::set_string(m, "uid", new_uid(), a);
  json::set_string(m, "resourceVersion", "", a);  // keeps its place in the key order
  json::set_string(m, "creationTimestamp", now_rfc3339(), a);
  if (r.has_generation) json::set(m, "generation", Value(std::int64_t{1}), a);
  r.strategy->prepare_for_create(body, a);

  FieldErrors errs = validate_object_meta(metadata_of(body), r.strategy->name_rule(), r.namespaced);
  FieldErrors kind_errs = r.strategy->validate(body);
  errs.insert(errs.end(), kind_errs.begin(), kind_errs.end());
  std::string name(json::get_string(metadata_of(body), "name"));
  if (!errs.empty()) return errors::invalid(r.kind, r.group, name, errs);
  admission.name = name;
  KUBE_RETURN_IF_ERROR(run_validate(admission));

  if (r.custom) {
    sort_keys(body, a);
  } else {
    r.strategy->canonicalize(body, a);
  }
  if (options.dry_run) {
    result.object = kube::Object::adopt(std::move(body));
    result.created = true;
    return result;
  }
  Store::Commit commit = store_.create(r.storage_table, storage_key(r, namespace_, name),
                                       to_storage_doc(r, std::move(body)));
  if (commit.status == Store::Status::kAlreadyExists) {
    return errors::already_exists(r.group_resource(), name);
  }
  fire({resource, EventType::kAdded, commit.object, {}});
  result.object = served(r, commit.object);
  result.created = true;
  return result;
}

ApiResult<WriteResult> ObjectApi::update(const ResourcePtr& resource, std::string_view namespace_,
                                         std::string_view name, std::string_view subresource,
                                         json::Document body, const WriteOptions& options) {
  const ResourceInfo& r = *resource;
  KUBE_RETURN_IF_ERROR(check_decoded(r, body));
  Value& meta = metadata_of(body);
  std::string_view body_name = json::get_string(meta, "name");
  if (body_name.empty()) {
    json::set_string(meta, "name", name, body.GetAllocator());
  } else if (body_name != name) {
    return errors::bad_request("the name of the object (" + std::string(body_name) +
                               ") does not match the name on the URL (" + std::string(name) + ")");
  }
  std::string_view body_ns = json::get_string(meta, "namespace");
  if (r.namespaced) {
    if (!body_ns.empty() && body_ns != namespace_) {
      return errors::bad_request(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
    json::set_string(meta, "namespace", namespace_, body.GetAllocator());
  }
  if (!store_.get(r.storage_table, storage_key(r, namespace_, name)) &&
      r.strategy->allow_create_on_update() && subresource.empty()) {
    return create(resource, namespace_, std::move(body), options);
  }
  auto shared = std::make_shared<json::Document>(std::move(body));
  return guaranteed_update(
      resource, namespace_, name, subresource,
      [shared](const kube::Object&) -> ApiResult<json::Document> { return json::copy(*shared); },
      options);
}

ApiResult<WriteResult> ObjectApi::guaranteed_update(
    const ResourcePtr& resource, std::string_view namespace_, std::string_view name,
    std::string_view subresource, const Mutation& mutate, const WriteOptions& options) {
  const ResourceInfo& r = *resource;
  std::string key = storage_key(r, namespace_, name);
  for (int attempt = 0;; ++attempt) {
    kube::Object current = store_.get(r.storage_table, key);
    if (!current) return errors::not_found(r.group_resource(), name);
    KUBE_ASSIGN_OR_RETURN(json::Document desired, mutate(served(r, current)));
    bool conflict = false;
    auto result =
        update_once(resource, current, subresource, std::move(desired), options, &conflict);
    if (!conflict) return result;
    if (attempt >= 100) return errors::conflict_modified(r.group_resource(), name);
  }
}

ApiResult<WriteResult> ObjectApi::update_once(const ResourcePtr& resource,
                                              const kube::Object& current,
                                              std::string_view subresource, json::Document desired,
                                              const WriteOptions& options, bool* conflict) {
  const ResourceInfo& r = *resource;
  auto& a = desired.GetAllocator();
  WriteResult result;
  std::string name(current.name());
  std::string current_rv(current.resource_version());
  kube::Object old_served = served(r, current);
  const Value& old = old_served.json();
  const Value& old_meta = *old_served.metadata();

  Value& meta = metadata_of(desired);
  std::string_view wanted_uid = json::get_string(meta, "uid");
  if (!wanted_uid.empty() && wanted_uid != current.uid()) {
    return errors::conflict(r.group_resource(), name,
                            "Precondition failed: UID in precondition: " + std::string(wanted_uid) +
                                ", UID in object meta: " + std::string(current.uid()));
  }
  std::string_view wanted_rv = json::get_string(meta, "resourceVersion");
  if (!wanted_rv.empty() && wanted_rv != current_rv) {
    return errors::conflict_modified(r.group_resource(), name);
  }
  KUBE_RETURN_IF_ERROR(check_decoded(r, desired));
  json::set_string(desired, "kind", r.kind, a);
  json::set_string(desired, "apiVersion", r.api_version(), a);
  auto unknown = r.strategy->prune_unknown_fields(desired);
  if (!unknown.empty()) {
    if (options.field_validation == FieldValidation::kStrict) {
      std::string list;
      for (const auto& u : unknown) {
        if (!list.empty()) list.append(", ");
        list.append("unknown field " + go_quote(u));
      }
      return errors::bad_request(r.kind + " in version " + go_quote(r.version) +
                                 " cannot be handled as a " + r.kind +
                                 ": strict decoding error: " + list);
    }
    if (options.field_validation == FieldValidation::kWarn) {
      for (const auto& u : unknown)
        result.warnings.push_back("unknown field " + go_quote(u));
    }
  }
  r.strategy->apply_defaults(desired, a);

  if (subresource == "status") {
    // Only status changes; everything else is the stored object.
    replace_all_but(desired, old, "status", a);
  } else if (subresource == "finalize") {
    Value finalizers;
    if (const Value* want = json::find_path(desired, {"spec", "finalizers"}))
      finalizers.CopyFrom(*want, a);
    replace_all_but(desired, old, "", a);
    Value& spec = json::ensure_object(desired, "spec", a);
    if (finalizers.IsNull()) {
      json::remove(spec, "finalizers");
    } else {
      json::set(spec, "finalizers", std::move(finalizers), a);
    }
  } else if (r.has_status() && subresource != "binding") {
    copy_member(desired, old, "status", a);
  }
  Value& m = metadata_of(desired);
  for (std::string_view key : {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                               "deletionGracePeriodSeconds", "generation"}) {
    copy_member(m, old_meta, key, a);
  }
  json::remove(m, "selfLink");
  json::set_string(m, "resourceVersion", current_rv, a);
  if (subresource.empty()) r.strategy->prepare_for_update(desired, old, a);
  if (subresource != "binding") {
    KUBE_RETURN_IF_ERROR(record_update(r, desired, &old, subresource, options));
  }

  AdmissionRequest admission;
  admission.operation = Operation::kUpdate;
  admission.resource = resource;
  admission.subresource = std::string(subresource);
  admission.namespace_ = std::string(current.namespace_());
  admission.name = name;
  admission.object = &desired;
  admission.old_object = &old;
  admission.options = options.options;
  admission.dry_run = options.dry_run;
  admission.user = options.user;
  admission.warnings = &result.warnings;
  KUBE_RETURN_IF_ERROR(run_admit(admission));
  // After admission: a mutating webhook's change to the spec is a new generation too.
  if (r.has_generation && differs_outside(desired, old, {"metadata", "status"})) {
    json::set(metadata_of(desired), "generation",
              Value(json::get_int(old_meta, "generation", 0) + 1), a);
  }

  FieldErrors errs =
      validate_object_meta(metadata_of(desired), r.strategy->name_rule(), r.namespaced);
  FieldErrors update_errs = validate_object_meta_update(metadata_of(desired), old_meta);
  errs.insert(errs.end(), update_errs.begin(), update_errs.end());
  if (subresource.empty()) {
    FieldErrors kind_errs = r.strategy->validate_update(desired, old);
    errs.insert(errs.end(), kind_errs.begin(), kind_errs.end());
  }
  if (!errs.empty()) return errors::invalid(r.kind, r.group, name, errs);
  KUBE_RETURN_IF_ERROR(run_validate(admission));

  if (r.custom) {
    sort_keys(desired, a);
  } else {
    r.strategy->canonicalize(desired, a);
  }
  if (same_object(desired, old)) {
    result.object = old_served;
    return result;
  }
  if (options.dry_run) {
    result.object = kube::Object::adopt(std::move(desired));
    return result;
  }
  const Value& new_meta = metadata_of(desired);
  const Value* finalizers = json::find(new_meta, "finalizers");
  bool no_finalizers = finalizers == nullptr || !finalizers->IsArray() || finalizers->Empty();
  const Value* spec_finalizers = json::find_path(desired, {"spec", "finalizers"});
  bool namespace_pending = r.kind == "Namespace" && r.group.empty() && spec_finalizers != nullptr &&
                           spec_finalizers->IsArray() && !spec_finalizers->Empty();
  bool deleting = json::find(new_meta, "deletionTimestamp") != nullptr;
  std::int64_t grace = json::get_int(new_meta, "deletionGracePeriodSeconds", 0);
  std::string key = storage_key(r, current.namespace_(), name);
  if (deleting && no_finalizers && grace == 0 && !namespace_pending) {
    // The last finalizer is gone: the object goes instead of being updated.
    Store::Commit commit = store_.remove(r.storage_table, key, parse_rv(current_rv));
    if (commit.status == Store::Status::kConflict) {
      *conflict = true;
      return result;
    }
    if (commit.status == Store::Status::kNotFound)
      return errors::not_found(r.group_resource(), name);
    fire({resource, EventType::kDeleted, commit.object, current});
    result.object = kube::Object::adopt(std::move(desired));
    return result;
  }
  Store::Commit commit = store_.update(r.storage_table, key, to_storage_doc(r, std::move(desired)),
                                       parse_rv(current_rv));
  if (commit.status == Store::Status::kConflict) {
    *conflict = true;
    return result;
  }
  if (commit.status == Store::Status::kNotFound) return errors::not_found(r.group_resource(), name);
  if (!commit.noop) fire({resource, EventType::kModified, commit.object, current});
  result.object = served(r, commit.object);
  return result;
}

ApiResult<WriteResult> ObjectApi::patch(const ResourcePtr& resource, std::string_view namespace_,
                                        std::string_view name, std::string_view subresource,
                                        PatchType type, std::string_view body,
                                        const PatchOptions& options) {
  const ResourceInfo& r = *resource;
  if (subresource == "scale") return patch_scale(resource, namespace_, name, type, body, options);
  if (type == PatchType::kApply) {
    return apply_patch(resource, namespace_, name, subresource, body, options);
  }
  if (type == PatchType::kStrategic && r.custom) {
    return errors::unsupported_media_type(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml");
  }
  // The patch is decoded when applied, as the apiserver does: a missing object is a 404
  // whatever the body.
  auto text = std::make_shared<std::string>(body);
  auto patch_doc = std::make_shared<json::Document>();
  auto decoded = std::make_shared<std::optional<ApiError>>();
  auto decode = [text, patch_doc, decoded, type]() -> ApiStatus {
    if (patch_doc->IsNull() && !decoded->has_value()) {
      auto parsed = json::parse(*text);
      if (!parsed.ok()) {
        std::string why = "unexpected end of JSON input";
        if (auto offset = text->find_first_not_of(" \t\r\n"); offset != std::string::npos) {
          char c = (*text)[offset];
          if (c != '{' && c != '[' && c != '"' && c != '-' && !(c >= '0' && c <= '9') && c != 't' &&
              c != 'f' && c != 'n') {
            why = "invalid character " + go_quote_char(static_cast<unsigned char>(c)) +
                  " looking for beginning of value";
          }
        }
        *decoded = errors::bad_request("error decoding patch: " + why);
      } else if (type == PatchType::kJson && !parsed->IsArray()) {
        *decoded = errors::bad_request("json: cannot unmarshal " +
                                       std::string(parsed->IsObject() ? "object" : "value") +
                                       " into Go value of type jsonpatch.Patch");
      } else if (type != PatchType::kJson && !parsed->IsObject()) {
        *decoded = errors::bad_request("error decoding patch: json: cannot unmarshal " +
                                       std::string(parsed->IsArray() ? "array" : "value") +
                                       " into Go value of type map[string]interface {}");
      } else {
        *patch_doc = std::move(parsed).value();
      }
    }
    if (decoded->has_value()) return **decoded;
    return {};
  };
  std::string kind = r.kind;
  return guaranteed_update(
      resource, namespace_, name, subresource,
      [patch_doc, type, kind, decode](const kube::Object& current) -> ApiResult<json::Document> {
        KUBE_RETURN_IF_ERROR(decode());
        json::Document doc = current.copy();
        switch (type) {
          case PatchType::kJson: {
            auto st = kube::patch::apply_json_patch(doc, *patch_doc);
            if (!st.ok()) return errors::json_patch_failed();
            break;
          }
          case PatchType::kMerge: {
            auto st = kube::patch::apply_merge_patch(doc, *patch_doc);
            if (!st.ok()) return ApiError(st.error());
            break;
          }
          case PatchType::kStrategic: {
            auto st = kube::patch::apply_strategic_merge_patch(doc, *patch_doc, kind);
            if (!st.ok()) return ApiError(st.error());
            break;
          }
          case PatchType::kApply:
            break;
        }
        return doc;
      },
      options);
}

ApiResult<WriteResult> ObjectApi::apply_patch(const ResourcePtr& resource,
                                              std::string_view namespace_, std::string_view name,
                                              std::string_view subresource, std::string_view body,
                                              const PatchOptions& options) {
  const ResourceInfo& r = *resource;
  if (options.field_manager.empty()) {
    ApiError e =
        errors::invalid("PatchOptions", "meta.k8s.io", "",
                        {FieldError::required("fieldManager", "is required for apply patch")});
    return e;
  }
  auto fm = field_manager();
  if (!fm) return errors::internal("server-side apply is not available in this build");
  auto applied = std::make_shared<json::Document>();
  {
    auto parsed = json::parse(body);
    if (parsed.ok()) {
      *applied = std::move(parsed).value();
    } else {
      return errors::bad_request("error decoding YAML: " + parsed.error().message);
    }
  }
  if (!applied->IsObject()) return errors::bad_request("error decoding patch: not an object");
  std::string key = storage_key(r, namespace_, name);
  ManagerInfo who{options.field_manager, r.api_version(), std::string(subresource),
                  std::chrono::system_clock::now()};
  if (!store_.get(r.storage_table, key) && subresource.empty()) {
    KUBE_ASSIGN_OR_RETURN(json::Document merged, fm->apply(nullptr, *applied, who, options.force));
    Value& meta = metadata_of(merged);
    if (json::get_string(meta, "name").empty()) {
      json::set_string(meta, "name", name, merged.GetAllocator());
    }
    // The merged object carries the apply entry in managedFields; create keeps them as given.
    WriteOptions create_options = options;
    create_options.field_manager.clear();
    return create(resource, namespace_, std::move(merged), create_options);
  }
  WriteOptions update_options = options;
  update_options.field_manager.clear();  // apply records its own managedFields
  return guaranteed_update(
      resource, namespace_, name, subresource,
      [fm, applied, who, force = options.force](const kube::Object& current)
          -> ApiResult<json::Document> { return fm->apply(&current.json(), *applied, who, force); },
      update_options);
}

}  // namespace berth::sim
