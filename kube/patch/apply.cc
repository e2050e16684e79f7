#include "kube/patch/apply.h"

#include <algorithm>
#include <map>
#include <optional>

#include "kube/patch/field_set.h"
#include "kube/patch/json_util.h"
#include "kube/patch/schema.h"
#include "kube/patch/structured.h"

namespace kube::patch {
namespace {

using internal::member;

constexpr std::size_t kMaxUpdateManagers = 10;
constexpr std::size_t kMaxManagerLength = 128;
constexpr std::string_view kBeforeFirstApply = "before-first-apply";
constexpr std::string_view kAncientChanges = "ancient-changes";

// One metadata.managedFields entry.
struct Manager {
  std::string manager;
  std::string operation;    // "Apply" or "Update"
  std::string api_version;  // the version of `fields`
  std::string subresource;
  std::string time;  // as written; empty when absent
  FieldSet fields;

  bool applied() const { return operation == "Apply"; }
  // The apiserver's identity of a manager: appliers are one manager across versions.
  std::string id() const {
    std::string out = "{\"manager\":" + internal::json_quote(manager) +
                      ",\"operation\":" + internal::json_quote(operation);
    if (!applied()) out += ",\"apiVersion\":" + internal::json_quote(api_version);
    if (!subresource.empty()) out += ",\"subresource\":" + internal::json_quote(subresource);
    return out + "}";
  }
  // How conflict messages name the manager.
  std::string display() const {
    std::string out = internal::go_quote(manager);
    if (!subresource.empty()) out += " with subresource " + internal::go_quote(subresource);
    if (!applied()) out += " using " + api_version;
    return out;
  }
  std::int64_t seconds() const {
    if (time.empty()) return 0;
    auto t = parse_time(time);
    return t ? std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count() : 0;
  }
};

using Managers = std::map<std::string, Manager>;  // by id()

Error server_error(std::string message) {
  return Error::make(Reason::kUnknown, std::move(message), 500);
}

const json::Value* managed_fields_of(const json::Value& object) {
  const json::Value* md = member(object, "metadata");
  return md != nullptr ? member(*md, "managedFields") : nullptr;
}

void remove_managed_fields(json::Value& object) {
  if (json::Value* md = member(object, "metadata")) internal::erase_member(*md, "managedFields");
}

Result<Managers> decode(const json::Value* entries) {
  Managers out;
  if (entries == nullptr || entries->IsNull()) return out;
  if (!entries->IsArray()) return server_error("metadata.managedFields must be a list");
  for (rapidjson::SizeType i = 0; i < entries->Size(); ++i) {
    const json::Value& e = (*entries)[i];
    if (!e.IsObject()) return server_error("managed fields entries must be objects");
    Manager m;
    m.manager = std::string(json::get_string(e, "manager"));
    m.operation = std::string(json::get_string(e, "operation"));
    m.api_version = std::string(json::get_string(e, "apiVersion"));
    m.subresource = std::string(json::get_string(e, "subresource"));
    m.time = std::string(json::get_string(e, "time"));
    if (m.operation != "Apply" && m.operation != "Update") {
      return server_error("operation must be `Apply` or `Update`");
    }
    if (m.api_version.empty()) return server_error("apiVersion must not be empty");
    std::string_view type = json::get_string(e, "fieldsType");
    if (type.empty()) {
      return server_error("missing fieldsType in managed fields entry " + std::to_string(i));
    }
    if (type != "FieldsV1") {
      return server_error("invalid fieldsType " + internal::go_quote(type) +
                          " in managed fields entry " + std::to_string(i));
    }
    if (const json::Value* fields = member(e, "fieldsV1"); fields != nullptr && !fields->IsNull()) {
      auto set = FieldSet::from_fields_v1(*fields);
      if (!set.ok()) return server_error("error decoding set: " + set.error().message);
      m.fields = std::move(*set);
    }
    out[m.id()] = std::move(m);
  }
  return out;
}

// Writes the entries in the apiserver's order (Apply before Update, then oldest first).
void encode(const Managers& managers, json::Document& object) {
  json::Allocator& a = object.GetAllocator();
  std::vector<const Manager*> sorted;
  for (const auto& [id, m] : managers)
    sorted.push_back(&m);
  std::sort(sorted.begin(), sorted.end(), [](const Manager* p, const Manager* q) {
    if (p->operation != q->operation) return p->operation < q->operation;
    if (p->seconds() != q->seconds()) return p->seconds() < q->seconds();
    if (p->manager != q->manager) return p->manager < q->manager;
    if (p->api_version != q->api_version) return p->api_version < q->api_version;
    return p->subresource < q->subresource;
  });
  if (!object.IsObject()) return;
  if (sorted.empty()) {
    remove_managed_fields(object);
    return;
  }
  json::Value list(rapidjson::kArrayType);
  for (const Manager* m : sorted) {
    json::Value e(rapidjson::kObjectType);
    e.AddMember("manager", json::make_string(m->manager, a), a);
    e.AddMember("operation", json::make_string(m->operation, a), a);
    e.AddMember("apiVersion", json::make_string(m->api_version, a), a);
    if (!m->time.empty()) e.AddMember("time", json::make_string(m->time, a), a);
    e.AddMember("fieldsType", "FieldsV1", a);
    e.AddMember("fieldsV1", m->fields.to_fields_v1(a), a);
    if (!m->subresource.empty())
      e.AddMember("subresource", json::make_string(m->subresource, a), a);
    list.PushBack(std::move(e), a);
  }
  // In place when the object already lists managedFields, so member order is kept.
  json::Value& metadata = json::ensure_object(object, "metadata", a);
  internal::set_member(metadata, "managedFields", std::move(list), a);
}

// Fields no manager ever owns.
FieldSet strip_set() {
  FieldSet s;
  auto f = [](std::string_view name) { return PathElement::of_field(name); };
  s.insert({f("apiVersion")});
  s.insert({f("kind")});
  s.insert({f("metadata")});
  for (std::string_view name : {"name", "namespace", "creationTimestamp", "selfLink", "uid",
                                "clusterName", "generation", "managedFields", "resourceVersion"}) {
    s.insert({f("metadata"), f(name)});
  }
  return s;
}

FieldSet ignored_set(const std::vector<std::string>& dotted) {
  FieldSet s;
  for (const std::string& d : dotted) {
    FieldPath path;
    std::size_t start = 0;
    while (start <= d.size()) {
      std::size_t dot = d.find('.', start);
      std::string_view part = std::string_view(d).substr(
          start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!part.empty()) path.push_back(PathElement::of_field(part));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (!path.empty()) s.insert(std::move(path));
  }
  return s;
}

void exclude(internal::Comparison& c, const FieldSet& ignored) {
  if (ignored.empty()) return;
  c.added = c.added.recursive_difference(ignored);
  c.modified = c.modified.recursive_difference(ignored);
  c.removed = c.removed.recursive_difference(ignored);
}

json::Document parse_zero(std::string_view kind, std::string_view api_version) {
  auto doc = json::parse(zero_object(kind, api_version));
  return doc.ok() ? std::move(doc).value() : json::Document(rapidjson::kObjectType);
}

// Other managers give up what the write changed or removed; with `force` false a change to a
// field someone else owns is reported instead.
struct Conflict {
  const Manager* owner;
  FieldPath path;
};

std::vector<Conflict> take_ownership(Managers& managers, const std::string& writer,
                                     const internal::Comparison& c, bool force) {
  FieldSet changed = c.modified.union_with(c.added);
  std::vector<Conflict> conflicts;
  for (auto& [id, m] : managers) {
    if (id == writer) continue;
    FieldSet lost = m.fields.intersection(changed);
    for (const FieldPath& p : lost.paths())
      conflicts.push_back({&m, p});
  }
  if (!force && !conflicts.empty()) return conflicts;
  for (auto& [id, m] : managers) {
    if (id == writer) continue;
    m.fields = m.fields.difference(changed).difference(c.removed);
  }
  std::erase_if(managers, [](const auto& e) { return e.second.fields.empty(); });
  return {};
}

Error conflict_error(std::vector<Conflict> conflicts) {
  std::sort(conflicts.begin(), conflicts.end(), [](const Conflict& a, const Conflict& b) {
    if (a.owner->id() != b.owner->id()) return a.owner->id() < b.owner->id();
    return a.path < b.path;
  });
  Error e = Error::make(Reason::kConflict, "", 409);
  for (const Conflict& c : conflicts) {
    e.causes.push_back(
        {"FieldManagerConflict", "conflict with " + c.owner->display(), path_string(c.path)});
  }
  if (conflicts.size() == 1) {
    e.message = "Apply failed with 1 conflict: conflict with " + conflicts[0].owner->display() +
                ": " + path_string(conflicts[0].path);
    return e;
  }
  std::string text;
  const Manager* current = nullptr;
  for (const Conflict& c : conflicts) {
    if (current == nullptr || current->id() != c.owner->id()) {
      if (!text.empty()) text += "\n";
      text += "conflicts with " + c.owner->display() + ":";
      current = c.owner;
    }
    text += "\n- " + path_string(c.path);
  }
  e.message = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: " + text;
  return e;
}

// Keeps at most kMaxUpdateManagers Update entries by merging the oldest ones, per apiVersion,
// into an "ancient-changes" entry.
void cap_update_managers(Managers& managers) {
  std::vector<std::string> updaters;
  for (const auto& [id, m] : managers) {
    if (!m.applied()) updaters.push_back(id);
  }
  if (updaters.size() <= kMaxUpdateManagers) return;
  std::sort(updaters.begin(), updaters.end(), [&](const std::string& x, const std::string& y) {
    std::int64_t sx = managers[x].seconds();
    std::int64_t sy = managers[y].seconds();
    return sx != sy ? sx < sy : x < y;
  });
  std::map<std::string, std::string> first_of_version;
  std::size_t count = updaters.size();
  for (std::size_t i = 0; i < updaters.size() && count > kMaxUpdateManagers; ++i) {
    Manager m = managers[updaters[i]];
    Manager bucket;
    bucket.manager = std::string(kAncientChanges);
    bucket.operation = "Update";
    bucket.api_version = m.api_version;
    std::string bucket_id = bucket.id();
    auto first = first_of_version.find(m.api_version);
    if (first == first_of_version.end()) {
      first_of_version.emplace(m.api_version, updaters[i]);
      continue;
    }
    if (managers.count(bucket_id) == 0) {
      bucket.fields = managers[first->second].fields;
      managers.erase(first->second);
      managers[bucket_id] = bucket;
    }
    Manager& b = managers[bucket_id];
    b.fields = b.fields.union_with(m.fields);
    b.time = m.time;
    managers.erase(updaters[i]);
    --count;
  }
}

// The Update bookkeeping shared by track_update and the first apply to an untracked object.
Status record_update(Managers& managers, const json::Value& before, const json::Value& after,
                     const internal::Node& root, Manager writer, const FieldSet& ignored,
                     std::string_view now) {
  KUBE_ASSIGN_OR_RETURN(internal::Comparison c, internal::compare(&before, &after, root));
  exclude(c, ignored);
  // Nobody is exempt: the writer's own earlier entry gives way too, then absorbs the new set.
  take_ownership(managers, /*writer=*/"", c, true);
  FieldSet taken =
      c.modified.union_with(c.added).difference(c.removed).recursive_difference(ignored).difference(
          strip_set());
  if (!taken.empty()) {
    std::string id = writer.id();
    if (auto it = managers.find(id); it != managers.end())
      taken = taken.union_with(it->second.fields);
    writer.fields = std::move(taken);
    writer.time = std::string(now);
    managers[id] = std::move(writer);
  }
  cap_update_managers(managers);
  return ok_status();
}

std::string_view kind_of(const json::Value& object, const FieldManagerOptions& options) {
  if (!options.kind.empty()) return options.kind;
  return json::get_string(object, "kind");
}

}  // namespace

std::string manager_from_user_agent(std::string_view user_agent) {
  std::string_view prefix = user_agent.substr(0, user_agent.find('/'));
  std::string out;
  for (char c : prefix) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) continue;
    if (out.size() + 1 > kMaxManagerLength) break;
    out += c;
  }
  return out;
}

json::Document track_update(const json::Value& new_object, const json::Value* old_object,
                            std::string_view manager, std::string_view api_version, SystemTime now,
                            const FieldManagerOptions& options) {
  json::Document result = json::copy(new_object);
  if (!result.IsObject()) return result;
  json::Document after = json::copy(new_object);
  remove_managed_fields(after);

  // Which managedFields to start from: the request's, unless it is a subresource write or they
  // are missing or invalid; [] or [{}] resets them.
  const json::Value* requested = managed_fields_of(new_object);
  const json::Value* stored = old_object != nullptr ? managed_fields_of(*old_object) : nullptr;
  Managers managers;
  bool reset = requested != nullptr && requested->IsArray() &&
               (requested->Empty() || (requested->Size() == 1 && (*requested)[0].IsObject() &&
                                       (*requested)[0].ObjectEmpty()));
  if (!reset) {
    auto from_request =
        options.subresource.empty() ? decode(requested) : Result<Managers>(Managers{});
    if (from_request.ok() && !from_request->empty()) {
      managers = std::move(*from_request);
    } else {
      auto from_stored = decode(stored);
      if (from_stored.ok()) managers = std::move(*from_stored);
    }
  }

  bool exists =
      old_object != nullptr && json::find_path(*old_object, {"metadata", "uid"}) != nullptr;
  // Objects written without managedFields stay untracked until their first apply.
  if (managers.empty() && exists) {
    remove_managed_fields(result);
    return result;
  }

  std::string_view kind = kind_of(new_object, options);
  internal::Node root{schema_for_kind(kind), nullptr};
  json::Document before =
      old_object != nullptr ? json::copy(*old_object) : parse_zero(kind, api_version);
  remove_managed_fields(before);

  Manager writer;
  writer.manager = manager.empty() ? "unknown" : std::string(manager);
  writer.operation = "Update";
  writer.api_version = std::string(api_version);
  writer.subresource = options.subresource;
  Status st = record_update(managers, before, after, root, std::move(writer),
                            ignored_set(options.ignored_fields), format_time(now));
  if (!st.ok()) {
    // As the apiserver: the write proceeds, without managedFields rather than wrong ones.
    remove_managed_fields(result);
    return result;
  }
  encode(managers, result);
  return result;
}

Result<json::Document> server_side_apply(const json::Value* live, const json::Value& applied,
                                         std::string_view manager, bool force,
                                         std::string_view kind, std::string_view api_version,
                                         SystemTime now, const FieldManagerOptions& options) {
  if (manager.empty()) {
    Error e = Error::make(Reason::kInvalid,
                          "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: "
                          "is required for apply patch",
                          422);
    e.kind = "PatchOptions";
    e.causes.push_back(
        {"FieldValueRequired", "Required value: is required for apply patch", "fieldManager"});
    return e;
  }
  if (!applied.IsObject()) {
    return Error::make(Reason::kBadRequest, "an apply configuration must be an object", 400);
  }
  std::string_view patch_version = json::get_string(applied, "apiVersion");
  if (patch_version != api_version) {
    return Error::make(Reason::kBadRequest,
                       "Incorrect version specified in apply patch. Specified patch version: " +
                           std::string(patch_version) + ", expected: " + std::string(api_version),
                       400);
  }
  if (const json::Value* mf = managed_fields_of(applied); mf != nullptr && !mf->IsNull()) {
    return Error::make(Reason::kBadRequest, "metadata.managedFields must be nil", 400);
  }
  if (live != nullptr && !live->IsObject()) return server_error("the live object is not an object");

  internal::Node root{schema_for_kind(kind), nullptr};
  FieldSet ignored = ignored_set(options.ignored_fields);
  std::string stamp = format_time(now);

  KUBE_ASSIGN_OR_RETURN(Managers managers,
                        decode(live != nullptr ? managed_fields_of(*live) : nullptr));
  json::Document base(rapidjson::kObjectType);
  if (live != nullptr) {
    base.CopyFrom(*live, base.GetAllocator());
    remove_managed_fields(base);
    if (managers.empty()) {
      // The fields an object already has before its first apply belong to someone.
      Manager before_first;
      before_first.manager = std::string(kBeforeFirstApply);
      before_first.operation = "Update";
      before_first.api_version = std::string(api_version);
      before_first.subresource = options.subresource;
      KUBE_RETURN_IF_ERROR(record_update(managers, parse_zero(kind, api_version), base, root,
                                         std::move(before_first), ignored, stamp));
    }
  }

  // The configuration without the fields this write may not set.
  json::Document config = json::copy(applied);
  KUBE_RETURN_IF_ERROR(internal::remove_paths(config, ignored, root));

  Manager writer;
  writer.manager = std::string(manager);
  writer.operation = "Apply";
  writer.api_version = std::string(api_version);
  writer.subresource = options.subresource;
  std::string id = writer.id();

  KUBE_ASSIGN_OR_RETURN(FieldSet set, internal::to_field_set(config, root));
  set = set.recursive_difference(ignored);

  json::Document merged;
  {
    KUBE_ASSIGN_OR_RETURN(auto value, internal::merge(&base, &config, root, merged.GetAllocator()));
    if (value.has_value()) {
      static_cast<json::Value&>(merged) = std::move(*value);
    } else {
      merged.SetObject();
    }
  }

  // Fields this manager applied before and no longer does go, unless someone else owns them
  // (or something below them).
  std::optional<FieldSet> last;
  if (auto it = managers.find(id); it != managers.end()) last = it->second.fields;
  if (last) {
    FieldSet others = set;
    for (const auto& [other_id, m] : managers) {
      if (other_id != id) others = others.union_with(m.fields);
    }
    FieldSet prune;
    for (const FieldPath& p : last->paths()) {
      if (!set.contains(p) && !others.has_prefix(p)) prune.insert(p);
    }
    KUBE_RETURN_IF_ERROR(internal::remove_paths(merged, prune, root));
  }

  KUBE_ASSIGN_OR_RETURN(internal::Comparison c, internal::compare(&base, &merged, root));
  exclude(c, ignored);
  std::vector<Conflict> conflicts = take_ownership(managers, id, c, force);
  if (!conflicts.empty()) return conflict_error(std::move(conflicts));

  writer.fields = set.difference(strip_set());
  bool changed = live == nullptr || !c.same();
  auto previous = managers.find(id);
  // The entry's time says when the object last changed through it.
  writer.time = changed ? stamp : previous != managers.end() ? previous->second.time : "";
  if (writer.fields.empty()) {
    managers.erase(id);
  } else {
    managers[id] = std::move(writer);
  }

  json::Document result;
  if (changed) {
    result.Swap(merged);
  } else {
    result.CopyFrom(*live, result.GetAllocator());
  }
  encode(managers, result);
  return result;
}

}  // namespace kube::patch
