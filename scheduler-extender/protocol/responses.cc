#include "scheduler-extender/protocol/responses.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

namespace berth::extender::protocol {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void string(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void failed_map(Writer& w, const ExtenderArgs& args, const std::vector<FailedNode>& failed) {
  w.StartObject();
  for (const FailedNode& f : failed) {
    key(w, args.node_names[f.index]);
    string(w, f.reason);
  }
  w.EndObject();
}

std::string take(rapidjson::StringBuffer& buffer) {
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string encode_filter_result(const ExtenderArgs& args, const FilterAnswer& answer) {
  rapidjson::StringBuffer buffer;
  buffer.Reserve(64 + answer.passed.size() * 24);
  Writer w(buffer);
  w.StartObject();
  key(w, "Nodes");
  if (args.nodes_sent_as_list) {
    w.StartObject();
    key(w, "metadata");
    w.StartObject();
    w.EndObject();
    key(w, "items");
    w.StartArray();
    for (std::uint32_t i : answer.passed)
      args.node_objects[i]->Accept(w);
    w.EndArray();
    w.EndObject();
  } else {
    w.Null();
  }
  key(w, "NodeNames");
  w.StartArray();
  for (std::uint32_t i : answer.passed)
    string(w, args.node_names[i]);
  w.EndArray();
  key(w, "FailedNodes");
  failed_map(w, args, answer.failed);
  key(w, "FailedAndUnresolvableNodes");
  failed_map(w, args, answer.failed_unresolvable);
  key(w, "Error");
  string(w, answer.error);
  w.EndObject();
  return take(buffer);
}

std::string encode_host_priority_list(std::span<const std::string_view> hosts,
                                      std::span<const std::int64_t> scores) {
  rapidjson::StringBuffer buffer;
  buffer.Reserve(2 + hosts.size() * 40);
  Writer w(buffer);
  w.StartArray();
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    w.StartObject();
    key(w, "Host");
    string(w, hosts[i]);
    key(w, "Score");
    std::int64_t s = i < scores.size() ? scores[i] : 0;
    w.Int64(std::clamp<std::int64_t>(s, 0, kMaxExtenderPriority));
    w.EndObject();
  }
  w.EndArray();
  return take(buffer);
}

std::string encode_preemption_result(std::span<const PreemptionNode> nodes) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  key(w, "NodeNameToMetaVictims");
  w.StartObject();
  for (const PreemptionNode& n : nodes) {
    key(w, n.node);
    w.StartObject();
    key(w, "Pods");
    w.StartArray();
    for (std::string_view uid : n.pod_uids) {
      w.StartObject();
      key(w, "UID");
      string(w, uid);
      w.EndObject();
    }
    w.EndArray();
    key(w, "NumPDBViolations");
    w.Int64(n.num_pdb_violations);
    w.EndObject();
  }
  w.EndObject();
  w.EndObject();
  return take(buffer);
}

std::string encode_error(std::string_view error) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  key(w, "Error");
  string(w, error);
  w.EndObject();
  return take(buffer);
}

}  // namespace berth::extender::protocol
