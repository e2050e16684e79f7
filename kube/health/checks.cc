#include "kube/health/checks.h"

#include <algorithm>
#include <exception>

#include "kube/core/log.h"

namespace kube {

Checks::Checks(std::string endpoint) : endpoint_(std::move(endpoint)) {}

void Checks::add(std::string name, HealthCheck check) {
  std::lock_guard lock(mu_);
  for (Entry& e : entries_) {
    if (e.name == name) {
      e.check = std::move(check);
      return;
    }
  }
  entries_.push_back({std::move(name), std::move(check)});
}

void Checks::add(std::string name, std::function<bool()> ok, std::string failure_message) {
  add(std::move(name),
      [ok = std::move(ok), message = std::move(failure_message)]() -> Result<std::string> {
        if (ok()) return std::string();
        return Error::make(Reason::kServiceUnavailable, message);
      });
}

Result<std::string> Checks::run(const Entry& e) {
  try {
    return e.check();
  } catch (const std::exception& ex) {
    return Error::make(Reason::kInternalError, std::string("check threw: ") + ex.what());
  } catch (...) {
    return Error::make(Reason::kInternalError, "check threw");
  }
}

Checks::Rendered Checks::render(bool verbose, const std::vector<std::string>& exclude) const {
  std::vector<Entry> entries;
  {
    std::lock_guard lock(mu_);
    entries = entries_;
  }
  std::string lines;
  bool failed = false;
  for (const Entry& e : entries) {
    if (std::find(exclude.begin(), exclude.end(), e.name) != exclude.end()) {
      lines += "[+]" + e.name + " excluded: ok\n";
      continue;
    }
    auto result = run(e);
    if (result.ok()) {
      lines += "[+]" + e.name + " ok";
      if (!result->empty()) lines += ": " + *result;
      lines += "\n";
    } else {
      failed = true;
      lines += "[-]" + e.name + " failed: " + result.error().message + "\n";
      log::v(1, "health check failed",
             {{"endpoint", endpoint_}, {"check", e.name}, {"reason", result.error().message}});
    }
  }
  if (failed) return {500, lines + endpoint_ + " check failed\n"};
  if (verbose) return {200, lines + endpoint_ + " check passed\n"};
  return {200, "ok"};
}

std::optional<Checks::Rendered> Checks::render_one(std::string_view name) const {
  std::optional<Entry> entry;
  {
    std::lock_guard lock(mu_);
    for (const Entry& e : entries_) {
      if (e.name == name) entry = e;
    }
  }
  if (!entry) return std::nullopt;
  auto result = run(*entry);
  if (result.ok()) return Rendered{200, "ok"};
  return Rendered{500, "internal server error: " + result.error().message + "\n"};
}

}  // namespace kube
