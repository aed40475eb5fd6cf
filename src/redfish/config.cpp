#include "redfish/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <optional>
#include <set>
#include <system_error>

#include "core/duration.h"
#include "core/strings.h"
#include "core/yaml.h"

namespace ceems::redfish {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;
constexpr std::string_view kTopKey = "redfish_web_config";

// Plain scalars (no quotes, no tag) are the only ones that resolve to numbers and
// booleans in YAML; a quoted "443" is a string and, as in the reference, a type error.
bool is_plain(const YAML::Node& node) { return node.Tag() == "?"; }

// Integer resolution of the reference's YAML library: underscores dropped, an optional
// sign, then Go's base-0 integer syntax (0x, 0o, 0b, a leading 0 for octal).
std::optional<int64_t> parse_yaml_int(std::string_view text) {
  std::string s;
  for (char c : text) {
    if (c != '_') s.push_back(c);
  }
  if (s.empty()) return std::nullopt;
  bool negative = false;
  size_t i = 0;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  int base = 10;
  if (s.size() - i > 2 && s[i] == '0') {
    const char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i + 1])));
    if (p == 'x') base = 16;
    if (p == 'o') base = 8;
    if (p == 'b') base = 2;
    if (base != 10) i += 2;
  }
  if (base == 10 && s.size() - i > 1 && s[i] == '0') {
    base = 8;
    i += 1;
  }
  if (i >= s.size()) return std::nullopt;
  uint64_t value = 0;
  constexpr uint64_t kLimit = static_cast<uint64_t>(INT64_MAX) + 1;
  for (; i < s.size(); ++i) {
    const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    if (value > (kLimit - static_cast<uint64_t>(digit)) / static_cast<uint64_t>(base)) return std::nullopt;
    value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit);
  }
  if (!negative && value > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  if (negative) return value == kLimit ? INT64_MIN : -static_cast<int64_t>(value);
  return static_cast<int64_t>(value);
}

// YAML 1.2 booleans plus the YAML 1.1 words the reference accepts for boolean fields.
std::optional<bool> parse_yaml_bool(std::string_view s) {
  static const std::set<std::string_view> kTrue = {"true", "True", "TRUE", "y",  "Y", "yes",
                                                   "Yes",  "YES",  "on",   "On", "ON"};
  static const std::set<std::string_view> kFalse = {"false", "False", "FALSE", "n",   "N",  "no",
                                                    "No",    "NO",    "off",   "Off", "OFF"};
  if (kTrue.count(s) != 0) return true;
  if (kFalse.count(s) != 0) return false;
  return std::nullopt;
}

std::string node_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "nothing";
  }
}

bool is_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') return false;
  }
  return true;
}

// Characters a URL authority's host part may hold (RFC 3986 reg-name, IP literals).
bool valid_host_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  static constexpr std::string_view kAllowed = "-._~%!$&'()*+,;=:";
  return kAllowed.find(c) != std::string_view::npos;
}

constexpr std::string_view kKeys[] = {
    "protocol",          "hostname", "port", "external_url", "username", "password", "insecure_skip_verify",
    "use_session_token", "timeout"};

// Beyond an hour a `timeout` is a typo, and deadline arithmetic must not overflow.
constexpr std::chrono::milliseconds kMaxTimeout = std::chrono::hours(1);

std::string valid_keys() {
  std::string out;
  for (auto k : kKeys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  Result<RedfishWebConfig> parse(std::string_view yaml) const {
    auto loaded = load_yaml(yaml, "redfish web config file " + source_);
    if (!loaded) return loaded.error();
    YAML::Node root = *loaded;
    RedfishWebConfig cfg;
    cfg.source = source_;
    // An empty file used to load as all defaults and fail later with a URL error that
    // named neither the file nor the cause.
    if (!root.IsDefined() || root.IsNull()) {
      return invalid("invalid redfish web config file " + source_ + ": the file is empty; expected a " +
                     std::string(kTopKey) + " section");
    }
    if (!root.IsMap()) return error(root, "", "expected a mapping at the top level, got " + node_kind(root));

    std::optional<YAML::Node> section;
    std::set<std::string> seen;
    for (const auto& kv : root) {
      if (!kv.first.IsScalar()) return error(kv.first, "", "mapping keys must be strings");
      const std::string& key = kv.first.Scalar();
      if (!seen.insert(key).second) return error(kv.first, key, "mapping key defined more than once");
      if (key == kTopKey) {
        section = kv.second;
        continue;
      }
      std::string msg =
          "unknown top-level key " + quote_for_error(key) + " (the only one is " + std::string(kTopKey) + ")";
      if (key == "redfish_config")
        msg += "; redfish_config is the top-level key of redfish_proxy's config file";
      return error(kv.first, "", msg);
    }
    if (!section) return error(root, "", "no " + std::string(kTopKey) + " section");
    if (!section->IsNull() && !section->IsMap()) {
      return error(*section, std::string(kTopKey), "expected a mapping, got " + node_kind(*section));
    }

    seen.clear();
    bool has_protocol = false;
    if (section->IsMap()) {
      for (const auto& kv : *section) {
        if (!kv.first.IsScalar())
          return error(kv.first, std::string(kTopKey), "mapping keys must be strings");
        const std::string& key = kv.first.Scalar();
        const std::string path = std::string(kTopKey) + "." + key;
        if (!seen.insert(key).second) return error(kv.first, path, "mapping key defined more than once");
        const YAML::Node& v = kv.second;
        Status st;
        if (key == "protocol") {
          st = protocol_value(v, path, cfg.protocol);
          has_protocol = true;
        } else if (key == "hostname") {
          st = string_value(v, path, cfg.hostname);
        } else if (key == "port") {
          st = port_value(v, path, cfg.port);
        } else if (key == "external_url") {
          st = string_value(v, path, cfg.external_url);
        } else if (key == "username") {
          st = string_value(v, path, cfg.username);
        } else if (key == "password") {
          st = string_value(v, path, cfg.password);
        } else if (key == "insecure_skip_verify") {
          st = bool_value(v, path, cfg.insecure_skip_verify);
        } else if (key == "use_session_token") {
          st = bool_value(v, path, cfg.use_session_token);
        } else if (key == "timeout") {
          st = timeout_value(v, path, cfg.timeout);
        } else if (key == "host") {
          cfg.warnings.push_back(where(kv.first) + "key " + path +
                                 " is not a setting and is ignored (the BMC host name key is hostname)");
        } else {
          return error(kv.first, "",
                       "unknown key " + quote_for_error(key) + " in " + std::string(kTopKey) +
                           " (valid keys: " + valid_keys() + ")");
        }
        if (!st) return st.error();
      }
    }
    // Without it the BMC URL has no scheme; the reference failed later with
    // `parse "://host:port": missing protocol scheme` and no file name.
    if (!has_protocol || cfg.protocol.empty()) {
      return error(*section, std::string(kTopKey) + ".protocol", "required (http or https)");
    }
    return cfg;
  }

 private:
  static std::string where(const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) return {};
    return "line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) + ": ";
  }

  Error error(const YAML::Node& node, const std::string& path, const std::string& msg) const {
    std::string key = path.empty() ? std::string() : "key " + path + ": ";
    return invalid("invalid redfish web config file " + source_ + ": " + where(node) + key + msg);
  }

  // Never echoes the value: credentials (username, password, external_url's user-info)
  // go through here. Any scalar is taken verbatim, as the reference does.
  Status string_value(const YAML::Node& v, const std::string& path, std::string& out) const {
    if (v.IsNull()) {
      out.clear();
      return Status::Ok();
    }
    if (!v.IsScalar()) return error(v, path, "expected a string, got " + node_kind(v));
    out = v.Scalar();
    return Status::Ok();
  }

  // Checked here rather than only when the URL is built so that the error has a line.
  Status protocol_value(const YAML::Node& v, const std::string& path, std::string& out) const {
    if (auto st = string_value(v, path, out); !st) return st;
    if (!out.empty() && !is_scheme(out)) {
      return error(v, path, "invalid protocol scheme " + quote_for_error(out) + " (http or https)");
    }
    return Status::Ok();
  }

  Status int_value(const YAML::Node& v, const std::string& path, int64_t& out) const {
    if (v.IsNull()) {
      out = 0;
      return Status::Ok();
    }
    if (!v.IsScalar()) return error(v, path, "expected an integer, got " + node_kind(v));
    std::optional<int64_t> n;
    if (is_plain(v)) n = parse_yaml_int(v.Scalar());
    if (!n) return error(v, path, "expected an integer, got " + quote_for_error(v.Scalar()));
    out = *n;
    return Status::Ok();
  }

  Status port_value(const YAML::Node& v, const std::string& path, int64_t& out) const {
    if (auto st = int_value(v, path, out); !st) return st;
    if (out < 0 || out > 65535) return error(v, path, "port " + std::to_string(out) + " outside 0..65535");
    return Status::Ok();
  }

  Status bool_value(const YAML::Node& v, const std::string& path, bool& out) const {
    if (v.IsNull()) {
      out = false;
      return Status::Ok();
    }
    if (!v.IsScalar()) return error(v, path, "expected a boolean, got " + node_kind(v));
    std::optional<bool> b;
    if (is_plain(v)) b = parse_yaml_bool(v.Scalar());
    if (!b) return error(v, path, "expected a boolean, got " + quote_for_error(v.Scalar()));
    out = *b;
    return Status::Ok();
  }

  // Quoted or not, as a duration string decodes either way. A null value keeps the
  // default; zero, negative and unparsable values are errors, not "no timeout".
  Status timeout_value(const YAML::Node& v, const std::string& path,
                       std::optional<std::chrono::milliseconds>& out) const {
    out.reset();
    if (v.IsNull()) return Status::Ok();
    if (!v.IsScalar()) return error(v, path, "expected a duration such as 5s, got " + node_kind(v));
    const std::string text(trim(v.Scalar()));
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
      return error(v, path, "must be a positive duration such as 5s, got " + quote_for_error(text));
    }
    auto d = parse_duration(text);
    if (!d) return error(v, path, "expected a duration such as 5s: " + d.error().message());
    if (d->count() <= 0)
      return error(v, path, "must be a positive duration such as 5s, got " + quote_for_error(text));
    if (*d > kMaxTimeout) return error(v, path, "must be at most 1h, got " + quote_for_error(text));
    // Rounded up so that a sub-millisecond value does not become zero.
    out = std::chrono::ceil<std::chrono::milliseconds>(*d);
    return Status::Ok();
  }

  std::string source_;
};

}  // namespace

Result<RedfishWebConfig> parse_redfish_web_config(std::string_view yaml, std::string_view source) {
  return Parser(source).parse(yaml);
}

Result<RedfishWebConfig> load_redfish_web_config(const Filesystem& fs, const std::string& flag_value) {
  // The original resolves an empty value to the working directory and fails reading it;
  // the outcome (no start) is the same, the message says what is missing.
  if (flag_value.empty()) {
    return invalid("--collector.redfish.web-config is required when the redfish collector is enabled");
  }
  std::error_code ec;
  std::filesystem::path path = std::filesystem::absolute(flag_value, ec);
  if (ec) return Error(ErrorKind::kIo, "failed to resolve redfish web config path: " + ec.message());
  const std::string p = path.string();
  auto text = fs.read_file(p, kMaxConfigBytes);
  if (!text) return text.error().wrap("failed to read redfish web config file " + p);
  return parse_redfish_web_config(*text, p);
}

std::string expand_hostname(std::string_view pattern, std::string_view node_hostname) {
  static constexpr std::string_view kPlaceholder = "{hostname}";
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = pattern.find(kPlaceholder, pos);
    if (hit == std::string_view::npos) break;
    out.append(pattern.substr(pos, hit - pos));
    out.append(node_hostname);
    pos = hit + kPlaceholder.size();
  }
  out.append(pattern.substr(pos));
  return out;
}

Result<std::string> build_bmc_url(std::string_view protocol, std::string_view host, int64_t port) {
  const std::string shown = std::string(protocol) + "://" + std::string(host) + ":" + std::to_string(port);
  auto fail = [&](const std::string& why) {
    return invalid("invalid redfish web config: parse " + quote_for_error(shown, 200) + ": " + why);
  };
  if (protocol.empty()) return fail("missing protocol scheme");
  if (!is_scheme(protocol)) return fail("invalid protocol scheme");
  if (port < 0 || port > 65535) return fail("invalid port " + std::to_string(port));

  std::string h(host);
  const bool bracketed = h.size() >= 2 && h.front() == '[' && h.back() == ']';
  std::string_view inner = bracketed ? std::string_view(h).substr(1, h.size() - 2) : std::string_view(h);
  for (char c : inner) {
    if (!valid_host_char(c)) return fail("invalid character in host name");
  }
  if (!bracketed && h.find(':') != std::string::npos) h = "[" + h + "]";

  std::string scheme(protocol);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return scheme + "://" + h + ":" + std::to_string(port);
}

std::string dialable_url(std::string_view url) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::string(url);
  const size_t host = sep + 3;
  if (host < url.size() && std::string_view(":/?#").find(url[host]) == std::string_view::npos) {
    return std::string(url);
  }
  return std::string(url.substr(0, host)) + "localhost" + std::string(url.substr(host));
}

std::string redact_url(std::string_view url) {
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos) return std::string(url);
  const size_t start = sep + 3;
  size_t end = url.find_first_of("/?#", start);
  if (end == std::string_view::npos) end = url.size();
  const size_t at = url.substr(start, end - start).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, start)) + "<redacted>" + std::string(url.substr(start + at));
}

}  // namespace ceems::redfish
