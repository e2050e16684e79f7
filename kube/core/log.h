// Structured logging: one line per record, logfmt (key=value) or JSON, to stderr.
// Verbosity follows Kubernetes' -v convention: info is v=0; log::v(4, ...) is debug detail.
// Never pass secret values (tokens, keys, Secret data) as fields.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

namespace kube::log {

enum class Severity { kInfo, kWarning, kError };
enum class Format { kText, kJson };

// One key=value pair. Values are rendered to text when the record is built.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(v != nullptr ? v : "") {}
  Field(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  Field(std::string_view k, int v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, long long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, unsigned long long v) : key(k), value(std::to_string(v)) {}
  Field(std::string_view k, double v);
  std::string_view key;
  std::string value;
};
using Fields = std::initializer_list<Field>;

void set_verbosity(int level);
int verbosity();
inline bool enabled(int level) {
  return level <= verbosity();
}
void set_format(Format format);
// Replaces the stderr sink (tests capture lines with it); nullptr restores stderr.
void set_sink(std::function<void(std::string_view line)> sink);
// The component name written into every record ("berth-sim", "berth-extender", ...).
void set_component(std::string_view name);

void write(Severity severity, std::string_view message, Fields fields);

inline void info(std::string_view message, Fields fields = {}) {
  write(Severity::kInfo, message, fields);
}
inline void warn(std::string_view message, Fields fields = {}) {
  write(Severity::kWarning, message, fields);
}
inline void error(std::string_view message, Fields fields = {}) {
  write(Severity::kError, message, fields);
}
// Info at verbosity `level`; fields are still evaluated, so guard expensive ones with enabled().
inline void v(int level, std::string_view message, Fields fields = {}) {
  if (enabled(level)) write(Severity::kInfo, message, fields);
}

}  // namespace kube::log
