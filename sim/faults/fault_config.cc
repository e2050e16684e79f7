#include "sim/faults/fault_config.h"

#include <algorithm>
#include <array>

namespace berth::sim {

namespace json = kube::json;
using json::Value;

namespace {

constexpr std::array<std::string_view, 8> kVerbs = {
    "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"};
// Longer delays are configuration mistakes (a request would outlive any client timeout).
constexpr std::int64_t kMaxLatencyMs = 10 * 60 * 1000;
constexpr std::int64_t kMaxPeriodSeconds = 24 * 3600;

kube::Error invalid(const std::string& field, const std::string& why) {
  return kube::Error::make(kube::Reason::kInvalid, "fault config: " + field + ": " + why);
}

kube::Result<std::vector<std::string>> string_list(const Value& v, const std::string& field) {
  if (!v.IsArray()) return invalid(field, "must be a list of strings");
  std::vector<std::string> out;
  for (const auto& item : v.GetArray()) {
    if (!item.IsString() || item.GetStringLength() == 0) {
      return invalid(field, "must be a list of non-empty strings");
    }
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

kube::Result<std::int64_t> integer(const Value& v, const std::string& field, std::int64_t min,
                                   std::int64_t max) {
  if (!v.IsInt64()) return invalid(field, "must be an integer");
  std::int64_t n = v.GetInt64();
  if (n < min || n > max) {
    return invalid(field, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return n;
}

kube::Result<FaultRule> parse_rule(const Value& v, const std::string& field) {
  if (!v.IsObject()) return invalid(field, "must be an object");
  FaultRule rule;
  for (const auto& m : v.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    std::string f = field + "." + key;
    const Value& value = m.value;
    if (key == "verbs") {
      KUBE_ASSIGN_OR_RETURN(rule.verbs, string_list(value, f));
      for (const auto& verb : rule.verbs) {
        if (!is_fault_verb(verb)) return invalid(f, "unknown verb \"" + verb + "\"");
      }
    } else if (key == "resources") {
      KUBE_ASSIGN_OR_RETURN(rule.resources, string_list(value, f));
    } else if (key == "errorRate") {
      if (!value.IsNumber()) return invalid(f, "must be a number");
      rule.error_rate = value.GetDouble();
      if (!(rule.error_rate >= 0 && rule.error_rate <= 1)) return invalid(f, "must be in [0, 1]");
    } else if (key == "code") {
      KUBE_ASSIGN_OR_RETURN(std::int64_t code, integer(value, f, 0, 999));
      if (code != 429 && code != 500 && code != 503 && code != 504) {
        return invalid(f, "must be 429, 500, 503 or 504");
      }
      rule.code = static_cast<int>(code);
    } else if (key == "retryAfterSeconds") {
      KUBE_ASSIGN_OR_RETURN(std::int64_t s, integer(value, f, 0, 3600));
      rule.retry_after_seconds = static_cast<int>(s);
    } else if (key == "latencyMs") {
      KUBE_ASSIGN_OR_RETURN(std::int64_t ms, integer(value, f, 0, kMaxLatencyMs));
      rule.latency = std::chrono::milliseconds(ms);
    } else if (key == "jitterMs") {
      KUBE_ASSIGN_OR_RETURN(std::int64_t ms, integer(value, f, 0, kMaxLatencyMs));
      rule.jitter = std::chrono::milliseconds(ms);
    } else if (key == "internal") {
      if (!value.IsBool()) return invalid(f, "must be a boolean");
      rule.internal = value.GetBool();
    } else {
      return invalid(f, "unknown field");
    }
  }
  return rule;
}

Value string_array(const std::vector<std::string>& items, json::Allocator& a) {
  Value out(rapidjson::kArrayType);
  for (const auto& s : items)
    out.PushBack(json::make_string(s, a), a);
  return out;
}

}  // namespace

bool is_fault_verb(std::string_view verb) {
  return std::find(kVerbs.begin(), kVerbs.end(), verb) != kVerbs.end();
}

bool FaultRule::matches(std::string_view verb, std::string_view resource,
                        std::string_view subresource) const {
  if (!verbs.empty() && std::find(verbs.begin(), verbs.end(), verb) == verbs.end()) return false;
  if (resources.empty()) return true;
  for (const auto& r : resources) {
    if (r == "*") return true;
    auto slash = r.find('/');
    if (slash == std::string::npos) {
      if (r == resource) return true;
    } else if (std::string_view(r).substr(0, slash) == resource &&
               std::string_view(r).substr(slash + 1) == subresource) {
      return true;
    }
  }
  return false;
}

kube::Result<FaultConfig> parse_fault_config(const Value& v) {
  if (!v.IsObject()) return invalid("(root)", "must be a JSON object");
  FaultConfig config;
  for (const auto& m : v.GetObject()) {
    std::string key(m.name.GetString(), m.name.GetStringLength());
    const Value& value = m.value;
    if (key == "seed") {
      if (!value.IsUint64()) return invalid(key, "must be a non-negative integer");
      config.seed = value.GetUint64();
    } else if (key == "rules") {
      if (!value.IsArray()) return invalid(key, "must be a list");
      for (rapidjson::SizeType i = 0; i < value.Size(); ++i) {
        KUBE_ASSIGN_OR_RETURN(FaultRule rule,
                              parse_rule(value[i], "rules[" + std::to_string(i) + "]"));
        config.rules.push_back(std::move(rule));
      }
    } else if (key == "dropWatchesEverySeconds" || key == "expireHistoryEverySeconds") {
      // Fractions allowed: tests cut watches every few hundred milliseconds.
      if (!value.IsNumber()) return invalid(key, "must be a number of seconds");
      double s = value.GetDouble();
      if (!(s >= 0 && s <= kMaxPeriodSeconds)) {
        return invalid(key, "must be between 0 and " + std::to_string(kMaxPeriodSeconds));
      }
      auto period = std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
      if (s > 0 && period.count() < 10) return invalid(key, "must be at least 0.01");
      (key == "dropWatchesEverySeconds" ? config.drop_watches_every : config.expire_history_every) =
          period;
    } else if (key == "stats") {
      // GET answers carry counters; a client may PUT such an answer back unchanged.
    } else {
      return invalid(key, "unknown field");
    }
  }
  return config;
}

kube::Result<FaultConfig> parse_fault_config(std::string_view text) {
  auto doc = json::parse(text, {.max_depth = 16, .max_bytes = 1024 * 1024});
  if (!doc.ok()) {
    return kube::Error::make(kube::Reason::kInvalid,
                             "fault config: not valid JSON: " + doc.error().message);
  }
  return parse_fault_config(*doc);
}

void fault_config_to_json(const FaultConfig& config, Value& out, json::Allocator& a) {
  json::set(out, "seed", Value(config.seed), a);
  Value rules(rapidjson::kArrayType);
  for (const auto& r : config.rules) {
    Value rule(rapidjson::kObjectType);
    json::set(rule, "verbs", string_array(r.verbs, a), a);
    json::set(rule, "resources", string_array(r.resources, a), a);
    json::set(rule, "errorRate", Value(r.error_rate), a);
    json::set(rule, "code", Value(r.code), a);
    json::set(rule, "retryAfterSeconds", Value(r.retry_after_seconds), a);
    json::set(rule, "latencyMs", Value(static_cast<std::int64_t>(r.latency.count())), a);
    json::set(rule, "jitterMs", Value(static_cast<std::int64_t>(r.jitter.count())), a);
    json::set(rule, "internal", Value(r.internal), a);
    rules.PushBack(rule, a);
  }
  json::set(out, "rules", std::move(rules), a);
  json::set(out, "dropWatchesEverySeconds",
            Value(static_cast<double>(config.drop_watches_every.count()) / 1000.0), a);
  json::set(out, "expireHistoryEverySeconds",
            Value(static_cast<double>(config.expire_history_every.count()) / 1000.0), a);
}

std::string fault_config_to_json(const FaultConfig& config) {
  json::Document doc(rapidjson::kObjectType);
  fault_config_to_json(config, doc, doc.GetAllocator());
  return json::dump(doc);
}

}  // namespace berth::sim
