#include "webhooks/config/names.h"

namespace berth::webhooks {
namespace {

bool lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string label_error(std::string_view name, std::size_t max) {
  if (name.empty()) return "must not be empty";
  if (name.size() > max) {
    return "\"" + std::string(name) + "\" is longer than " + std::to_string(max) + " characters";
  }
  for (char c : name) {
    if (!lower_alnum(c) && c != '-') {
      return "\"" + std::string(name) +
             "\" must consist of lower-case letters, digits and '-' (RFC 1123 label)";
    }
  }
  if (!lower_alnum(name.front()) || !lower_alnum(name.back())) {
    return "\"" + std::string(name) + "\" must start and end with a letter or digit";
  }
  return {};
}

bool equal_or_under(std::string_view dir, std::string_view root) {
  return dir == root || (dir.size() > root.size() && dir.substr(0, root.size()) == root &&
                         dir[root.size()] == '/');
}

}  // namespace

std::string dns_label_error(std::string_view name) {
  return label_error(name, 63);
}

std::string dns_subdomain_error(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > 253) {
    return "\"" + std::string(name) + "\" is longer than 253 characters";
  }
  std::size_t start = 0;
  while (true) {
    auto dot = name.find('.', start);
    std::string_view part = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!label_error(part, 253).empty()) {
      return "\"" + std::string(name) +
             "\" must consist of lower-case letters, digits, '-' and '.', starting and ending "
             "with a letter or digit (RFC 1123 subdomain)";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return {};
}

std::string absolute_path_error(std::string_view path) {
  std::string quoted = "\"" + std::string(path) + "\"";
  if (path.empty() || path.front() != '/') return quoted + " must be an absolute path";
  if (path == "/") return quoted + " must not be the root directory";
  if (path.back() == '/') return quoted + " must not end with '/'";
  if (path.find('\0') != std::string_view::npos || path.find(':') != std::string_view::npos) {
    return quoted + " must not contain ':' or NUL";
  }
  std::size_t start = 1;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    std::string_view part =
        path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == "..") {
      return quoted + " must not contain empty, '.' or '..' components";
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

std::string_view log_path_directory(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

std::string log_path_error(std::string_view path) {
  std::string quoted = "\"" + std::string(path) + "\"";
  auto slash = path.rfind('/');
  if (path.empty() || path.front() != '/' || slash == std::string_view::npos) {
    return quoted + " must be an absolute file path or pattern, e.g. /var/log/app/*.log";
  }
  std::string_view dir = path.substr(0, slash);
  std::string_view file = path.substr(slash + 1);
  if (file.empty()) return quoted + " must name files in a directory, e.g. /var/log/app/*.log";
  if (dir.find_first_of("*?[]") != std::string_view::npos) {
    return quoted + ": wildcards are allowed in the file name only";
  }
  if (dir.empty()) return quoted + ": log files must be in a directory below /";
  if (std::string e = absolute_path_error(dir); !e.empty()) return e;
  for (std::string_view root :
       {"/proc", "/sys", "/dev", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/usr", "/boot",
        "/var/run/secrets", "/var/run/berth", "/run/secrets"}) {
    if (equal_or_under(dir, root)) {
      return quoted + ": directory " + std::string(dir) +
             " is a system directory; write logs "
             "to a directory of their own, e.g. /var/log/app";
    }
  }
  for (std::string_view exact : {"/var", "/run", "/var/run", "/var/lib", "/tmp", "/home", "/root",
                                 "/opt", "/srv", "/var/log"}) {
    if (dir == exact) {
      return quoted + ": mounting over " + std::string(dir) +
             " would hide the image's files; "
             "use a directory of its own, e.g. " +
             std::string(dir) + "/app";
    }
  }
  if (file.find('\0') != std::string_view::npos) return quoted + " must not contain NUL";
  return {};
}

}  // namespace berth::webhooks
