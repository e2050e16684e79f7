#include "scheduler-extender/state/resources.h"

#include <algorithm>

#include "kube/api/quantity.h"

namespace berth::extender {

namespace json = kube::json;

namespace {

auto scalar_position(std::vector<std::pair<std::string, std::int64_t>>& v, std::string_view name) {
  return std::lower_bound(v.begin(), v.end(), name,
                          [](const auto& e, std::string_view n) { return e.first < n; });
}

}  // namespace

std::int64_t ResourceAmounts::scalar_value(std::string_view name) const {
  auto it = std::lower_bound(scalar.begin(), scalar.end(), name,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  return it != scalar.end() && it->first == name ? it->second : 0;
}

void ResourceAmounts::add_scalar(std::string_view name, std::int64_t value) {
  auto it = scalar_position(scalar, name);
  if (it != scalar.end() && it->first == name) {
    it->second += value;
  } else {
    scalar.insert(it, {std::string(name), value});
  }
}

void ResourceAmounts::max_scalar(std::string_view name, std::int64_t value) {
  auto it = scalar_position(scalar, name);
  if (it != scalar.end() && it->first == name) {
    it->second = std::max(it->second, value);
  } else {
    scalar.insert(it, {std::string(name), value});
  }
}

ResourceAmounts decode_resource_list(const json::Value* list) {
  ResourceAmounts out;
  if (list == nullptr || !list->IsObject()) return out;
  for (const auto& m : list->GetObject()) {
    std::string_view name = json::as_string(m.name);
    std::string_view text = json::as_string(m.value);
    auto q = kube::Quantity::parse(text);
    if (!q) continue;
    if (name == "cpu") {
      out.milli_cpu = q->milli();
    } else if (name == "memory") {
      out.memory = q->value();
    } else if (name == "ephemeral-storage") {
      out.ephemeral_storage = q->value();
    } else if (name == "pods") {
      out.pods = q->value();
    } else {
      out.add_scalar(name, q->value());
    }
  }
  return out;
}

PodRequests pod_requests(const json::Value& spec) {
  PodRequests out;
  ResourceAmounts& r = out.requests;
  auto container_requests = [](const json::Value& c) {
    return decode_resource_list(json::find_path(c, {"resources", "requests"}));
  };
  auto has_request = [](const json::Value& c, std::string_view name) {
    const json::Value* req = json::find_path(c, {"resources", "requests"});
    return req != nullptr && req->IsObject() && json::find(*req, name) != nullptr;
  };
  if (const json::Value* cs = json::find(spec, "containers"); cs && cs->IsArray()) {
    for (const auto& c : cs->GetArray()) {
      ResourceAmounts cr = container_requests(c);
      r.milli_cpu += cr.milli_cpu;
      r.memory += cr.memory;
      r.ephemeral_storage += cr.ephemeral_storage;
      for (const auto& [name, v] : cr.scalar)
        r.add_scalar(name, v);
      out.nonzero_milli_cpu += has_request(c, "cpu") ? cr.milli_cpu : kDefaultMilliCpuRequest;
      out.nonzero_memory += has_request(c, "memory") ? cr.memory : kDefaultMemoryRequest;
    }
  }
  if (const json::Value* ics = json::find(spec, "initContainers"); ics && ics->IsArray()) {
    for (const auto& c : ics->GetArray()) {
      ResourceAmounts cr = container_requests(c);
      r.milli_cpu = std::max(r.milli_cpu, cr.milli_cpu);
      r.memory = std::max(r.memory, cr.memory);
      r.ephemeral_storage = std::max(r.ephemeral_storage, cr.ephemeral_storage);
      for (const auto& [name, v] : cr.scalar)
        r.max_scalar(name, v);
      out.nonzero_milli_cpu = std::max(
          out.nonzero_milli_cpu, has_request(c, "cpu") ? cr.milli_cpu : kDefaultMilliCpuRequest);
      out.nonzero_memory = std::max(out.nonzero_memory,
                                    has_request(c, "memory") ? cr.memory : kDefaultMemoryRequest);
    }
  }
  if (const json::Value* overhead = json::find(spec, "overhead");
      overhead && overhead->IsObject()) {
    ResourceAmounts o = decode_resource_list(overhead);
    r.milli_cpu += o.milli_cpu;
    r.memory += o.memory;
    r.ephemeral_storage += o.ephemeral_storage;
    for (const auto& [name, v] : o.scalar)
      r.add_scalar(name, v);
    out.nonzero_milli_cpu += o.milli_cpu;
    out.nonzero_memory += o.memory;
  }
  return out;
}

}  // namespace berth::extender
