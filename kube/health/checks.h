// Checks: a named set of health checks rendered the way kube-apiserver renders /healthz,
// /livez and /readyz, so probes and humans read Berth's endpoints like the apiserver's:
//
//   GET /readyz            200 "ok", or 500 with the per-check list when any check fails
//   GET /readyz?verbose    the per-check list: "[+]ping ok" ... "readyz check passed"
//   GET /readyz?exclude=x  skips check x (repeatable)
//   GET /readyz/<check>    one check: 200 "ok" or 500 "internal server error: <reason>"
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/result.h"

namespace kube {

// A check passes with an optional detail (shown in verbose output, e.g. the leader's
// identity) or fails with an Error whose message says why. Checks run on the server's io
// thread at each probe, so they must be quick and must not block.
using HealthCheck = std::function<Result<std::string>()>;

// Thread-safe.
class Checks {
 public:
  // `endpoint` names the set in output ("healthz", "livez", "readyz").
  explicit Checks(std::string endpoint);

  // Adds or replaces a check. Names are path segments: [a-z0-9-/.] recommended.
  void add(std::string name, HealthCheck check);
  // A check that passes when `ok` returns true, failing with `failure_message` otherwise.
  void add(std::string name, std::function<bool()> ok, std::string failure_message);

  struct Rendered {
    int status = 200;
    std::string body;
  };
  // The whole set. An exception thrown by a check counts as its failure.
  Rendered render(bool verbose, const std::vector<std::string>& exclude) const;
  // One check; nullopt when there is no such check.
  std::optional<Rendered> render_one(std::string_view name) const;

 private:
  struct Entry {
    std::string name;
    HealthCheck check;
  };
  static Result<std::string> run(const Entry& e);

  const std::string endpoint_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace kube
