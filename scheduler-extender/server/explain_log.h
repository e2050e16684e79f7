// ExplainLog: the last N scheduling decisions, for GET /explain. Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>

#include "scheduler-extender/policies/decision.h"

namespace berth::extender {

struct ExplainQuery {
  std::string pod;  // "namespace/name" or "name"; empty = any
  std::string uid;
  std::string verb;
  std::size_t limit = 20;
};

class ExplainLog {
 public:
  // capacity 0 keeps nothing.
  explicit ExplainLog(std::size_t capacity) : capacity_(capacity) {}

  void record(Decision decision);
  // {"decisions": [...]}, most recent first.
  std::string render(const ExplainQuery& query) const;
  std::size_t size() const;

  // One line for logs: "n1 10 [InterPodAffinity 3->100, ResourceFit 55->55]; n2 ..." or, for
  // filters, "n3 InterPodAffinity: node(s) didn't match pod anti-affinity rules; ...".
  static std::string summarize_nodes(const Decision& decision);

 private:
  std::size_t capacity_;
  mutable std::mutex mu_;
  std::deque<Decision> decisions_;
};

}  // namespace berth::extender
