#include "kube/api/selector.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <set>
#include <utility>

namespace kube {
namespace {

// Compares lengths explicitly: json::find reads `key` only up to a NUL byte, and parts of a
// dotted path are not NUL-terminated.
const json::Value* find_member(const json::Value& object, std::string_view key) {
  if (!object.IsObject()) return nullptr;
  for (const auto& m : object.GetObject()) {
    if (json::as_string(m.name) == key) return &m.value;
  }
  return nullptr;
}

// ---- Messages --------------------------------------------------------------------------------
// Clients (and Berth's own tests) compare these strings with what a real apiserver says, so
// they reproduce its wording, including Go's %q quoting and the field.Error layout
// "<path>: Invalid value: <value>: <detail>".

void append_hex_byte(std::string& out, unsigned char c) {
  constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

// Length of the valid UTF-8 sequence starting at s[i] (0 when invalid).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

// Go's strconv.Quote for the characters label selectors can contain (printable non-ASCII runes
// are kept, invalid bytes become \x..).
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (c < 0x20 || c == 0x7F) {
            append_hex_byte(out, c);
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    std::size_t n = utf8_sequence_length(s, i);
    if (n == 0) {
      append_hex_byte(out, c);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  out += '"';
  return out;
}

// Go's %#v of a []string.
std::string go_string_slice(const std::vector<std::string>& values) {
  if (values.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += go_quote(values[i]);
  }
  out += '}';
  return out;
}

std::string invalid_value(std::string_view path, std::string_view quoted_value,
                          std::string_view detail) {
  std::string out(path);
  out.append(": Invalid value: ").append(quoted_value);
  if (!detail.empty()) out.append(": ").append(detail);
  return out;
}

// utilerrors.Aggregate: one message alone, several as "[a, b]" without duplicates.
std::string aggregate(const std::vector<std::string>& errors) {
  std::vector<std::string> unique;
  for (const auto& e : errors) {
    if (std::find(unique.begin(), unique.end(), e) == unique.end()) unique.push_back(e);
  }
  if (unique.size() == 1) return unique.front();
  std::string out = "[";
  for (std::size_t i = 0; i < unique.size(); ++i) {
    if (i > 0) out += ", ";
    out += unique[i];
  }
  out += ']';
  return out;
}

std::string join_errors(const std::vector<std::string>& errors) {
  std::string out;
  for (std::size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) out += "; ";
    out += errors[i];
  }
  return out;
}

// ---- Validation (k8s.io/apimachinery/pkg/util/validation) ------------------------------------

constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kQualifiedNameErrMsg =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character";
constexpr std::string_view kLabelValueErrMsg =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1123SubdomainErrMsg =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character";
constexpr std::size_t kQualifiedNameMaxLength = 63;
constexpr std::size_t kLabelValueMaxLength = 63;
constexpr std::size_t kDns1123SubdomainMaxLength = 253;

std::string regex_error(std::string_view msg, std::string_view fmt,
                        std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  if (examples.size() == 0) {
    out.append(" (regex used for validation is '").append(fmt).append("')");
    return out;
  }
  out += " (e.g. ";
  bool first = true;
  for (std::string_view e : examples) {
    if (!first) out += " or ";
    first = false;
    out.append("'").append(e).append("', ");
  }
  out.append("regex used for validation is '").append(fmt).append("')");
  return out;
}

std::string max_len_error(std::size_t n) {
  return "must be no more than " + std::to_string(n) + " characters";
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// ^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$
bool is_qualified_name_part(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return is_alnum(c) || c == '-' || c == '_' || c == '.'; });
}

bool is_dns1123_label_chars(std::string_view s) {
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return lower_alnum(c) || c == '-'; });
}

bool is_dns1123_subdomain(std::string_view s) {
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    std::string_view label = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (!is_dns1123_label_chars(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::vector<std::string> dns1123_subdomain_errors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123SubdomainMaxLength) {
    errs.push_back(max_len_error(kDns1123SubdomainMaxLength));
  }
  if (!is_dns1123_subdomain(value)) {
    errs.push_back(regex_error(kDns1123SubdomainErrMsg, kDns1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

// ---- Label selector lexer and parser (labels.Parse) ------------------------------------------

enum class Token {
  kError,
  kEndOfString,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Scanned {
  Token token;
  std::string literal;
};

std::optional<Token> keyword(std::string_view s) {
  static constexpr std::pair<std::string_view, Token> kTable[] = {
      {")", Token::kClosedPar},     {",", Token::kComma},    {"!", Token::kDoesNotExist},
      {"==", Token::kDoubleEquals}, {"=", Token::kEquals},   {">", Token::kGreaterThan},
      {"in", Token::kIn},           {"<", Token::kLessThan}, {"!=", Token::kNotEquals},
      {"notin", Token::kNotIn},     {"(", Token::kOpenPar},
  };
  for (const auto& [text, token] : kTable) {
    if (text == s) return token;
  }
  return std::nullopt;
}

bool is_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_special_symbol(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

// Byte-wise lexer with the apiserver's quirks: a NUL byte reads like the end of the input, and
// special symbols are matched greedily ("!=" before "!").
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Scanned lex() {
    char c = skip_whitespace(read());
    if (c == '\0') return {Token::kEndOfString, ""};
    unread();
    return is_special_symbol(c) ? scan_special_symbol() : scan_identifier_or_keyword();
  }

 private:
  char read() {
    if (pos_ < s_.size()) return s_[pos_++];
    return '\0';
  }
  void unread() { --pos_; }
  char skip_whitespace(char c) {
    while (is_whitespace(c))
      c = read();
    return c;
  }

  Scanned scan_identifier_or_keyword() {
    std::string buffer;
    while (true) {
      char c = read();
      if (c == '\0') break;
      if (is_special_symbol(c) || is_whitespace(c)) {
        unread();
        break;
      }
      buffer += c;
    }
    if (auto t = keyword(buffer)) return {*t, buffer};
    return {Token::kIdentifier, buffer};
  }

  Scanned scan_special_symbol() {
    std::string buffer;
    std::optional<Scanned> last;
    while (true) {
      char c = read();
      if (c == '\0') break;
      if (!is_special_symbol(c)) {
        unread();
        break;
      }
      buffer += c;
      if (auto t = keyword(buffer)) {
        last = Scanned{*t, buffer};
      } else if (last) {
        unread();
        break;
      }
    }
    if (!last) return {Token::kError, "error expected: keyword found '" + buffer + "'"};
    return *last;
  }

  std::string_view s_;
  std::size_t pos_ = 0;
};

// Operators as the parser sees them; "==" is kept apart until the requirement is built because
// the apiserver validates it like "=".
enum class ParsedOp {
  kNone,
  kExists,
  kDoesNotExist,
  kEquals,
  kDoubleEquals,
  kNotEquals,
  kIn,
  kNotIn,
  kGreaterThan,
  kLessThan
};

LabelRequirement::Op to_requirement_op(ParsedOp op) {
  switch (op) {
    case ParsedOp::kDoesNotExist:
      return LabelRequirement::Op::kDoesNotExist;
    case ParsedOp::kEquals:
    case ParsedOp::kDoubleEquals:
      return LabelRequirement::Op::kEquals;
    case ParsedOp::kNotEquals:
      return LabelRequirement::Op::kNotEquals;
    case ParsedOp::kIn:
      return LabelRequirement::Op::kIn;
    case ParsedOp::kNotIn:
      return LabelRequirement::Op::kNotIn;
    case ParsedOp::kGreaterThan:
      return LabelRequirement::Op::kGreaterThan;
    case ParsedOp::kLessThan:
      return LabelRequirement::Op::kLessThan;
    case ParsedOp::kNone:
    case ParsedOp::kExists:
      break;
  }
  return LabelRequirement::Op::kExists;
}

// strconv.ParseInt(s, 10, 64)
std::optional<std::int64_t> parse_go_int64(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool negative = false;
  if (s.front() == '+' || s.front() == '-') {
    negative = s.front() == '-';
    s.remove_prefix(1);
    if (s.empty()) return std::nullopt;
  }
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  constexpr std::uint64_t kMaxPositive = static_cast<std::uint64_t>(INT64_MAX);
  if (negative) {
    if (magnitude > kMaxPositive + 1) return std::nullopt;
    return magnitude == kMaxPositive + 1 ? INT64_MIN : -static_cast<std::int64_t>(magnitude);
  }
  if (magnitude > kMaxPositive) return std::nullopt;
  return static_cast<std::int64_t>(magnitude);
}

// labels.NewRequirement's checks. `path` is the field path prefix ("" when the caller has none,
// which renders the key path as "key" and values as "values[i][<key>]").
std::vector<std::string> requirement_errors(const std::string& key, LabelRequirement::Op op,
                                            const std::vector<std::string>& values) {
  std::vector<std::string> errs;
  if (auto key_errs = qualified_name_errors(key); !key_errs.empty()) {
    errs.push_back(invalid_value("key", go_quote(key), join_errors(key_errs)));
  }
  using Op = LabelRequirement::Op;
  switch (op) {
    case Op::kIn:
    case Op::kNotIn:
      if (values.empty()) {
        errs.push_back(invalid_value("values", go_string_slice(values),
                                     "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case Op::kEquals:
    case Op::kNotEquals:
      if (values.size() != 1) {
        errs.push_back(invalid_value("values", go_string_slice(values),
                                     "exact-match compatibility requires one single value"));
      }
      break;
    case Op::kExists:
    case Op::kDoesNotExist:
      if (!values.empty()) {
        errs.push_back(invalid_value("values", go_string_slice(values),
                                     "values set must be empty for exists and does not exist"));
      }
      break;
    case Op::kGreaterThan:
    case Op::kLessThan:
      if (values.size() != 1) {
        errs.push_back(invalid_value("values", go_string_slice(values),
                                     "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (!parse_go_int64(values[i])) {
          errs.push_back(invalid_value("values[" + std::to_string(i) + "]", go_quote(values[i]),
                                       "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      }
      break;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (auto value_errs = label_value_errors(values[i]); !value_errs.empty()) {
      errs.push_back(invalid_value("values[" + std::to_string(i) + "][" + key + "]",
                                   go_quote(values[i]), join_errors(value_errs)));
    }
  }
  return errs;
}

class Parser {
 public:
  explicit Parser(std::string_view text) {
    Lexer lexer(text);
    while (true) {
      items_.push_back(lexer.lex());
      if (items_.back().token == Token::kEndOfString) break;
    }
  }

  Result<std::vector<LabelRequirement>> parse() {
    std::vector<LabelRequirement> requirements;
    while (true) {
      const Scanned& next = lookahead(Context::kValues);
      switch (values_token(next.token)) {
        case Token::kIdentifier:
        case Token::kDoesNotExist: {
          auto r = parse_requirement();
          if (!r.ok()) return bad_request("unable to parse requirement: " + r.error().message);
          requirements.push_back(std::move(*r));
          Scanned after = consume();
          switch (values_token(after.token)) {
            case Token::kEndOfString:
              return requirements;
            case Token::kComma: {
              const Scanned& n2 = lookahead(Context::kValues);
              Token t2 = values_token(n2.token);
              if (t2 != Token::kIdentifier && t2 != Token::kDoesNotExist) {
                return bad_request("found '" + n2.literal + "', expected: identifier after ','");
              }
              break;
            }
            default:
              return bad_request("found '" + after.literal + "', expected: ',' or 'end of string'");
          }
          break;
        }
        case Token::kEndOfString:
          return requirements;
        default:
          return bad_request("found '" + next.literal +
                             "', expected: !, identifier, or 'end of string'");
      }
    }
  }

 private:
  enum class Context { kKeyAndOperator, kValues };

  // In value position the keywords "in" and "notin" are ordinary identifiers.
  static Token values_token(Token t) {
    return (t == Token::kIn || t == Token::kNotIn) ? Token::kIdentifier : t;
  }
  const Scanned& lookahead(Context) const { return items_[position_]; }
  // The end-of-string item repeats forever, as the scanner would keep producing it.
  Scanned consume() {
    const Scanned& s = items_[position_];
    if (position_ + 1 < items_.size()) ++position_;
    return s;
  }
  static Error bad_request(std::string message) {
    return Error::make(Reason::kBadRequest, std::move(message), 400);
  }

  Result<LabelRequirement> parse_requirement() {
    ParsedOp op = ParsedOp::kNone;
    Scanned s = consume();
    if (s.token == Token::kDoesNotExist) {
      op = ParsedOp::kDoesNotExist;
      s = consume();
    }
    if (values_token(s.token) != Token::kIdentifier) {
      return bad_request("found '" + s.literal + "', expected: identifier");
    }
    std::string key = s.literal;
    if (auto errs = qualified_name_errors(key); !errs.empty()) {
      return bad_request(invalid_value("<nil>", go_quote(key), join_errors(errs)));
    }
    Token next = values_token(lookahead(Context::kValues).token);
    if ((next == Token::kEndOfString || next == Token::kComma) && op != ParsedOp::kDoesNotExist) {
      op = ParsedOp::kExists;
    }
    if (op == ParsedOp::kExists || op == ParsedOp::kDoesNotExist) {
      return build(std::move(key), op, {});
    }

    Scanned op_token = consume();
    switch (op_token.token) {
      case Token::kIn:
        op = ParsedOp::kIn;
        break;
      case Token::kEquals:
        op = ParsedOp::kEquals;
        break;
      case Token::kDoubleEquals:
        op = ParsedOp::kDoubleEquals;
        break;
      case Token::kGreaterThan:
        op = ParsedOp::kGreaterThan;
        break;
      case Token::kLessThan:
        op = ParsedOp::kLessThan;
        break;
      case Token::kNotIn:
        op = ParsedOp::kNotIn;
        break;
      case Token::kNotEquals:
        op = ParsedOp::kNotEquals;
        break;
      default:
        return bad_request("found '" + op_token.literal +
                           "', expected: in, notin, =, ==, !=, gt, lt");
    }
    std::set<std::string> values;
    if (op == ParsedOp::kIn || op == ParsedOp::kNotIn) {
      auto v = parse_values();
      if (!v.ok()) return std::move(v).error();
      values = std::move(*v);
    } else {
      auto v = parse_exact_value();
      if (!v.ok()) return std::move(v).error();
      values = std::move(*v);
    }
    return build(std::move(key), op, std::vector<std::string>(values.begin(), values.end()));
  }

  static Result<LabelRequirement> build(std::string key, ParsedOp op,
                                        std::vector<std::string> values) {
    LabelRequirement r;
    r.key = std::move(key);
    r.op = to_requirement_op(op);
    r.values = std::move(values);
    if (auto errs = requirement_errors(r.key, r.op, r.values); !errs.empty()) {
      return bad_request(aggregate(errs));
    }
    return r;
  }

  Result<std::set<std::string>> parse_values() {
    Scanned open = consume();
    if (values_token(open.token) != Token::kOpenPar) {
      return bad_request("found '" + open.literal + "' expected: '('");
    }
    const Scanned& next = lookahead(Context::kValues);
    switch (values_token(next.token)) {
      case Token::kIdentifier:
      case Token::kComma: {
        std::string literal = next.literal;
        auto list = parse_identifiers_list();
        if (!list.ok()) return list;
        if (values_token(consume().token) != Token::kClosedPar) {
          return bad_request("found '" + literal + "', expected: ')'");
        }
        return list;
      }
      case Token::kClosedPar:
        consume();
        return std::set<std::string>{""};
      default:
        return bad_request("found '" + next.literal + "', expected: ',', ')' or identifier");
    }
  }

  Result<std::set<std::string>> parse_identifiers_list() {
    std::set<std::string> values;
    while (true) {
      Scanned s = consume();
      switch (values_token(s.token)) {
        case Token::kIdentifier: {
          values.insert(s.literal);
          const Scanned& n2 = lookahead(Context::kValues);
          switch (values_token(n2.token)) {
            case Token::kComma:
              continue;
            case Token::kClosedPar:
              return values;
            default:
              return bad_request("found '" + n2.literal + "', expected: ',' or ')'");
          }
        }
        case Token::kComma: {
          // "(,", ",)" and ",," each stand for an empty value.
          if (values.empty()) values.insert("");
          Token t2 = values_token(lookahead(Context::kValues).token);
          if (t2 == Token::kClosedPar) {
            values.insert("");
            return values;
          }
          if (t2 == Token::kComma) {
            consume();
            values.insert("");
          }
          break;
        }
        default:
          return bad_request("found '" + s.literal + "', expected: ',', or identifier");
      }
    }
  }

  Result<std::set<std::string>> parse_exact_value() {
    Token t = values_token(lookahead(Context::kValues).token);
    if (t == Token::kEndOfString || t == Token::kComma) return std::set<std::string>{""};
    Scanned s = consume();
    if (values_token(s.token) == Token::kIdentifier) return std::set<std::string>{s.literal};
    return bad_request("found '" + s.literal + "', expected: identifier");
  }

  std::vector<Scanned> items_;
  std::size_t position_ = 0;
};

void sort_by_key(std::vector<LabelRequirement>& requirements) {
  std::stable_sort(
      requirements.begin(), requirements.end(),
      [](const LabelRequirement& a, const LabelRequirement& b) { return a.key < b.key; });
}

bool has_value(const LabelRequirement& r, std::string_view v) {
  return std::find(r.values.begin(), r.values.end(), v) != r.values.end();
}

bool requirement_matches(const LabelRequirement& r, const json::Value* labels) {
  const json::Value* v = labels != nullptr ? find_member(*labels, r.key) : nullptr;
  using Op = LabelRequirement::Op;
  switch (r.op) {
    case Op::kIn:
    case Op::kEquals:
      return v != nullptr && has_value(r, json::as_string(*v));
    case Op::kNotIn:
    case Op::kNotEquals:
      return v == nullptr || !has_value(r, json::as_string(*v));
    case Op::kExists:
      return v != nullptr;
    case Op::kDoesNotExist:
      return v == nullptr;
    case Op::kGreaterThan:
    case Op::kLessThan: {
      if (v == nullptr || r.values.size() != 1) return false;
      auto have = parse_go_int64(json::as_string(*v));
      auto want = parse_go_int64(r.values.front());
      if (!have || !want) return false;
      return r.op == Op::kGreaterThan ? *have > *want : *have < *want;
    }
  }
  return false;
}

std::string requirement_string(const LabelRequirement& r) {
  using Op = LabelRequirement::Op;
  std::string out;
  if (r.op == Op::kDoesNotExist) out += '!';
  out += r.key;
  switch (r.op) {
    case Op::kEquals:
      out += '=';
      break;
    case Op::kNotEquals:
      out += "!=";
      break;
    case Op::kIn:
      out += " in ";
      break;
    case Op::kNotIn:
      out += " notin ";
      break;
    case Op::kGreaterThan:
      out += '>';
      break;
    case Op::kLessThan:
      out += '<';
      break;
    case Op::kExists:
    case Op::kDoesNotExist:
      return out;
  }
  bool set_based = r.op == Op::kIn || r.op == Op::kNotIn;
  if (set_based) out += '(';
  std::vector<std::string> values = r.values;
  std::sort(values.begin(), values.end());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += values[i];
  }
  if (set_based) out += ')';
  return out;
}

Error invalid_selector(std::string message) {
  return Error::make(Reason::kInvalid, std::move(message), 422);
}

// ---- Field selectors (fields.ParseSelector) --------------------------------------------------

// Commas preceded by a backslash are data, not separators; the backslash stays in the term.
std::vector<std::string_view> split_terms(std::string_view selector) {
  std::vector<std::string_view> terms;
  if (selector.empty()) return terms;
  std::size_t start = 0;
  bool in_slash = false;
  for (std::size_t i = 0; i < selector.size(); ++i) {
    char c = selector[i];
    if (in_slash) {
      in_slash = false;
    } else if (c == '\\') {
      in_slash = true;
    } else if (c == ',') {
      terms.push_back(selector.substr(start, i - start));
      start = i + 1;
    }
  }
  terms.push_back(selector.substr(start));
  return terms;
}

struct Term {
  std::string_view lhs;
  std::string_view op;
  std::string_view rhs;
};

// The first operator occurrence splits the term ("!=" and "==" win over "=" at one position).
std::optional<Term> split_term(std::string_view term) {
  static constexpr std::string_view kOperators[] = {"!=", "==", "="};
  for (std::size_t i = 0; i < term.size(); ++i) {
    std::string_view rest = term.substr(i);
    for (std::string_view op : kOperators) {
      if (rest.starts_with(op)) return Term{term.substr(0, i), op, rest.substr(op.size())};
    }
  }
  return std::nullopt;
}

// The rune starting at s[i] as Go would print it, and its byte length.
std::pair<std::string, std::size_t> rune_at(std::string_view s, std::size_t i) {
  if (static_cast<unsigned char>(s[i]) < 0x80) return {std::string(1, s[i]), 1};
  std::size_t n = utf8_sequence_length(s, i);
  if (n == 0) return {"\xEF\xBF\xBD", 1};  // U+FFFD, as Go decodes an invalid byte
  return {std::string(s.substr(i, n)), n};
}

std::uint32_t rune_value(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return c;
  std::size_t n = utf8_sequence_length(s, i);
  if (n == 0) return 0xFFFD;
  std::uint32_t cp = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

Result<std::string> unescape_field_value(std::string_view s) {
  if (s.find_first_of("\\,=") == std::string_view::npos) return std::string(s);
  std::string out;
  bool in_slash = false;
  for (std::size_t i = 0; i < s.size();) {
    auto [rune, n] = rune_at(s, i);
    char c = s[i];
    if (in_slash) {
      if (n == 1 && (c == '\\' || c == ',' || c == '=')) {
        out += c;
      } else {
        return Error::make(Reason::kBadRequest,
                           "invalid field selector: invalid escape sequence: \\" + rune, 400);
      }
      in_slash = false;
    } else if (c == '\\') {
      in_slash = true;
    } else if (c == ',' || c == '=') {
      // Go prints the rune with %v, i.e. as its code point number.
      return Error::make(Reason::kBadRequest,
                         "invalid field selector: unescaped character in value: " +
                             std::to_string(rune_value(s, i)),
                         400);
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  if (in_slash) {
    return Error::make(Reason::kBadRequest, "invalid field selector: invalid escape sequence: \\",
                       400);
  }
  return out;
}

std::string escape_field_value(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

std::string field_value(const json::Value& object, std::string_view path) {
  const json::Value* node = &object;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = path.find('.', start);
    std::string_view part = path.substr(start, dot == path.npos ? path.npos : dot - start);
    node = find_member(*node, part);
    if (node == nullptr) return "";
    if (dot == path.npos) break;
    start = dot + 1;
  }
  if (node->IsString()) return std::string(json::as_string(*node));
  if (node->IsBool()) return node->GetBool() ? "true" : "false";
  if (node->IsNumber()) return json::dump(*node);
  return "";
}

}  // namespace

std::vector<std::string> qualified_name_errors(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name = value;
  std::size_t slash = value.find('/');
  if (slash != std::string_view::npos) {
    if (value.find('/', slash + 1) != std::string_view::npos) {
      errs.push_back(
          "a qualified name " +
          regex_error(kQualifiedNameErrMsg, kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}) +
          " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
      return errs;
    }
    std::string_view prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.emplace_back("prefix part must be non-empty");
    } else {
      for (auto& m : dns1123_subdomain_errors(prefix))
        errs.push_back("prefix part " + m);
    }
  }
  if (name.empty()) {
    errs.emplace_back("name part must be non-empty");
  } else if (name.size() > kQualifiedNameMaxLength) {
    errs.push_back("name part " + max_len_error(kQualifiedNameMaxLength));
  }
  if (!is_qualified_name_part(name)) {
    errs.push_back("name part " + regex_error(kQualifiedNameErrMsg, kQualifiedNameFmt,
                                              {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> label_value_errors(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kLabelValueMaxLength) errs.push_back(max_len_error(kLabelValueMaxLength));
  if (!value.empty() && !is_qualified_name_part(value)) {
    errs.push_back(regex_error(kLabelValueErrMsg, "(" + std::string(kQualifiedNameFmt) + ")?",
                               {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

Result<LabelSelector> LabelSelector::parse(std::string_view text) {
  Parser parser(text);
  KUBE_ASSIGN_OR_RETURN(auto requirements, parser.parse());
  sort_by_key(requirements);
  LabelSelector s;
  s.requirements_ = std::move(requirements);
  return s;
}

Result<LabelSelector> LabelSelector::from_json(const json::Value& selector) {
  if (selector.IsNull()) return nothing();
  if (!selector.IsObject()) return invalid_selector("label selector must be an object");
  LabelSelector s;
  const json::Value* match_labels = json::find(selector, "matchLabels");
  if (match_labels != nullptr && !match_labels->IsNull()) {
    if (!match_labels->IsObject()) {
      return invalid_selector("matchLabels must be an object of strings");
    }
    for (const auto& m : match_labels->GetObject()) {
      if (!m.value.IsString()) return invalid_selector("matchLabels must be an object of strings");
      LabelRequirement r;
      r.key = std::string(json::as_string(m.name));
      r.op = LabelRequirement::Op::kEquals;
      r.values.emplace_back(json::as_string(m.value));
      if (auto errs = requirement_errors(r.key, r.op, r.values); !errs.empty()) {
        return invalid_selector(aggregate(errs));
      }
      s.requirements_.push_back(std::move(r));
    }
  }
  const json::Value* expressions = json::find(selector, "matchExpressions");
  if (expressions != nullptr && !expressions->IsNull()) {
    if (!expressions->IsArray()) return invalid_selector("matchExpressions must be a list");
    for (const auto& e : expressions->GetArray()) {
      if (!e.IsObject()) return invalid_selector("matchExpressions entries must be objects");
      LabelRequirement r;
      r.key = std::string(json::get_string(e, "key"));
      std::string_view op = json::get_string(e, "operator");
      if (op == "In") {
        r.op = LabelRequirement::Op::kIn;
      } else if (op == "NotIn") {
        r.op = LabelRequirement::Op::kNotIn;
      } else if (op == "Exists") {
        r.op = LabelRequirement::Op::kExists;
      } else if (op == "DoesNotExist") {
        r.op = LabelRequirement::Op::kDoesNotExist;
      } else {
        return invalid_selector(go_quote(op) + " is not a valid label selector operator");
      }
      if (const json::Value* values = json::find(e, "values");
          values != nullptr && !values->IsNull()) {
        if (!values->IsArray()) return invalid_selector("matchExpressions values must be a list");
        for (const auto& v : values->GetArray()) {
          if (!v.IsString()) return invalid_selector("matchExpressions values must be strings");
          r.values.emplace_back(json::as_string(v));
        }
      }
      if (auto errs = requirement_errors(r.key, r.op, r.values); !errs.empty()) {
        return invalid_selector(aggregate(errs));
      }
      std::sort(r.values.begin(), r.values.end());
      r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
      s.requirements_.push_back(std::move(r));
    }
  }
  sort_by_key(s.requirements_);
  return s;
}

LabelSelector LabelSelector::nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

bool LabelSelector::matches(const json::Value* labels) const {
  if (nothing_) return false;
  const json::Value* map = (labels != nullptr && labels->IsObject()) ? labels : nullptr;
  return std::all_of(requirements_.begin(), requirements_.end(),
                     [&](const LabelRequirement& r) { return requirement_matches(r, map); });
}

std::string LabelSelector::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0) out += ',';
    out += requirement_string(requirements_[i]);
  }
  return out;
}

Result<FieldSelector> FieldSelector::parse(std::string_view text) {
  std::vector<std::string_view> parts = split_terms(text);
  std::sort(parts.begin(), parts.end());
  FieldSelector s;
  for (std::string_view part : parts) {
    if (part.empty()) continue;
    auto term = split_term(part);
    if (!term) {
      return Error::make(Reason::kBadRequest,
                         "invalid selector: '" + std::string(text) + "'; can't understand '" +
                             std::string(part) + "'",
                         400);
    }
    KUBE_ASSIGN_OR_RETURN(std::string value, unescape_field_value(term->rhs));
    FieldRequirement r;
    r.field = std::string(term->lhs);
    r.equals = term->op != "!=";
    r.value = std::move(value);
    s.requirements_.push_back(std::move(r));
  }
  return s;
}

bool FieldSelector::matches(const json::Value& object) const {
  return std::all_of(requirements_.begin(), requirements_.end(), [&](const FieldRequirement& r) {
    return (field_value(object, r.field) == r.value) == r.equals;
  });
}

std::string FieldSelector::to_string() const {
  std::string out;
  for (std::size_t i = 0; i < requirements_.size(); ++i) {
    if (i > 0) out += ',';
    const FieldRequirement& r = requirements_[i];
    out += r.field;
    out += r.equals ? "=" : "!=";
    out += escape_field_value(r.value);
  }
  return out;
}

Status FieldSelector::check_supported(std::span<const std::string_view> supported) const {
  for (const FieldRequirement& r : requirements_) {
    if (std::find(supported.begin(), supported.end(), r.field) == supported.end()) {
      return Error::make(Reason::kBadRequest, "field label not supported: " + r.field, 400);
    }
  }
  return ok_status();
}

}  // namespace kube
