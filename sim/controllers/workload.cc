#include "sim/controllers/workload.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "kube/core/strings.h"
#include "kube/core/time.h"

namespace berth::sim::workload {

namespace json = kube::json;
using json::Value;

namespace {

const Value* find_condition(const kube::Object& pod, std::string_view type) {
  const Value* status = pod.status();
  const Value* conditions = status != nullptr ? json::find(*status, "conditions") : nullptr;
  if (conditions == nullptr || !conditions->IsArray()) return nullptr;
  for (const auto& c : conditions->GetArray()) {
    if (json::get_string(c, "type") == type) return &c;
  }
  return nullptr;
}

// JSON with object keys sorted, so equal templates hash equally whatever their key order.
void canonical(const Value& v, std::string& out) {
  if (v.IsObject()) {
    std::vector<const Value::Member*> members;
    for (const auto& m : v.GetObject())
      members.push_back(&m);
    std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) {
      return json::as_string(a->name) < json::as_string(b->name);
    });
    out.push_back('{');
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out.push_back(',');
      json::dump_to(members[i]->name, out);
      out.push_back(':');
      canonical(members[i]->value, out);
    }
    out.push_back('}');
  } else if (v.IsArray()) {
    out.push_back('[');
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      if (i > 0) out.push_back(',');
      canonical(v[i], out);
    }
    out.push_back(']');
  } else {
    json::dump_to(v, out);
  }
}

std::uint32_t fnv1a32(std::string_view data, std::uint32_t h = 2166136261u) {
  for (unsigned char c : data) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

}  // namespace

bool pod_ready(const kube::Object& pod) {
  const Value* c = find_condition(pod, "Ready");
  return c != nullptr && json::get_string(*c, "status") == "True";
}

std::optional<SystemTime> pod_ready_since(const kube::Object& pod) {
  const Value* c = find_condition(pod, "Ready");
  if (c == nullptr || json::get_string(*c, "status") != "True") return std::nullopt;
  auto t = kube::parse_time(json::get_string(*c, "lastTransitionTime"));
  // A ready pod without a transition time counts as ready since forever (as Kubernetes does).
  return t.value_or(SystemTime{});
}

bool pod_available(const kube::Object& pod, std::int64_t min_ready_seconds, SystemTime now) {
  auto since = pod_ready_since(pod);
  if (!since) return false;
  if (min_ready_seconds <= 0) return true;
  return *since + std::chrono::seconds(min_ready_seconds) <= now;
}

bool pod_active(const kube::Object& pod) {
  if (pod.being_deleted()) return false;
  const Value* status = pod.status();
  std::string_view phase = status != nullptr ? json::get_string(*status, "phase") : "";
  return phase != "Succeeded" && phase != "Failed";
}

int pod_restarts(const kube::Object& pod) {
  const Value* status = pod.status();
  const Value* statuses = status != nullptr ? json::find(*status, "containerStatuses") : nullptr;
  int total = 0;
  if (statuses != nullptr && statuses->IsArray()) {
    for (const auto& s : statuses->GetArray())
      total += static_cast<int>(json::get_int(s, "restartCount"));
  }
  return total;
}

const Value* controller_ref(const kube::Object& object) {
  const Value* meta = object.metadata();
  const Value* refs = meta != nullptr ? json::find(*meta, "ownerReferences") : nullptr;
  if (refs == nullptr || !refs->IsArray()) return nullptr;
  for (const auto& r : refs->GetArray()) {
    if (json::get_bool(r, "controller")) return &r;
  }
  return nullptr;
}

Value controller_reference(const kube::Object& owner, json::Allocator& a) {
  Value ref(rapidjson::kObjectType);
  json::set_string(ref, "apiVersion", owner.api_version(), a);
  json::set_string(ref, "kind", owner.kind(), a);
  json::set_string(ref, "name", owner.name(), a);
  json::set_string(ref, "uid", owner.uid(), a);
  json::set(ref, "controller", Value(true), a);
  json::set(ref, "blockOwnerDeletion", Value(true), a);
  return ref;
}

std::string pod_template_hash(const Value& pod_template,
                              std::optional<std::int64_t> collision_count) {
  std::string text;
  canonical(pod_template, text);
  std::uint32_t h = fnv1a32(text);
  if (collision_count) {
    auto c = static_cast<std::uint32_t>(*collision_count);
    unsigned char bytes[8] = {static_cast<unsigned char>(c),
                              static_cast<unsigned char>(c >> 8),
                              static_cast<unsigned char>(c >> 16),
                              static_cast<unsigned char>(c >> 24),
                              0,
                              0,
                              0,
                              0};
    h = fnv1a32(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)), h);
  }
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string digits = std::to_string(h);
  for (auto& ch : digits)
    ch = kAlphabet[static_cast<unsigned char>(ch) % kAlphabet.size()];
  return digits;
}

bool equal_ignore_hash(const Value& a, const Value& b) {
  json::Document ca = json::copy(a);
  json::Document cb = json::copy(b);
  for (json::Document* d : {&ca, &cb}) {
    Value* meta = json::find(*d, "metadata");
    Value* labels = meta != nullptr ? json::find(*meta, "labels") : nullptr;
    if (labels != nullptr) {
      json::remove(*labels, kPodTemplateHashLabel);
      if (labels->IsObject() && labels->MemberCount() == 0) json::remove(*meta, "labels");
    }
  }
  return json::equal(ca, cb);
}

kube::Result<std::int64_t> scaled_value(const Value* v, std::int64_t total, bool round_up) {
  if (v == nullptr || v->IsNull()) return std::int64_t{0};
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsString()) {
    std::string_view s = json::as_string(*v);
    if (!s.empty() && s.back() == '%') {
      auto n = kube::parse_int(s.substr(0, s.size() - 1));
      if (n && *n >= 0) {
        std::int64_t product = *n * total;
        return round_up ? (product + 99) / 100 : product / 100;
      }
    }
    return kube::Error::make(kube::Reason::kInvalid,
                             "invalid value for IntOrString: invalid value \"" + std::string(s) +
                                 "\": must be an integer or a percentage");
  }
  return kube::Error::make(kube::Reason::kInvalid, "invalid value for IntOrString");
}

kube::Result<Fenceposts> resolve_fenceposts(const Value* max_surge, const Value* max_unavailable,
                                            std::int64_t desired) {
  Fenceposts f;
  KUBE_ASSIGN_OR_RETURN(f.max_surge, scaled_value(max_surge, desired, true));
  KUBE_ASSIGN_OR_RETURN(f.max_unavailable, scaled_value(max_unavailable, desired, false));
  if (f.max_surge == 0 && f.max_unavailable == 0) f.max_unavailable = 1;
  return f;
}

std::int64_t new_rs_new_replicas(std::int64_t replicas, std::int64_t max_surge,
                                 const std::vector<ReplicaSetCounts>& all, std::int64_t new_spec) {
  std::int64_t current = 0;
  for (const auto& rs : all)
    current += std::max(rs.spec, rs.status);
  std::int64_t max_total = replicas + max_surge;
  if (current >= max_total) return new_spec;
  std::int64_t scale_up = std::min(max_total - current, replicas - new_spec);
  return new_spec + std::max<std::int64_t>(scale_up, 0);
}

std::vector<std::int64_t> proportional_sizes(const std::vector<ReplicaSetCounts>& active,
                                             std::int64_t replicas, std::int64_t max_surge,
                                             std::int64_t status_replicas) {
  std::vector<std::int64_t> sizes(active.size());
  if (active.empty()) return sizes;
  std::int64_t all = 0;
  for (const auto& rs : active)
    all += rs.spec;
  std::int64_t allowed = replicas > 0 ? replicas + max_surge : 0;
  std::int64_t to_add = allowed - all;
  std::vector<std::size_t> order(active.size());
  std::iota(order.begin(), order.end(), 0);
  // Growing favours the largest (newest on ties); shrinking the largest (oldest on ties).
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (active[a].spec != active[b].spec) return active[a].spec > active[b].spec;
    return to_add > 0 ? active[a].created > active[b].created
                      : active[a].created < active[b].created;
  });
  std::int64_t added = 0;
  for (std::size_t i : order) {
    const auto& rs = active[i];
    std::int64_t proportion = 0;
    if (to_add != 0 && rs.spec != 0 && to_add != added) {
      std::int64_t fraction = 0;
      if (replicas == 0) {
        fraction = -rs.spec;
      } else {
        std::int64_t annotated = rs.max_replicas.value_or(status_replicas);
        if (annotated > 0) {
          double size = static_cast<double>(rs.spec * (replicas + max_surge)) /
                        static_cast<double>(annotated);
          fraction = static_cast<std::int64_t>(std::round(size)) - rs.spec;
        }
      }
      std::int64_t remaining = to_add - added;
      proportion = to_add > 0 ? std::min(fraction, remaining) : std::max(fraction, remaining);
    }
    sizes[i] = rs.spec + proportion;
    added += proportion;
  }
  sizes[order.front()] += to_add - added;
  for (auto& s : sizes)
    s = std::max<std::int64_t>(s, 0);
  return sizes;
}

}  // namespace berth::sim::workload
