#include "kube/metrics/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

namespace kube::metrics {
namespace {

// The value of an unlabelled sample line "name value" in an exposition.
double sample(const std::string& text, const std::string& name) {
  auto pos = text.find("\n" + name + " ");
  if (pos == std::string::npos) return -1;
  return std::strtod(text.c_str() + pos + name.size() + 2, nullptr);
}

TEST(ProcessMetrics, ReadsProcSelf) {
  if (access("/proc/self/stat", R_OK) != 0) GTEST_SKIP() << "no /proc";
  ProcessStats stats;
  ASSERT_TRUE(read_process_stats(stats));
  EXPECT_GT(stats.resident_bytes, 0);
  EXPECT_GE(stats.virtual_bytes, stats.resident_bytes);
  EXPECT_GE(stats.cpu_seconds, 0);
  double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // Started before now and (generously) within the last day: a test binary is young.
  EXPECT_LE(stats.start_time_seconds, now + 1);
  EXPECT_GT(stats.start_time_seconds, now - 86400);
}

TEST(ProcessMetrics, CountsOpenFds) {
  if (access("/proc/self/fd", R_OK) != 0) GTEST_SKIP() << "no /proc";
  double before = count_open_fds();
  ASSERT_GE(before, 3);  // at least stdin, stdout, stderr
  int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(count_open_fds(), before + 1);
  close(fd);
  EXPECT_EQ(count_open_fds(), before);
}

TEST(ProcessMetrics, RendersStandardNames) {
  if (access("/proc/self/stat", R_OK) != 0) GTEST_SKIP() << "no /proc";
  Registry registry;
  {
    ProcessMetrics metrics(registry);
    std::string text = "\n" + registry.render();
    EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
    EXPECT_GE(sample(text, "process_cpu_seconds_total"), 0);
    EXPECT_GT(sample(text, "process_resident_memory_bytes"), 0);
    EXPECT_GT(sample(text, "process_virtual_memory_bytes"), 0);
    EXPECT_GE(sample(text, "process_open_fds"), 3);
    EXPECT_GT(sample(text, "process_max_fds"), 0);
    EXPECT_GT(sample(text, "process_start_time_seconds"), 1.5e9);
  }
  // Once the collector is gone only the start time (a plain gauge) remains.
  std::string after = registry.render();
  EXPECT_EQ(after.find("process_open_fds"), std::string::npos);
  EXPECT_NE(after.find("process_start_time_seconds"), std::string::npos);
}

}  // namespace
}  // namespace kube::metrics
