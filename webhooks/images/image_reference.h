// Container image references as container runtimes resolve them ("nginx" is
// docker.io/library/nginx, "localhost:5000/app" is on a local registry): the grammar of the
// distribution reference format, with Docker Hub defaulting.
#pragma once

#include <string>
#include <string_view>

#include "kube/core/result.h"

namespace berth::webhooks {

inline constexpr std::string_view kDockerHub = "docker.io";

struct ImageReference {
  // Registry host with optional port, as written except that Docker Hub's aliases
  // (index.docker.io, none) are "docker.io". IPv6 hosts keep their brackets.
  std::string registry{};
  // Path on the registry; Docker Hub's one-component names get "library/" ("library/nginx").
  std::string repository{};
  std::string tag{};     // "" when absent
  std::string digest{};  // "sha256:<64 hex>" or ""

  // "registry/repository"
  std::string name() const;
  // The fully qualified reference: "registry/repository[:tag][@digest]".
  std::string to_string() const;
  // No tag and no digest: runtimes pull ":latest".
  bool untagged() const { return tag.empty() && digest.empty(); }
};

// Parses a reference. The first path component is the registry when it contains '.' or ':',
// is "localhost", or has upper-case letters; otherwise the image is on Docker Hub. Rejects what
// runtimes reject: upper-case repository names, bad separators, tags over 128 characters,
// digests that are not <algorithm>:<hex> (sha256 = 64 hex digits), names over 255 characters.
// Errors are kInvalid: `invalid image reference "X": <reason>`.
kube::Result<ImageReference> parse_image_reference(std::string_view text);

// True when `host` could be a registry host ("registry.example.com", "localhost:5000",
// "[::1]:5000", "10.0.0.1"): the rule above applied to a configured value.
bool looks_like_registry_host(std::string_view host);

// True when "registry/repository" of `image` equals `prefix` or lies under it at a path
// boundary: "ghcr.io/berth" matches ghcr.io/berth/x, not ghcr.io/berthx.
bool image_matches_prefix(const ImageReference& image, std::string_view prefix);

}  // namespace berth::webhooks
