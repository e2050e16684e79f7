#include "scheduler-extender/server/explain_log.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace berth::extender {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, std::string_view k) {
  w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
}
void str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

bool selected(const Decision& d, const ExplainQuery& q) {
  if (!q.verb.empty() && d.verb != q.verb) return false;
  if (!q.uid.empty() && d.pod_uid != q.uid) return false;
  if (!q.pod.empty()) {
    auto slash = q.pod.find('/');
    if (slash == std::string::npos) return d.pod_name == q.pod;
    return d.pod_namespace == q.pod.substr(0, slash) && d.pod_name == q.pod.substr(slash + 1);
  }
  return true;
}

void write_decision(Writer& w, const Decision& d) {
  w.StartObject();
  key(w, "time");
  str(w, kube::format_micro_time(d.time));
  key(w, "verb");
  str(w, d.verb);
  key(w, "pod");
  w.StartObject();
  key(w, "namespace");
  str(w, d.pod_namespace);
  key(w, "name");
  str(w, d.pod_name);
  key(w, "uid");
  str(w, d.pod_uid);
  w.EndObject();
  key(w, "durationMicroseconds");
  w.Int64(std::chrono::duration_cast<std::chrono::microseconds>(d.duration).count());
  key(w, "candidates");
  w.Uint64(d.candidates);
  key(w, "feasible");
  w.Uint64(d.feasible);
  if (!d.reasons.empty()) {
    key(w, "reasons");
    w.StartObject();
    for (const auto& [reason, n] : d.reasons) {
      key(w, reason);
      w.Uint64(n);
    }
    w.EndObject();
  }
  if (!d.policies.empty()) {
    key(w, "policies");
    w.StartArray();
    for (std::size_t i = 0; i < d.policies.size(); ++i) {
      w.StartObject();
      key(w, "name");
      str(w, d.policies[i]);
      key(w, "weight");
      w.Int64(i < d.weights.size() ? d.weights[i] : 0);
      w.EndObject();
    }
    w.EndArray();
  }
  key(w, "nodes");
  w.StartArray();
  for (const NodeDecision& n : d.nodes) {
    w.StartObject();
    key(w, "node");
    str(w, n.node);
    if (!n.reason.empty()) {
      key(w, "policy");
      str(w, n.policy);
      key(w, "reason");
      str(w, n.reason);
    }
    if (n.score >= 0) {
      key(w, "score");
      w.Int64(n.score);
      key(w, "policies");
      w.StartObject();
      for (std::size_t i = 0; i < n.scores.size() && i < d.policies.size(); ++i) {
        key(w, d.policies[i]);
        w.StartObject();
        key(w, "raw");
        w.Int64(n.scores[i].raw);
        key(w, "normalized");
        w.Int64(n.scores[i].normalized);
        w.EndObject();
      }
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
  key(w, "nodesOmitted");
  w.Uint64(d.nodes_omitted);
  if (!d.notes.empty()) {
    key(w, "notes");
    w.StartArray();
    for (const std::string& note : d.notes)
      str(w, note);
    w.EndArray();
  }
  w.EndObject();
}

}  // namespace

void ExplainLog::record(Decision decision) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (decisions_.size() == capacity_) decisions_.pop_front();
  decisions_.push_back(std::move(decision));
}

std::size_t ExplainLog::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return decisions_.size();
}

std::string ExplainLog::render(const ExplainQuery& query) const {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  key(w, "decisions");
  w.StartArray();
  {
    std::lock_guard<std::mutex> lock(mu_);
    std::size_t written = 0;
    for (auto it = decisions_.rbegin(); it != decisions_.rend() && written < query.limit; ++it) {
      if (!selected(*it, query)) continue;
      write_decision(w, *it);
      ++written;
    }
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string ExplainLog::summarize_nodes(const Decision& d) {
  std::string out;
  for (const NodeDecision& n : d.nodes) {
    if (!out.empty()) out += "; ";
    out += n.node;
    if (!n.reason.empty()) {
      out += ' ';
      out += n.policy;
      out += ": ";
      out += n.reason;
      continue;
    }
    if (n.score < 0) continue;
    out += ' ';
    out += std::to_string(n.score);
    out += " [";
    for (std::size_t i = 0; i < n.scores.size() && i < d.policies.size(); ++i) {
      if (i > 0) out += ", ";
      out += d.policies[i];
      out += ' ';
      out += std::to_string(n.scores[i].raw);
      out += "->";
      out += std::to_string(n.scores[i].normalized);
    }
    out += ']';
  }
  if (d.nodes_omitted > 0) out += "; +" + std::to_string(d.nodes_omitted) + " more";
  return out;
}

}  // namespace berth::extender
