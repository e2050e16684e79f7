#include "webhooks/images/image_reference.h"

#include <cctype>

#include "kube/core/strings.h"

namespace berth::webhooks {
namespace {

constexpr std::size_t kMaxNameLength = 255;
constexpr std::size_t kMaxTagLength = 128;

kube::Error invalid(std::string_view text, std::string_view reason) {
  return kube::Error::make(
      kube::Reason::kInvalid,
      "invalid image reference \"" + std::string(text) + "\": " + std::string(reason));
}

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

// path-component := [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
bool valid_path_component(std::string_view s) {
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  std::size_t i = 0;
  while (i < s.size()) {
    if (lower_alnum(s[i])) {
      ++i;
      continue;
    }
    std::size_t start = i;
    while (i < s.size() && !lower_alnum(s[i]))
      ++i;
    std::string_view sep = s.substr(start, i - start);
    bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
    if (sep != "." && sep != "_" && sep != "__" && !dashes) return false;
  }
  return true;
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool valid_domain_component(std::string_view s) {
  if (s.empty() || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

// host [':' port], host being dotted components or a bracketed IPv6 literal.
bool valid_registry(std::string_view s) {
  std::string_view host = s;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    for (char c : s.substr(1, close - 1)) {
      if (!hex(c) && c != ':' && c != '.') return false;
    }
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    if (auto colon = s.find(':'); colon != std::string_view::npos) {
      host = s.substr(0, colon);
      port = s.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (host.empty()) return false;
    std::size_t start = 0;
    while (true) {
      auto dot = host.find('.', start);
      std::string_view part = host.substr(start, dot == std::string_view::npos ? dot : dot - start);
      if (!valid_domain_component(part)) return false;
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
  }
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return port.size() <= 5;
}

// tag := [\w][\w.-]{0,127}
bool valid_tag(std::string_view s) {
  if (s.empty() || s.size() > kMaxTagLength) return false;
  auto word = [](char c) { return alnum(c) || c == '_'; };
  if (!word(s.front())) return false;
  for (char c : s) {
    if (!word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// algorithm ':' hex, algorithm components [A-Za-z][A-Za-z0-9]* joined by [+._-]; at least
// 32 hex digits, exactly as many as the algorithm produces for the registered ones.
bool valid_digest(std::string_view s, std::string& why) {
  auto colon = s.find(':');
  if (colon == std::string_view::npos) {
    why = "digest must be <algorithm>:<hex>";
    return false;
  }
  std::string_view algorithm = s.substr(0, colon);
  std::string_view value = s.substr(colon + 1);
  bool component_start = true;
  for (char c : algorithm) {
    bool letter = std::isalpha(static_cast<unsigned char>(c)) != 0;
    if (component_start) {
      if (!letter) {
        why = "digest algorithm \"" + std::string(algorithm) + "\" is malformed";
        return false;
      }
      component_start = false;
    } else if (c == '+' || c == '.' || c == '_' || c == '-') {
      component_start = true;
    } else if (!alnum(c)) {
      why = "digest algorithm \"" + std::string(algorithm) + "\" is malformed";
      return false;
    }
  }
  if (algorithm.empty() || component_start) {
    why = "digest algorithm \"" + std::string(algorithm) + "\" is malformed";
    return false;
  }
  for (char c : value) {
    if (!hex(c)) {
      why = "digest value must be hexadecimal";
      return false;
    }
  }
  std::size_t expected = algorithm == "sha256"   ? 64
                         : algorithm == "sha384" ? 96
                         : algorithm == "sha512" ? 128
                                                 : 0;
  if (expected != 0) {
    if (value.size() != expected) {
      why = std::string(algorithm) + " digest must have " + std::to_string(expected) +
            " hex digits, has " + std::to_string(value.size());
      return false;
    }
    for (char c : value) {
      if (c >= 'A' && c <= 'F') {
        why = std::string(algorithm) + " digest must be lower-case hex";
        return false;
      }
    }
  } else if (value.size() < 32) {
    why = "digest value must have at least 32 hex digits";
    return false;
  }
  return true;
}

bool registry_like(std::string_view first) {
  if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") return true;
  for (char c : first) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

}  // namespace

std::string ImageReference::name() const {
  return registry + "/" + repository;
}

std::string ImageReference::to_string() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

bool looks_like_registry_host(std::string_view host) {
  return registry_like(host) && valid_registry(host);
}

bool image_matches_prefix(const ImageReference& image, std::string_view prefix) {
  while (!prefix.empty() && prefix.back() == '/')
    prefix.remove_suffix(1);
  if (prefix.empty()) return false;
  std::string name = image.name();
  if (name.size() < prefix.size() || std::string_view(name).substr(0, prefix.size()) != prefix) {
    return false;
  }
  return name.size() == prefix.size() || name[prefix.size()] == '/';
}

kube::Result<ImageReference> parse_image_reference(std::string_view text) {
  if (text.empty()) return invalid(text, "empty");
  if (text != std::string_view(kube::trim(text))) return invalid(text, "surrounding whitespace");
  ImageReference ref;
  std::string_view rest = text;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    std::string why;
    if (!valid_digest(rest.substr(at + 1), why)) return invalid(text, why);
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
  }
  // The tag follows the last ':' after the last '/' (a ':' before it is a registry port).
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    std::string_view tag = rest.substr(colon + 1);
    if (!valid_tag(tag)) {
      return invalid(text, "tag \"" + std::string(tag) +
                               "\" must be 1-128 letters, digits, '_', '.' or '-', not starting "
                               "with '.' or '-'");
    }
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return invalid(text, "no repository name");
  if (rest.size() > kMaxNameLength) {
    return invalid(text, "name longer than " + std::to_string(kMaxNameLength) + " characters");
  }
  std::string_view remote = rest;
  auto first_slash = rest.find('/');
  if (first_slash != std::string_view::npos && registry_like(rest.substr(0, first_slash))) {
    std::string_view registry = rest.substr(0, first_slash);
    if (!valid_registry(registry)) {
      return invalid(text, "registry \"" + std::string(registry) + "\" is not a valid host[:port]");
    }
    ref.registry = registry == "index.docker.io" ? std::string(kDockerHub) : std::string(registry);
    remote = rest.substr(first_slash + 1);
  } else {
    ref.registry = std::string(kDockerHub);
  }
  if (remote.empty()) return invalid(text, "no repository name");
  std::size_t start = 0;
  while (true) {
    auto next = remote.find('/', start);
    std::string_view part =
        remote.substr(start, next == std::string_view::npos ? next : next - start);
    if (!valid_path_component(part)) {
      bool upper = false;
      for (char c : part)
        upper = upper || (c >= 'A' && c <= 'Z');
      return invalid(text, upper ? "repository name must be lower-case"
                                 : "repository path component \"" + std::string(part) +
                                       "\" must be lower-case letters and digits separated by "
                                       "'.', '_', '__' or '-'");
    }
    if (next == std::string_view::npos) break;
    start = next + 1;
  }
  ref.repository = std::string(remote);
  if (ref.registry == kDockerHub && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  return ref;
}

}  // namespace berth::webhooks
