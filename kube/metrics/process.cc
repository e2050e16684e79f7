#include "kube/metrics/process.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>

namespace kube::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string slurp(const char* path) {
  std::ifstream in(path);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool parse_double(std::string_view text, double& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// Seconds since the epoch at which the machine booted (the "btime" line of /proc/stat).
double boot_time_seconds() {
  std::string stat = slurp("/proc/stat");
  auto pos = stat.find("\nbtime ");
  if (pos == std::string::npos) return kNaN;
  pos += 7;
  auto end = stat.find('\n', pos);
  double value = 0;
  return parse_double(std::string_view(stat).substr(pos, end - pos), value) ? value : kNaN;
}

}  // namespace

bool read_process_stats(ProcessStats& out) {
  std::string stat = slurp("/proc/self/stat");
  // The command name (field 2) is in parentheses and may itself contain spaces and ')'.
  auto close = stat.rfind(')');
  if (close == std::string::npos) return false;
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  std::string_view rest = std::string_view(stat).substr(close + 1);
  while (!rest.empty()) {
    auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    auto end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  // proc(5) numbers fields from 1: utime 14, stime 15, starttime 22, vsize 23, rss 24.
  auto field = [&](std::size_t number, double& value) {
    return number - 3 < fields.size() && parse_double(fields[number - 3], value);
  };
  double utime = 0;
  double stime = 0;
  double start_ticks = 0;
  double vsize = 0;
  double rss_pages = 0;
  if (!field(14, utime) || !field(15, stime) || !field(22, start_ticks) || !field(23, vsize) ||
      !field(24, rss_pages)) {
    return false;
  }
  const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto page = static_cast<double>(sysconf(_SC_PAGESIZE));
  out.cpu_seconds = (utime + stime) / ticks;
  out.resident_bytes = rss_pages * page;
  out.virtual_bytes = vsize;
  out.start_time_seconds = boot_time_seconds() + start_ticks / ticks;
  return true;
}

double count_open_fds() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return -1;
  double n = 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return -1;
    ++n;
  }
  // The iterator's own descriptor is one of the entries; it is not the process's.
  return n > 0 ? n - 1 : 0;
}

ProcessMetrics::ProcessMetrics(Registry& registry) {
  auto stat_reader = [](double ProcessStats::*member) {
    return [member] {
      ProcessStats stats;
      return read_process_stats(stats) ? stats.*member : kNaN;
    };
  };
  registrations_.push_back(
      registry
          .counter_vec("process_cpu_seconds_total",
                       "CPU time (user plus system) the process has used, in seconds.", {})
          .add_function({}, stat_reader(&ProcessStats::cpu_seconds)));
  registrations_.push_back(registry
                               .gauge_vec("process_resident_memory_bytes",
                                          "Memory the process has resident in RAM, in bytes.", {})
                               .add_function({}, stat_reader(&ProcessStats::resident_bytes)));
  registrations_.push_back(registry
                               .gauge_vec("process_virtual_memory_bytes",
                                          "Size of the process's virtual address space, in bytes.",
                                          {})
                               .add_function({}, stat_reader(&ProcessStats::virtual_bytes)));
  registrations_.push_back(
      registry.gauge_vec("process_open_fds", "File descriptors the process has open.", {})
          .add_function({}, [] {
            double n = count_open_fds();
            return n < 0 ? kNaN : n;
          }));
  registrations_.push_back(
      registry
          .gauge_vec("process_max_fds", "Soft limit on open file descriptors (RLIMIT_NOFILE).", {})
          .add_function({}, [] {
            rlimit limit{};
            if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
              return kNaN;
            }
            return static_cast<double>(limit.rlim_cur);
          }));
  ProcessStats stats;
  registry
      .gauge("process_start_time_seconds",
             "When the process started, in seconds since the Unix epoch.")
      .set(read_process_stats(stats) ? stats.start_time_seconds : kNaN);
}

}  // namespace kube::metrics
