// Small string utilities shared across Berth (no locale, no allocation where avoidable).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kube {

std::vector<std::string_view> split(std::string_view s, char sep);
std::string_view trim(std::string_view s);
bool iequals(std::string_view a, std::string_view b);  // ASCII case-insensitive
std::string join(const std::vector<std::string>& parts, std::string_view sep);

// Standard base64 (RFC 4648 §4, padded) and base64url without padding (§5; continue tokens).
std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);  // accepts missing padding
std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);

// Percent-encoding for URL query values and decoding of query strings ('+' is a space).
std::string url_encode(std::string_view s);
std::optional<std::string> url_decode(std::string_view s);

// Parses a decimal integer that must fill the whole string.
std::optional<long long> parse_int(std::string_view s);

// FNV-1a, stable across runs and platforms (pod-template-hash style names, sharding).
unsigned long long fnv1a64(std::string_view data);

// Lower-case alphanumerics a Kubernetes name suffix may use ("bcdfghjklmnpqrstvwxz2456789").
std::string random_suffix(std::size_t length);

}  // namespace kube
