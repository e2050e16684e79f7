// ProcessMetrics: the standard process_* metrics every Prometheus exporter serves, read from
// /proc/self at scrape time.
#pragma once

#include <vector>

#include "kube/metrics/family.h"
#include "kube/metrics/registry.h"

namespace kube::metrics {

// Registers, for as long as it lives:
//   process_cpu_seconds_total        user + system CPU time (counter)
//   process_resident_memory_bytes    resident set size
//   process_virtual_memory_bytes     virtual memory size
//   process_open_fds                 entries in /proc/self/fd
//   process_max_fds                  RLIMIT_NOFILE soft limit
//   process_start_time_seconds       start time, seconds since the Unix epoch (set once)
// A value that cannot be read (no /proc) renders as NaN rather than failing the scrape.
// Construct at most one per registry.
class ProcessMetrics {
 public:
  explicit ProcessMetrics(Registry& registry = default_registry());

 private:
  std::vector<Registration> registrations_;
};

// The individual readings, exposed for tests and for components that log them.
struct ProcessStats {
  double cpu_seconds = 0;
  double resident_bytes = 0;
  double virtual_bytes = 0;
  double start_time_seconds = 0;
};
// Parses /proc/self/stat (and /proc/stat for the boot time); false when unavailable.
bool read_process_stats(ProcessStats& out);
// Entries in /proc/self/fd; -1 when unavailable.
double count_open_fds();

}  // namespace kube::metrics
