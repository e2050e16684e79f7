#include "scheduler-extender/config/config.h"

#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "kube/core/json.h"
#include "kube/core/yaml.h"
#include "scheduler-extender/policies/inter_pod_affinity.h"
#include "scheduler-extender/policies/node_affinity.h"
#include "scheduler-extender/policies/taint_toleration.h"

namespace berth::extender {

namespace json = kube::json;

namespace {

kube::Error invalid(std::string_view origin, std::string message) {
  return kube::Error::make(kube::Reason::kInvalid, std::string(origin) + ": " + message);
}

// Walks one object of the document: every member must be claimed by a handler, and each
// handler checks its value's type and range.
class Section {
 public:
  Section(const json::Value& value, std::string path, std::string_view origin)
      : value_(value), path_(std::move(path)), origin_(origin) {}

  kube::Status check_object() const {
    if (!value_.IsObject()) return invalid(origin_, where() + "must be a mapping");
    return {};
  }

  using Handler = std::function<kube::Status(const json::Value& value, const std::string& path)>;
  kube::Status members(const std::map<std::string, Handler>& handlers) const {
    KUBE_RETURN_IF_ERROR(check_object());
    for (const auto& m : value_.GetObject()) {
      std::string key(json::as_string(m.name));
      auto it = handlers.find(key);
      if (it == handlers.end()) {
        return invalid(origin_, "unknown key \"" + child(key) + "\"");
      }
      KUBE_RETURN_IF_ERROR(it->second(m.value, child(key)));
    }
    return {};
  }

 private:
  std::string where() const { return path_.empty() ? "the document " : path_ + " "; }
  std::string child(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
  }

  const json::Value& value_;
  std::string path_;
  std::string_view origin_;
};

class Parser {
 public:
  explicit Parser(std::string_view origin) : origin_(origin) {}

  Section::Handler boolean(bool& out) const {
    return [this, &out](const json::Value& v, const std::string& path) -> kube::Status {
      if (!v.IsBool()) return invalid(origin_, path + " must be true or false");
      out = v.GetBool();
      return {};
    };
  }

  template <typename T>
  Section::Handler integer(T& out, std::int64_t min, std::int64_t max) const {
    return [this, &out, min, max](const json::Value& v, const std::string& path) -> kube::Status {
      if (!v.IsInt64() || v.GetInt64() < min || v.GetInt64() > max) {
        return invalid(origin_, path + " must be an integer from " + std::to_string(min) + " to " +
                                    std::to_string(max));
      }
      out = static_cast<T>(v.GetInt64());
      return {};
    };
  }

  Section::Handler path(std::string& out) const {
    return [this, &out](const json::Value& v, const std::string& where) -> kube::Status {
      std::string_view p = json::as_string(v);
      if (!v.IsString() || p.size() < 2 || p[0] != '/' ||
          p.find_first_of("?# ") != std::string_view::npos) {
        return invalid(origin_, where + " must be a URL path such as \"/filter\"");
      }
      out = std::string(p);
      return {};
    };
  }

  Section::Handler string_list(std::vector<std::string>& out) const {
    return [this, &out](const json::Value& v, const std::string& where) -> kube::Status {
      if (!v.IsArray()) return invalid(origin_, where + " must be a list of strings");
      out.clear();
      for (const auto& e : v.GetArray()) {
        if (!e.IsString() || e.GetStringLength() == 0) {
          return invalid(origin_, where + " must be a list of non-empty strings");
        }
        out.emplace_back(json::as_string(e));
      }
      return {};
    };
  }

  Section::Handler section(std::function<std::map<std::string, Section::Handler>()> members) const {
    return [this, members](const json::Value& v, const std::string& where) -> kube::Status {
      return Section(v, where, origin_).members(members());
    };
  }

  Section::Handler toggle(PolicyToggle& t,
                          std::map<std::string, Section::Handler> extra = {}) const {
    return [this, &t, extra](const json::Value& v, const std::string& where) -> kube::Status {
      std::map<std::string, Section::Handler> m = extra;
      m["enabled"] = boolean(t.enabled);
      m["weight"] = integer(t.weight, 0, 100);
      return Section(v, where, origin_).members(m);
    };
  }

  std::string_view origin_;
};

kube::Status parse_document(const json::Value& root, std::string_view origin, ExtenderConfig& c) {
  Parser p(origin);
  auto constant = [&](std::string_view want) -> Section::Handler {
    return [&origin, want](const json::Value& v, const std::string& where) -> kube::Status {
      if (json::as_string(v) != want) {
        return invalid(origin, where + " must be \"" + std::string(want) + "\"");
      }
      return {};
    };
  };
  auto strategy = [&](const json::Value& v, const std::string& where) -> kube::Status {
    std::string_view s = json::as_string(v);
    using S = ResourceFitOptions::Strategy;
    if (s == "LeastAllocated") {
      c.fit.strategy = S::kLeastAllocated;
    } else if (s == "MostAllocated") {
      c.fit.strategy = S::kMostAllocated;
    } else if (s == "BalancedAllocation") {
      c.fit.strategy = S::kBalancedAllocation;
    } else {
      return invalid(origin,
                     where + " must be LeastAllocated, MostAllocated or BalancedAllocation");
    }
    return {};
  };
  auto resources = [&](const json::Value& v, const std::string& where) -> kube::Status {
    if (!v.IsArray()) return invalid(origin, where + " must be a list of {name, weight}");
    c.fit.resources.clear();
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      ResourceFitOptions::Resource r;
      std::string at = where + "[" + std::to_string(i) + "]";
      KUBE_RETURN_IF_ERROR(Section(v[i], at, origin)
                               .members({{"name",
                                          [&](const json::Value& n, const std::string& w) {
                                            if (!n.IsString() || n.GetStringLength() == 0) {
                                              return kube::Status(
                                                  invalid(origin, w + " must be a resource name"));
                                            }
                                            r.name = std::string(json::as_string(n));
                                            return kube::Status();
                                          }},
                                         {"weight", p.integer(r.weight, 1, 100)}}));
      if (r.name.empty()) return invalid(origin, at + ".name is required");
      c.fit.resources.push_back(std::move(r));
    }
    return {};
  };
  auto conflicts = [&](const json::Value& v, const std::string& where) -> kube::Status {
    if (!v.IsObject()) {
      return invalid(origin, where + " must map a workload class to {class: penalty}");
    }
    c.interference_options.conflicts.clear();
    for (const auto& row : v.GetObject()) {
      std::string cls(json::as_string(row.name));
      std::string at = where + "." + cls;
      if (!row.value.IsObject()) return invalid(origin, at + " must map classes to penalties");
      auto& out = c.interference_options.conflicts[cls];
      for (const auto& cell : row.value.GetObject()) {
        std::string other(json::as_string(cell.name));
        std::int64_t penalty = 0;
        KUBE_RETURN_IF_ERROR(p.integer(penalty, 0, 1000)(cell.value, at + "." + other));
        out[other] = penalty;
      }
    }
    return {};
  };

  return Section(root, "", origin)
      .members({
          {"apiVersion", constant("berth.dev/v1alpha1")},
          {"kind", constant("ExtenderConfiguration")},
          {"server", p.section([&] {
             return std::map<std::string, Section::Handler>{
                 {"filterPath", p.path(c.filter_path)},
                 {"prioritizePath", p.path(c.prioritize_path)},
                 {"preemptPath", p.path(c.preempt_path)},
                 {"bindPath", p.path(c.bind_path)},
                 {"maxRequestBytes", p.integer(c.max_request_bytes, 4096, 1LL << 30)}};
           })},
          {"bind", p.section([&] {
             return std::map<std::string, Section::Handler>{
                 {"enabled", p.boolean(c.bind_enabled)},
                 {"assumeTimeoutSeconds",
                  [&](const json::Value& v, const std::string& w) -> kube::Status {
                    std::int64_t s = 0;
                    KUBE_RETURN_IF_ERROR(p.integer(s, 1, 3600)(v, w));
                    c.assume_timeout = std::chrono::seconds(s);
                    return {};
                  }},
                 {"placementWaitMilliseconds",
                  [&](const json::Value& v, const std::string& w) -> kube::Status {
                    std::int64_t ms = 0;
                    KUBE_RETURN_IF_ERROR(p.integer(ms, 0, 10000)(v, w));
                    c.placement_wait = std::chrono::milliseconds(ms);
                    return {};
                  }}};
           })},
          {"explain", p.section([&] {
             return std::map<std::string, Section::Handler>{
                 {"decisions", p.integer(c.explain_decisions, 0, 100000)},
                 {"nodesPerDecision", p.integer(c.explain_nodes, 0, 10000)}};
           })},
          {"cache", p.section([&] {
             return std::map<std::string, Section::Handler>{
                 {"maxCountViews", p.integer(c.max_count_views, 16, 1 << 20)}};
           })},
          {"policies", p.section([&] {
             return std::map<std::string, Section::Handler>{
                 {"interPodAffinity", p.toggle(c.inter_pod_affinity,
                                               {{"hardPodAffinityWeight",
                                                 p.integer(c.hard_pod_affinity_weight, 0, 100)}})},
                 {"nodeAffinity", p.toggle(c.node_affinity)},
                 {"taintToleration", p.toggle(c.taint_toleration)},
                 {"resourceFit", p.toggle(c.resource_fit, {{"scoringStrategy", strategy},
                                                           {"resources", resources},
                                                           {"ignoredResources",
                                                            p.string_list(c.fit.ignored_resources)},
                                                           {"podGroups", p.boolean(c.fit.gang)}})},
                 {"dataLocality",
                  p.toggle(c.data_locality, {{"levelScores", p.section([&] {
                                                return std::map<std::string, Section::Handler>{
                                                    {"node", p.integer(c.locality.node, 0, 100)},
                                                    {"rack", p.integer(c.locality.rack, 0, 100)},
                                                    {"zone", p.integer(c.locality.zone, 0, 100)},
                                                    {"region",
                                                     p.integer(c.locality.region, 0, 100)}};
                                              })}})},
                 {"interference", p.toggle(c.interference, {{"conflicts", conflicts}})},
                 {"qos", p.toggle(c.qos)},
                 {"deadline",
                  p.toggle(c.deadline,
                           {{"imageWeight", p.integer(c.deadline_options.image_weight, 0, 100)},
                            {"loadWeight", p.integer(c.deadline_options.load_weight, 0, 100)}})}};
           })},
      });
}

}  // namespace

kube::Result<ExtenderConfig> parse_config(std::string_view text, std::string_view origin) {
  auto doc = kube::yaml::to_json(text);
  if (!doc.ok()) return invalid(origin, doc.error().message);
  ExtenderConfig c;
  if (doc->IsNull()) return c;  // an empty file keeps every default
  KUBE_RETURN_IF_ERROR(parse_document(*doc, origin, c));
  std::set<std::string> paths = {c.filter_path, c.prioritize_path, c.preempt_path, c.bind_path};
  if (paths.size() != 4) return invalid(origin, "server paths must differ from each other");
  for (const char* reserved : {"/explain", "/healthz", "/livez", "/readyz", "/metrics"}) {
    if (paths.count(reserved)) {
      return invalid(origin, std::string("server paths must not use ") + reserved);
    }
  }
  return c;
}

kube::Result<ExtenderConfig> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string origin = "config " + path;
  if (!in) return invalid(origin, "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), origin);
}

std::vector<WeightedPolicy> make_policies(const ExtenderConfig& c) {
  std::vector<WeightedPolicy> out;
  auto add = [&](const PolicyToggle& t, std::unique_ptr<Policy> p) {
    if (t.enabled) out.push_back({std::move(p), t.weight});
  };
  // Cheap, often-decisive filters first: most infeasible nodes stop at the first failure.
  add(c.node_affinity, std::make_unique<NodeAffinityPolicy>());
  add(c.taint_toleration, std::make_unique<TaintTolerationPolicy>());
  add(c.resource_fit, std::make_unique<ResourceFitPolicy>(c.fit));
  add(c.data_locality, std::make_unique<DataLocalityPolicy>(c.locality));
  add(c.inter_pod_affinity, std::make_unique<InterPodAffinityPolicy>());
  add(c.interference, std::make_unique<InterferencePolicy>(c.interference_options));
  add(c.qos, std::make_unique<QosPolicy>());
  add(c.deadline, std::make_unique<DeadlinePolicy>(c.deadline_options));
  return out;
}

}  // namespace berth::extender
