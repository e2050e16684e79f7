#include "kube/core/yaml.h"

#include <rapidjson/internal/dtoa.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <charconv>
#include <cstdint>
#include <istream>
#include <limits>
#include <map>
#include <optional>
#include <streambuf>
#include <unordered_set>

namespace kube::yaml {
namespace {

// Kubernetes objects nest < 40 levels; the same bound as json::parse. The handler refuses
// deeper input as the parser descends, so yaml-cpp's recursion stays this shallow too.
constexpr std::size_t kMaxDepth = 256;
// Alias expansion copies values; bounding the total guards against "billion laughs" input.
constexpr std::size_t kMinNodeBudget = 1 << 20;
constexpr std::size_t kNodesPerInputByte = 8;
// Maps with more keys than this track their keys in a hash set for the duplicate check.
constexpr rapidjson::SizeType kLinearKeyScan = 32;

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

// A read-only streambuf over caller memory, so parsing does not copy the input.
class ViewBuf : public std::streambuf {
 public:
  explicit ViewBuf(std::string_view text) {
    char* p = const_cast<char*>(text.data());
    setg(p, p, p + text.size());
  }
};

struct ParseFailure {
  YAML::Mark mark;
  std::string message;
};

std::string where(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return " at line " + std::to_string(mark.line + 1) + ", column " +
         std::to_string(mark.column + 1);
}

bool is_bool_true(std::string_view s) {
  return s == "true" || s == "True" || s == "TRUE";
}
bool is_bool_false(std::string_view s) {
  return s == "false" || s == "False" || s == "FALSE";
}
bool is_null_word(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}
bool is_special_float(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  return s == ".inf" || s == ".Inf" || s == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN";
}

bool all_digits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= '0' && c <= '9' && c - '0' < base) ||
              (base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    if (!ok) return false;
  }
  return true;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_core_float(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t int_digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9')
    ++i, ++int_digits;
  std::size_t frac_digits = 0;
  bool dot = false;
  if (i < s.size() && s[i] == '.') {
    dot = true;
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i, ++frac_digits;
  }
  if (int_digits == 0 && !(dot && frac_digits > 0)) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

std::optional<double> to_double(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double d = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return d;
}

// Integers of the core schema: decimal with optional sign, 0o octal, 0x hex. Values beyond the
// 64-bit range become doubles, as a JSON decoder would make them.
std::optional<json::Value> to_int(std::string_view s) {
  int base = 10;
  bool negative = false;
  std::string_view digits = s;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
    base = s[1] == 'o' ? 8 : 16;
    digits = s.substr(2);
  } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    digits = s.substr(1);
  }
  if (!all_digits(digits, base)) return std::nullopt;
  std::uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec == std::errc() && ptr == digits.data() + digits.size()) {
    if (!negative) {
      if (magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return json::Value(static_cast<std::int64_t>(magnitude));
      }
      return json::Value(magnitude);
    }
    if (magnitude <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) {
      return json::Value(static_cast<std::int64_t>(0 - magnitude));
    }
  }
  if (base != 10) return std::nullopt;
  auto d = to_double(s);
  if (!d) return std::nullopt;
  return json::Value(*d);
}

// A boolean or number as JSON writes it (doubles in RapidJSON's shortest round-trip form).
std::string scalar_text(const json::Value& v) {
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  char buf[40];
  char* end = buf;
  if (v.IsInt64()) {
    end = std::to_chars(buf, buf + sizeof(buf), v.GetInt64()).ptr;
  } else if (v.IsUint64()) {
    end = std::to_chars(buf, buf + sizeof(buf), v.GetUint64()).ptr;
  } else {
    end = rapidjson::internal::dtoa(v.GetDouble(), buf);
  }
  return std::string(buf, end);
}

// Builds JSON directly from yaml-cpp's parse events, with an explicit stack (no recursion of
// ours) and anchors kept as finished copies.
class JsonBuilder : public YAML::EventHandler {
 public:
  JsonBuilder(json::Allocator& allocator, std::size_t node_budget)
      : alloc_(allocator), node_budget_(node_budget) {}

  // The finished root of the last document; null when it was empty.
  json::Value take_root() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark&) override {
    stack_.clear();
    anchors_.clear();
    root_.SetNull();
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    finish(mark, json::Value(), anchor, /*plain_merge_key=*/false);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      throw ParseFailure{mark, "alias refers to a node that contains it (recursive alias)"};
    }
    std::size_t nodes = count_nodes(it->second);
    charge(mark, nodes);
    json::Value copy(it->second, alloc_);
    finish(mark, std::move(copy), YAML::NullAnchor, false);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    charge(mark, 1);
    finish(mark, resolve(mark, tag, value), anchor, tag == "?" && value == "<<");
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, json::Value(rapidjson::kArrayType), anchor);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, json::Value(rapidjson::kObjectType), anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    json::Value container;
    YAML::anchor_t anchor = YAML::NullAnchor;
    YAML::Mark mark;
    // Map state: a key waits for its value.
    bool have_key = false;
    bool key_is_merge = false;
    json::Value key;
    YAML::Mark key_mark;
    // Values of "<<" keys, merged when the map closes (explicit keys take precedence).
    std::vector<json::Value> merges;
    std::unordered_set<std::string> keys;
  };

  void charge(const YAML::Mark& mark, std::size_t nodes) {
    if (nodes > node_budget_) {
      throw ParseFailure{mark, "document expands to too many nodes (alias expansion bomb?)"};
    }
    node_budget_ -= nodes;
  }

  static std::size_t count_nodes(const json::Value& v) {
    std::size_t n = 0;
    std::vector<const json::Value*> todo{&v};
    while (!todo.empty()) {
      const json::Value* cur = todo.back();
      todo.pop_back();
      ++n;
      if (cur->IsArray()) {
        for (const auto& item : cur->GetArray())
          todo.push_back(&item);
      } else if (cur->IsObject()) {
        for (const auto& m : cur->GetObject())
          todo.push_back(&m.value);
      }
    }
    return n;
  }

  json::Value resolve(const YAML::Mark& mark, const std::string& tag, const std::string& text) {
    std::string_view s = text;
    if (tag == "!") return json::make_string(s, alloc_);  // quoted or block scalar
    if (tag.compare(0, kTagPrefix.size(), kTagPrefix) == 0) {
      std::string_view type = std::string_view(tag).substr(kTagPrefix.size());
      if (type == "str" || type == "binary" || type == "timestamp") {
        return json::make_string(s, alloc_);
      }
      if (type == "null") {
        if (!is_null_word(s)) throw ParseFailure{mark, "invalid !!null value"};
        return json::Value();
      }
      if (type == "bool") {
        if (is_bool_true(s)) return json::Value(true);
        if (is_bool_false(s)) return json::Value(false);
        throw ParseFailure{mark, "invalid !!bool value \"" + text + "\""};
      }
      if (type == "int") {
        if (auto v = to_int(s)) return std::move(*v);
        throw ParseFailure{mark, "invalid !!int value \"" + text + "\""};
      }
      if (type == "float") {
        if (is_special_float(s)) throw no_json(mark, text);
        if (auto v = to_int(s)) return json::Value(v->GetDouble());
        if (is_core_float(s)) {
          if (auto d = to_double(s)) return json::Value(*d);
        }
        throw ParseFailure{mark, "invalid !!float value \"" + text + "\""};
      }
    }
    if (tag != "?") return json::make_string(s, alloc_);  // unknown tags keep the text
    if (is_null_word(s)) return json::Value();
    if (is_bool_true(s)) return json::Value(true);
    if (is_bool_false(s)) return json::Value(false);
    if (is_special_float(s)) throw no_json(mark, text);
    if (auto v = to_int(s)) return std::move(*v);
    if (is_core_float(s)) {
      if (auto d = to_double(s)) return json::Value(*d);
    }
    return json::make_string(s, alloc_);
  }

  static ParseFailure no_json(const YAML::Mark& mark, const std::string& text) {
    return ParseFailure{mark, "\"" + text + "\" (infinity or NaN) cannot be represented in JSON"};
  }

  void open(const YAML::Mark& mark, json::Value container, YAML::anchor_t anchor) {
    if (stack_.size() >= kMaxDepth) {
      throw ParseFailure{mark, "nesting exceeds the maximum depth of " + std::to_string(kMaxDepth)};
    }
    charge(mark, 1);
    Frame frame;
    frame.container = std::move(container);
    frame.anchor = anchor;
    frame.mark = mark;
    stack_.push_back(std::move(frame));
  }

  void close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (frame.container.IsObject()) apply_merges(frame);
    finish(frame.mark, std::move(frame.container), frame.anchor, false);
  }

  void apply_merges(Frame& frame) {
    json::Value& map = frame.container;
    for (json::Value& source : frame.merges) {
      if (source.IsObject()) {
        merge_from(map, source);
      } else if (source.IsArray()) {
        for (json::Value& item : source.GetArray()) {
          if (!item.IsObject()) {
            throw ParseFailure{frame.mark, "merge key \"<<\" needs mappings or a list of mappings"};
          }
          merge_from(map, item);
        }
      } else {
        throw ParseFailure{frame.mark, "merge key \"<<\" needs a mapping or a list of mappings"};
      }
    }
  }

  void merge_from(json::Value& map, json::Value& source) {
    for (auto& m : source.GetObject()) {
      if (map.FindMember(m.name) == map.MemberEnd()) {
        map.AddMember(json::Value(m.name, alloc_), std::move(m.value), alloc_);
      }
    }
  }

  // Places a finished value into its parent (or makes it the root).
  void finish(const YAML::Mark& mark, json::Value value, YAML::anchor_t anchor,
              bool plain_merge_key) {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = json::Value(value, alloc_);
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.container.IsArray()) {
      parent.container.PushBack(std::move(value), alloc_);
      return;
    }
    if (!parent.have_key) {
      parent.key = key_string(mark, value);
      parent.key_mark = mark;
      parent.key_is_merge = plain_merge_key;
      parent.have_key = true;
      return;
    }
    parent.have_key = false;
    if (parent.key_is_merge) {
      parent.merges.push_back(std::move(value));
      return;
    }
    add_member(parent, std::move(value));
  }

  void add_member(Frame& frame, json::Value value) {
    json::Value& map = frame.container;
    std::string_view key = json::as_string(frame.key);
    bool duplicate = false;
    if (map.MemberCount() < kLinearKeyScan) {
      duplicate = map.FindMember(frame.key) != map.MemberEnd();
    } else {
      if (frame.keys.empty()) {
        for (const auto& m : map.GetObject())
          frame.keys.emplace(json::as_string(m.name));
      }
      duplicate = !frame.keys.emplace(key).second;
    }
    if (duplicate) {
      throw ParseFailure{frame.key_mark,
                         "mapping key \"" + std::string(key) + "\" already defined"};
    }
    map.AddMember(std::move(frame.key), std::move(value), alloc_);
  }

  // JSON keys are strings: scalars keep their text form (1 -> "1", true -> "true", null ->
  // "null"); mappings and sequences cannot be keys.
  json::Value key_string(const YAML::Mark& mark, const json::Value& key) {
    if (key.IsString()) return json::Value(key, alloc_);
    if (key.IsObject() || key.IsArray()) {
      throw ParseFailure{mark, "mapping or sequence used as a mapping key"};
    }
    if (key.IsNull()) return json::make_string("null", alloc_);
    return json::make_string(scalar_text(key), alloc_);
  }

  json::Allocator& alloc_;
  std::size_t node_budget_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, json::Value> anchors_;
  json::Value root_;
};

Error to_error(const YAML::Mark& mark, const std::string& message) {
  return Error::parse("invalid YAML" + where(mark) + ": " + message);
}

// Parses every document; empty ones are dropped.
Result<std::vector<json::Document>> parse_all(std::string_view text) {
  std::vector<json::Document> documents;
  ViewBuf buf(text);
  std::istream in(&buf);
  std::size_t budget = std::max(kMinNodeBudget, text.size() * kNodesPerInputByte);
  try {
    YAML::Parser parser(in);
    // Every document consumes input; yaml-cpp 0.7 can report empty documents forever on some
    // malformed bytes (found by fuzz_yaml: ",\xf6\x0b\xfc"), so more documents than input
    // bytes means it stopped advancing.
    std::size_t documents_left = text.size() + 1;
    while (true) {
      if (documents_left-- == 0) {
        return Error::parse("invalid YAML: the parser stopped advancing (malformed input)");
      }
      json::Document doc;
      JsonBuilder builder(doc.GetAllocator(), budget);
      if (!parser.HandleNextDocument(builder)) break;
      json::Value root = builder.take_root();
      if (root.IsNull()) continue;
      static_cast<json::Value&>(doc) = std::move(root);
      documents.push_back(std::move(doc));
    }
  } catch (const ParseFailure& failure) {
    return to_error(failure.mark, failure.message);
  } catch (const YAML::Exception& e) {
    return to_error(e.mark, e.msg);
  }
  return documents;
}

// ---- Emitting ----

bool is_printable(unsigned char c) {
  return c >= 0x20 && c != 0x7f;
}

// Unicode line breaks (NEL, LS, PS) and the byte order mark: some YAML readers treat them as
// structure, so they never appear unescaped.
constexpr std::string_view kUnicodeBreaks[] = {"\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9",
                                               "\xef\xbb\xbf"};
constexpr std::string_view kUnicodeBreakEscapes[] = {"\\u0085", "\\u2028", "\\u2029", "\\uFEFF"};

bool has_unicode_break(std::string_view s) {
  for (std::string_view b : kUnicodeBreaks) {
    if (s.find(b) != std::string_view::npos) return true;
  }
  return false;
}

bool is_yaml11_word(std::string_view s) {
  static constexpr std::string_view kWords[] = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                "N",  "no",  "No",  "NO",  "on",  "On",
                                                "ON", "off", "Off", "OFF", "=",   "<<"};
  for (std::string_view w : kWords) {
    if (s == w) return true;
  }
  return false;
}

// Conservatively true for anything a YAML 1.1 or 1.2 reader might take for a number
// (0755, 1_000, 12:30, 1e3, 0x1F, .5).
bool looks_numeric(std::string_view s) {
  if (s.empty()) return false;
  char c = s[0];
  if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')) return false;
  for (char ch : s) {
    bool ok = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
              ch == 'x' || ch == 'X' || ch == 'o' || ch == 'O' || ch == '.' || ch == '_' ||
              ch == ':' || ch == '+' || ch == '-';
    if (!ok) return false;
  }
  return true;
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  if (is_null_word(s) || is_bool_true(s) || is_bool_false(s) || is_special_float(s) ||
      is_yaml11_word(s) || looks_numeric(s) || is_core_float(s)) {
    return true;
  }
  static constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@`";
  if (kIndicators.find(s[0]) != std::string_view::npos) {
    // "-x" and "?x" and ":x" are plain in block context, but quoting costs nothing here.
    return true;
  }
  // A plain scalar can open the document, where bytes like FE FF or EF BB BF read as a byte
  // order mark and switch the reader's encoding (found by fuzz_yaml); a leading non-ASCII
  // byte is quoted.
  if (static_cast<unsigned char>(s[0]) >= 0x80) return true;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return true;
  if (s.find(": ") != std::string_view::npos || s.find(" #") != std::string_view::npos) {
    return true;
  }
  if (s == "---" || s == "..." || has_unicode_break(s)) return true;
  for (char c : s) {
    if (!is_printable(static_cast<unsigned char>(c)) || c == '\t') return true;
  }
  return false;
}

void append_double_quoted(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    auto u = static_cast<unsigned char>(c);
    if (u == 0xc2 || u == 0xe2 || u == 0xef) {
      bool escaped = false;
      for (std::size_t k = 0; k < std::size(kUnicodeBreaks); ++k) {
        if (s.substr(i, kUnicodeBreaks[k].size()) == kUnicodeBreaks[k]) {
          out.append(kUnicodeBreakEscapes[k]);
          i += kUnicodeBreaks[k].size() - 1;
          escaped = true;
          break;
        }
      }
      if (escaped) continue;
    }
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
      case '\t':
        out.append("\\t");
        break;
      case '\r':
        out.append("\\r");
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out.append("\\x").push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 15]);
        } else {
          out.push_back(c);  // UTF-8 passes through
        }
    }
  }
  out.push_back('"');
}

// A literal block keeps multi-line text readable (certificates, scripts, config files), as
// kubectl -o yaml does. Only text that a block scalar reproduces exactly qualifies.
bool fits_literal_block(std::string_view s) {
  if (s.find('\n') == std::string_view::npos) return false;
  if (s.front() == ' ' || s.front() == '\n') return false;  // would need an indentation indicator
  if (has_unicode_break(s)) return false;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n') {
      std::string_view line = s.substr(line_start, i - line_start);
      if (!line.empty() && (line.back() == ' ' || line.back() == '\t')) return false;
      line_start = i + 1;
      continue;
    }
    auto u = static_cast<unsigned char>(s[i]);
    if (!is_printable(u) && s[i] != '\t') return false;
  }
  return true;
}

void append_indent(std::size_t indent, std::string& out) {
  out.append(indent, ' ');
}

void append_literal_block(std::string_view s, std::size_t indent, std::string& out) {
  std::size_t trailing = 0;
  while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n')
    ++trailing;
  out.append(trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+");
  out.push_back('\n');
  std::string_view body = s.substr(0, s.size() - trailing);
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(start, end - start);
    if (!line.empty()) append_indent(indent, out);
    out.append(line).push_back('\n');
    start = end + 1;
  }
  // Keep-chomping: the extra line breaks are empty lines of the block.
  for (std::size_t i = 1; i < trailing; ++i)
    out.push_back('\n');
}

void append_string(std::string_view s, std::string& out) {
  if (needs_quotes(s)) {
    append_double_quoted(s, out);
  } else {
    out.append(s);
  }
}

void append_number(const json::Value& v, std::string& out) {
  out.append(scalar_text(v));
}

bool is_scalar_or_empty(const json::Value& v) {
  if (v.IsObject()) return v.MemberCount() == 0;
  if (v.IsArray()) return v.Empty();
  return true;
}

// Writes a scalar (or {} / []) after "key:" or "- ", ending the line.
void append_inline(const json::Value& v, std::size_t block_indent, std::string& out) {
  if (v.IsString()) {
    std::string_view s = json::as_string(v);
    if (fits_literal_block(s)) {
      out.push_back(' ');
      append_literal_block(s, block_indent, out);
      return;
    }
    out.push_back(' ');
    append_string(s, out);
  } else if (v.IsNull()) {
    out.append(" null");
  } else if (v.IsBool()) {
    out.append(v.GetBool() ? " true" : " false");
  } else if (v.IsNumber()) {
    out.push_back(' ');
    append_number(v, out);
  } else if (v.IsObject()) {
    out.append(" {}");
  } else {
    out.append(" []");
  }
  out.push_back('\n');
}

void emit_block(const json::Value& v, std::size_t indent, bool first_line_indented,
                std::string& out);

void emit_map(const json::Value& v, std::size_t indent, bool first_line_indented,
              std::string& out) {
  bool first = true;
  for (const auto& m : v.GetObject()) {
    if (!first || first_line_indented) append_indent(indent, out);
    first = false;
    append_string(json::as_string(m.name), out);
    out.push_back(':');
    if (is_scalar_or_empty(m.value)) {
      append_inline(m.value, indent + 2, out);
    } else if (m.value.IsObject()) {
      out.push_back('\n');
      emit_map(m.value, indent + 2, true, out);
    } else {
      // Sequences under a key start at the key's column, as kubectl writes them.
      out.push_back('\n');
      emit_block(m.value, indent, true, out);
    }
  }
}

void emit_block(const json::Value& v, std::size_t indent, bool first_line_indented,
                std::string& out) {
  if (v.IsObject()) {
    emit_map(v, indent, first_line_indented, out);
    return;
  }
  bool first = true;
  for (const auto& item : v.GetArray()) {
    if (!first || first_line_indented) append_indent(indent, out);
    first = false;
    out.push_back('-');
    if (is_scalar_or_empty(item)) {
      append_inline(item, indent + 2, out);
    } else {
      out.push_back(' ');
      emit_block(item, indent + 2, false, out);
    }
  }
}

}  // namespace

Result<std::vector<json::Document>> to_json_all(std::string_view text) {
  return parse_all(text);
}

Result<json::Document> to_json(std::string_view text) {
  KUBE_ASSIGN_OR_RETURN(auto documents, parse_all(text));
  if (documents.empty()) return json::Document();
  if (documents.size() > 1) {
    return Error::parse("expected one YAML document, found " + std::to_string(documents.size()));
  }
  return std::move(documents.front());
}

std::string from_json(const json::Value& value) {
  std::string out;
  if (value.IsString()) {
    // A literal block needs indented content, which a document root cannot have.
    append_string(json::as_string(value), out);
    out.push_back('\n');
    return out;
  }
  if (is_scalar_or_empty(value)) {
    append_inline(value, 0, out);
    out.erase(0, 1);  // append_inline writes the space that follows "key:"
    return out;
  }
  emit_block(value, 0, true, out);
  return out;
}

}  // namespace kube::yaml
