#include "tests/support/fixtures.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace berth::testing {

std::optional<std::filesystem::path> fixtures_dir() {
  if (const char* env = std::getenv("BERTH_FIXTURES"); env != nullptr && *env != '\0') {
    std::filesystem::path p(env);
    if (std::filesystem::is_directory(p)) return p;
    return std::nullopt;
  }
  std::filesystem::path p =
      std::filesystem::path(BERTH_SOURCE_DIR) / ".." / "shared" / "fixtures" / "k8s-1.26";
  if (std::filesystem::is_directory(p)) return std::filesystem::canonical(p);
  return std::nullopt;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<std::string> read_fixture(std::string_view relative) {
  auto dir = fixtures_dir();
  if (!dir) return std::nullopt;
  auto path = *dir / std::filesystem::path(relative);
  if (!std::filesystem::exists(path)) return std::nullopt;
  return read_file(path);
}

std::optional<kube::json::Document> read_fixture_json(std::string_view relative) {
  auto text = read_fixture(relative);
  if (!text) return std::nullopt;
  auto doc = kube::json::parse(*text, {.max_depth = 512});
  EXPECT_TRUE(doc.ok()) << relative << ": " << (doc.ok() ? "" : doc.error().to_string());
  if (!doc.ok()) return std::nullopt;
  return std::move(doc).value();
}

}  // namespace berth::testing
