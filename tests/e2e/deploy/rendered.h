// What `kubectl kustomize deploy/` renders, as JSON objects, plus the lookups the manifest
// tests share. kubectl comes from tests/support/process.h's find_kubectl(); a test skips when
// there is none.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kube/core/json.h"
#include "kube/core/result.h"
#include "tests/support/process.h"

namespace berth::deploy_test {

using berth::testing::CommandResult;
using berth::testing::find_kubectl;
using berth::testing::run_command;

// The tree under test: $BERTH_DEPLOY_DIR when set (a copy or an overlay), else <source>/deploy.
std::filesystem::path deploy_dir();

struct Rendered {
  std::vector<kube::json::Document> objects;
  std::string warnings;  // kubectl's stderr
};

// `kubectl kustomize <dir>`, parsed. An error when kubectl fails or prints invalid YAML.
kube::Result<Rendered> render(const std::string& kubectl, const std::filesystem::path& dir);

// Lookups over rendered objects. Kinds are exact ("Deployment"); an empty namespace_ matches
// any namespace.
std::vector<const kube::json::Value*> of_kind(const std::vector<kube::json::Document>& objects,
                                              std::string_view kind);
const kube::json::Value* find(const std::vector<kube::json::Document>& objects,
                              std::string_view kind, std::string_view name,
                              std::string_view namespace_ = {});

std::string_view name_of(const kube::json::Value& object);
std::string_view namespace_of(const kube::json::Value& object);
// "Kind namespace/name" (or "Kind name"), for failure messages.
std::string describe(const kube::json::Value& object);

// The strings of a JSON array of strings ({} when absent or not an array).
std::vector<std::string> strings(const kube::json::Value* array);

// Does `selector` (a metav1.LabelSelector) select `labels` (a labels object or nullptr)?
// An invalid selector selects nothing.
bool selects(const kube::json::Value& selector, const kube::json::Value* labels);
// Does a map-style selector (Service.spec.selector) select `labels`? An empty one would select
// everything in the namespace and counts as not selecting.
bool map_selects(const kube::json::Value& selector, const kube::json::Value* labels);

// The value of "--name=value" in a container's command and args.
std::optional<std::string> flag_value(const kube::json::Value& container, std::string_view name);
bool has_flag(const kube::json::Value& container, std::string_view name);

// The volume and key a container reads `path` from: the volumeMount whose mountPath is a
// parent directory of `path`, its volume in the pod spec, and the ConfigMap or Secret key that
// becomes that file (through the volume's `items` when it has them). nullopt when no mount
// covers the path or the volume's items do not produce that file.
struct MountedFile {
  const kube::json::Value* volume = nullptr;
  std::string key;
};
std::optional<MountedFile> mounted_file(const kube::json::Value& pod_spec,
                                        const kube::json::Value& container, std::string_view path);

// The port number a probe or targetPort refers to (a number, or the name of a container port).
std::optional<std::int64_t> resolve_port(const kube::json::Value& container,
                                         const kube::json::Value& port);

}  // namespace berth::deploy_test
