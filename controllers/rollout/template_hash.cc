#include "controllers/rollout/template_hash.h"

#include <algorithm>
#include <vector>

#include "controllers/rollout/names.h"
#include "kube/core/strings.h"

namespace berth::rollout {
namespace json = kube::json;
namespace {

void write_canonical(const json::Value& v, std::string& out) {
  // Iterative over an explicit stack: templates come from users, and json::parse bounds depth
  // but a deep recursion here would still be the one unbounded stack use.
  struct Frame {
    const json::Value* value;
    std::vector<const json::Value::Member*> members;  // objects, sorted
    std::size_t next = 0;
  };
  std::vector<Frame> stack;
  auto open = [&](const json::Value& value) {
    if (value.IsObject()) {
      Frame f{&value, {}, 0};
      for (const auto& m : value.GetObject())
        f.members.push_back(&m);
      std::sort(f.members.begin(), f.members.end(), [](const auto* a, const auto* b) {
        return json::as_string(a->name) < json::as_string(b->name);
      });
      out += '{';
      stack.push_back(std::move(f));
    } else if (value.IsArray()) {
      out += '[';
      stack.push_back(Frame{&value, {}, 0});
    } else {
      json::dump_to(value, out);
    }
  };
  open(v);
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.value->IsObject()) {
      if (f.next == f.members.size()) {
        out += '}';
        stack.pop_back();
        continue;
      }
      if (f.next > 0) out += ',';
      const json::Value::Member* m = f.members[f.next++];
      json::dump_to(m->name, out);
      out += ':';
      open(m->value);  // may invalidate `f`
    } else {
      if (f.next == f.value->Size()) {
        out += ']';
        stack.pop_back();
        continue;
      }
      if (f.next > 0) out += ',';
      const json::Value& item = (*f.value)[static_cast<rapidjson::SizeType>(f.next++)];
      open(item);
    }
  }
}

}  // namespace

std::string canonical_json(const json::Value& value) {
  std::string out;
  write_canonical(value, out);
  return out;
}

json::Document strip_controller_fields(const json::Value& pod_template) {
  json::Document copy = json::copy(pod_template);
  if (json::Value* metadata = json::find(copy, "metadata"); metadata && metadata->IsObject()) {
    if (json::Value* labels = json::find(*metadata, "labels"); labels && labels->IsObject()) {
      json::remove(*labels, kPodTemplateHashLabel);
      json::remove(*labels, kRolloutLabel);
    }
    if (json::Value* created = json::find(*metadata, "creationTimestamp");
        created && created->IsNull()) {
      json::remove(*metadata, "creationTimestamp");
    }
  }
  return copy;
}

std::string template_hash(const json::Value& pod_template) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  json::Document stripped = strip_controller_fields(pod_template);
  unsigned long long h = kube::fnv1a64(canonical_json(stripped));
  std::string out;
  for (int i = 0; i < 10; ++i) {
    out += kAlphabet[h % kAlphabet.size()];
    h /= kAlphabet.size();
  }
  return out;
}

}  // namespace berth::rollout
