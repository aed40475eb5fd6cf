#include "redfish/config.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <filesystem>
#include <optional>
#include <set>
#include <system_error>

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

// Beyond an hour a `timeout` is a typo, and deadline arithmetic must not overflow.
constexpr std::chrono::milliseconds kMaxTimeout = std::chrono::hours(1);

// Errors read "invalid redfish web config file <file>: line N, column M: key <path>: ...",
// the shape operators and the end-to-end tests know from earlier versions.
constexpr YamlErrorStyle kErrorStyle{.layout = YamlErrorStyle::Layout::kPositionFirst};

// Booleans and integers in the reference's resolution (is_plain, parse_yaml_bool,
// parse_yaml_int), where the walker's own readers follow yaml-cpp's.
YamlEntryFn plain_bool(const YamlWalker& w, bool& out) {
  return [&w, &out](const YamlEntry& e) -> Status {
    auto b = w.scalar_value<bool>(e.value, e.path, "a boolean", [](const YAML::Node& n) {
      return is_plain(n) ? parse_yaml_bool(n.Scalar()) : std::nullopt;
    });
    if (!b) return b.error();
    out = *b;
    return Status::Ok();
  };
}

Status read_port(const YamlWalker& w, const YamlEntry& e, int64_t& out) {
  auto n = w.scalar_value<int64_t>(e.value, e.path, "an integer", [](const YAML::Node& v) {
    return is_plain(v) ? parse_yaml_int(v.Scalar()) : std::nullopt;
  });
  if (!n) return n.error();
  if (*n < 0 || *n > 65535) {
    return w.error(e.path, e.value, "port " + std::to_string(*n) + " outside 0..65535");
  }
  out = *n;
  return Status::Ok();
}

// Checked here rather than only when the URL is built so that the error has a line.
Status read_protocol(const YamlWalker& w, const YamlEntry& e, std::string& out) {
  auto v = w.string_value(e.value, e.path);
  if (!v) return v.error();
  out = std::move(*v);
  if (!out.empty() && !is_scheme(out)) {
    return w.error(e.path, e.value, "invalid protocol scheme " + quote_for_error(out) + " (http or https)");
  }
  return Status::Ok();
}

// A null value keeps the default; zero, negative and out-of-range values are errors,
// not "no timeout".
Status read_timeout(const YamlWalker& w, const YamlEntry& e, std::optional<std::chrono::milliseconds>& out) {
  out.reset();
  auto positive = [&](std::string_view text) {
    return w.error(e.path, e.value, "must be a positive duration such as 5s, got " + quote_for_error(text));
  };
  // parse_duration takes no sign; a signed value gets the message that says what is wrong.
  if (e.value.IsScalar()) {
    const std::string_view text = trim(e.value.Scalar());
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) return positive(text);
  }
  auto d = w.duration_value(e.value, e.path);
  if (!d) return d.error();
  if (!*d) return Status::Ok();
  const std::string_view text = trim(e.value.Scalar());
  if ((*d)->count() <= 0) return positive(text);
  if (**d > kMaxTimeout) return w.error(e.path, e.value, "must be at most 1h, got " + quote_for_error(text));
  // Rounded up so that a sub-millisecond value does not become zero.
  out = std::chrono::ceil<std::chrono::milliseconds>(**d);
  return Status::Ok();
}

}  // namespace

Result<RedfishWebConfig> parse_redfish_web_config(std::string_view yaml, std::string_view source_name) {
  const std::string source(source_name);
  auto loaded = load_yaml(yaml, "redfish web config file " + source);
  if (!loaded) return loaded.error();
  const YAML::Node root = *loaded;
  const YamlWalker w("invalid redfish web config file " + source, kErrorStyle);
  RedfishWebConfig cfg;
  cfg.source = source;
  // An empty file used to load as all defaults and fail later with a URL error that
  // named neither the file nor the cause.
  if (!root.IsDefined() || root.IsNull()) {
    return invalid(w.source() + ": the file is empty; expected a " + std::string(kTopKey) + " section");
  }
  if (!root.IsMap()) {
    return w.error("", root, "expected a mapping at the top level, got " + yaml_node_kind(root));
  }

  std::optional<YamlEntry> section;
  Status st =
      w.read_mapping(root, "", {{kTopKey, YamlWalker::into(section)}}, [&](const YamlEntry& e) -> Status {
        std::string msg = "unknown top-level key " + quote_for_error(e.key) + " (the only one is " +
                          std::string(kTopKey) + ")";
        if (e.key == "redfish_config")
          msg += "; redfish_config is the top-level key of redfish_proxy's config file";
        return w.error("", e.key_node, msg);
      });
  if (!st) return st.error();
  if (!section) return w.error("", root, "no " + std::string(kTopKey) + " section");

  // Credentials (username, password, external_url's user-info) are read as strings,
  // whose errors never quote the value.
  const std::vector<YamlKey> keys = {
      {"protocol", [&](const YamlEntry& e) { return read_protocol(w, e, cfg.protocol); }},
      {"hostname", w.into(cfg.hostname)},
      {"port", [&](const YamlEntry& e) { return read_port(w, e, cfg.port); }},
      {"external_url", w.into(cfg.external_url)},
      {"username", w.into(cfg.username)},
      {"password", w.into(cfg.password)},
      {"insecure_skip_verify", plain_bool(w, cfg.insecure_skip_verify)},
      {"use_session_token", plain_bool(w, cfg.use_session_token)},
      {"timeout", [&](const YamlEntry& e) { return read_timeout(w, e, cfg.timeout); }},
  };
  st = w.read_mapping(section->value, section->path, keys, [&](const YamlEntry& e) -> Status {
    if (e.key != "host") return w.unknown_key(e, keys);
    const std::string where = w.position(e.key_node);
    cfg.warnings.push_back((where.empty() ? "" : where + ": ") + "key " + e.path +
                           " is not a setting and is ignored (the BMC host name key is hostname)");
    return Status::Ok();
  });
  if (!st) return st.error();
  // Without it the BMC URL has no scheme; the reference failed later with
  // `parse "://host:port": missing protocol scheme` and no file name.
  if (cfg.protocol.empty()) {
    return w.error(section->path + ".protocol", section->value, "required (http or https)");
  }
  return cfg;
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
