// Access to the captures from a real Kubernetes v1.26 control plane in ../shared/fixtures.
// They are not part of the repository: tests that need them skip when they are absent.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "kube/core/json.h"

namespace berth::testing {

// The k8s-1.26 fixture folder: $BERTH_FIXTURES, else <source>/../shared/fixtures/k8s-1.26.
std::optional<std::filesystem::path> fixtures_dir();

// Reads <fixtures>/<relative>; nullopt when the folder or the file is absent.
std::optional<std::string> read_fixture(std::string_view relative);
// Reads and parses a JSON fixture; fails the test on invalid JSON.
std::optional<kube::json::Document> read_fixture_json(std::string_view relative);

std::string read_file(const std::filesystem::path& path);

}  // namespace berth::testing

// Skips the current test when the fixtures are not available.
#define BERTH_REQUIRE_FIXTURES()                                           \
  do {                                                                     \
    if (!::berth::testing::fixtures_dir()) {                               \
      GTEST_SKIP() << "../shared/fixtures/k8s-1.26 not present; skipping"; \
    }                                                                      \
  } while (false)
