#include "kube/core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "kube/core/time.h"

namespace kube::log {
namespace {

std::atomic<int> g_verbosity{0};
std::atomic<Format> g_format{Format::kText};

struct SinkState {
  std::mutex mu;
  std::function<void(std::string_view)> sink;
  std::string component;
};

SinkState& state() {
  static SinkState* s = new SinkState();  // never destroyed: logging may run during exit
  return *s;
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
      return true;
    }
  }
  return false;
}

void append_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", static_cast<unsigned>(c));
          out.append(buf);
        } else {
          out.push_back(c);
        }
    }
  }
}

void append_text_value(std::string& out, std::string_view v) {
  if (needs_quotes(v)) {
    out.push_back('"');
    append_escaped(out, v);
    out.push_back('"');
  } else {
    out.append(v);
  }
}

void append_json_pair(std::string& out, std::string_view k, std::string_view v) {
  out.push_back('"');
  append_escaped(out, k);
  out.append("\":\"");
  append_escaped(out, v);
  out.push_back('"');
}

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
  }
  return "info";
}

}  // namespace

Field::Field(std::string_view k, double v) : key(k) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  value = buf;
}

void set_verbosity(int level) {
  g_verbosity.store(level, std::memory_order_relaxed);
}
int verbosity() {
  return g_verbosity.load(std::memory_order_relaxed);
}
void set_format(Format format) {
  g_format.store(format, std::memory_order_relaxed);
}

void set_sink(std::function<void(std::string_view)> sink) {
  std::lock_guard<std::mutex> lock(state().mu);
  state().sink = std::move(sink);
}

void set_component(std::string_view name) {
  std::lock_guard<std::mutex> lock(state().mu);
  state().component = std::string(name);
}

void write(Severity severity, std::string_view message, Fields fields) {
  std::string ts = format_micro_time(std::chrono::system_clock::now());
  std::string line;
  line.reserve(128);
  SinkState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (g_format.load(std::memory_order_relaxed) == Format::kJson) {
    line.push_back('{');
    append_json_pair(line, "ts", ts);
    line.push_back(',');
    append_json_pair(line, "level", severity_name(severity));
    if (!s.component.empty()) {
      line.push_back(',');
      append_json_pair(line, "component", s.component);
    }
    line.push_back(',');
    append_json_pair(line, "msg", message);
    for (const Field& f : fields) {
      line.push_back(',');
      append_json_pair(line, f.key, f.value);
    }
    line.append("}\n");
  } else {
    line.append("ts=").append(ts).append(" level=").append(severity_name(severity));
    if (!s.component.empty()) line.append(" component=").append(s.component);
    line.append(" msg=");
    append_text_value(line, message);
    for (const Field& f : fields) {
      line.push_back(' ');
      line.append(f.key).push_back('=');
      append_text_value(line, f.value);
    }
    line.push_back('\n');
  }
  if (s.sink) {
    s.sink(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

}  // namespace kube::log
