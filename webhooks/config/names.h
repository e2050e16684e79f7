// Checks for the names and paths Berth's configuration and pod annotations carry. Each returns
// an empty string when the value is valid, else what is wrong, phrased to be appended to the
// field it came from ("berth.dev/log-paths: ...").
#pragma once

#include <string>
#include <string_view>

namespace berth::webhooks {

// RFC 1123 label: container, volume and namespace names (<= 63, [a-z0-9-], alphanumeric ends).
std::string dns_label_error(std::string_view name);
// RFC 1123 subdomain: Secret and ConfigMap names (<= 253, labels joined by '.').
std::string dns_subdomain_error(std::string_view name);
// An absolute, clean path ("/var/log/app"): no "." or ".." components, no "//", no trailing
// '/', not "/" itself, no NUL or ':' (mountPath cannot contain ':').
std::string absolute_path_error(std::string_view path);

// A file pattern a log sidecar tails: an absolute directory without wildcards, then a file name
// that may hold '*', '?' or '[...]' ("/var/log/app/*.log"). The directory becomes a shared
// emptyDir mount, so it must not shadow system directories (/etc, /usr, /proc, ...).
std::string log_path_error(std::string_view path);
// The directory part of a valid log path ("/var/log/app").
std::string_view log_path_directory(std::string_view path);

}  // namespace berth::webhooks
