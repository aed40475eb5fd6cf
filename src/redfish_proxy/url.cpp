#include "redfish_proxy/url.h"

#include <cstdint>

#include "core/strings.h"

namespace ceems::redfish_proxy {
namespace {

constexpr size_t kMaxTargetUrlLength = 2048;

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

// Every '%' must start a two-digit hex escape.
bool valid_escapes(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || !is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
    i += 2;
  }
  return true;
}

// Characters net/url lets through unescaped in a host (sub-delims, ':' and the
// brackets of IPv6 literals, and a few it tolerates for compatibility).
bool host_char_ok(char c) {
  if (is_alpha(c) || is_digit(c) || static_cast<unsigned char>(c) >= 0x80) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
    case '[':
    case ']':
    case '<':
    case '>':
    case '"':
    case '%':
      return true;
    default:
      return false;
  }
}

bool all_digits(std::string_view s) {
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

Status check_host(std::string_view host) {
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return invalid("missing ']' in host");
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return invalid("invalid port " + quote_for_error(rest) + " after host");
      port = rest.substr(1);
    }
  } else {
    const size_t colon = host.rfind(':');
    if (colon != std::string_view::npos) port = host.substr(colon + 1);
  }
  if (!all_digits(port)) return invalid("invalid port " + quote_for_error(port) + " after host");
  for (char c : host) {
    if (!host_char_ok(c))
      return invalid("invalid character " + quote_for_error(std::string(1, c)) + " in host name");
  }
  if (!valid_escapes(host)) return invalid("invalid URL escape in host");
  return Status::Ok();
}

bool hostname_char_ok(char c) { return is_alpha(c) || is_digit(c) || c == '.' || c == '-' || c == '_'; }

bool ipv6_char_ok(char c) { return is_hex(c) || c == ':' || c == '.'; }

// Splits host[:port] of a target and checks both strictly.
Status check_target_host(std::string_view host, std::string_view& name, uint64_t& port) {
  if (host.empty()) return invalid("no host");
  std::string_view port_text;
  port = 0;
  if (host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return invalid("missing ']' in host");
    name = host.substr(0, close + 1);
    std::string_view inner = name.substr(1, name.size() - 2);
    if (inner.empty()) return invalid("empty IPv6 literal");
    for (char c : inner) {
      if (!ipv6_char_ok(c)) return invalid("invalid IPv6 literal");
    }
    std::string_view rest = host.substr(close + 1);
    port_text = rest.empty() ? rest : rest.substr(1);
  } else {
    const size_t colon = host.find(':');
    name = host.substr(0, colon);
    port_text = colon == std::string_view::npos ? std::string_view() : host.substr(colon + 1);
    if (name.empty()) return invalid("no host");
    for (char c : name) {
      if (!hostname_char_ok(c)) return invalid("invalid character in host name");
    }
  }
  // "host:" means no port, as in net/url.
  if (!port_text.empty()) {
    auto p = parse_u64(port_text);
    if (!p || *p == 0 || *p > 65535 || !all_digits(port_text)) {
      return invalid("invalid port " + quote_for_error(port_text));
    }
    port = *p;
  }
  return Status::Ok();
}

}  // namespace

Result<Url> parse_url(std::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return invalid("invalid control character in URL");
    if (c == ' ') return invalid("invalid space in URL");
  }
  Url url;
  std::string_view rest = text.substr(0, text.find('#'));

  // A scheme is letters first, then letters, digits, '+', '-', '.', up to a ':'.
  for (size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (is_alpha(c)) continue;
    if (is_digit(c) || c == '+' || c == '-' || c == '.') {
      if (i == 0) break;
      continue;
    }
    if (c == ':') {
      if (i == 0) return invalid("missing protocol scheme");
      url.scheme = to_lower(rest.substr(0, i));
      rest = rest.substr(i + 1);
    }
    break;
  }

  const size_t q = rest.find('?');
  if (q != std::string_view::npos) {
    url.query = std::string(rest.substr(q + 1));
    rest = rest.substr(0, q);
  }

  if (!url.scheme.empty() && (rest.empty() || rest.front() != '/')) {
    url.opaque = true;
    url.path = std::string(rest);
    return url;
  }
  if (url.scheme.empty() && (rest.empty() || rest.front() != '/')) {
    const std::string_view first = rest.substr(0, rest.find('/'));
    if (first.find(':') != std::string_view::npos) {
      return invalid("first path segment in URL cannot contain colon");
    }
  }

  if (rest.substr(0, 2) == "//") {
    rest = rest.substr(2);
    const size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    const size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      url.userinfo = std::string(authority.substr(0, at));
      authority = authority.substr(at + 1);
    }
    if (auto st = check_host(authority); !st) return st.error();
    url.host = std::string(authority);
  }
  if (!valid_escapes(rest)) return invalid("invalid URL escape in path");
  url.path = std::string(rest);
  return url;
}

std::string Target::display() const { return scheme + "://" + host + path; }

Result<Target> make_target(std::string_view text) {
  // Bounds what one learned target can occupy in the cache.
  if (text.size() > kMaxTargetUrlLength)
    return invalid("URL longer than " + std::to_string(kMaxTargetUrlLength));
  auto url = parse_url(text);
  if (!url) return url.error();
  if (url->scheme != "http" && url->scheme != "https") {
    return invalid(url->scheme.empty() ? "no scheme" : "unsupported scheme " + quote_for_error(url->scheme));
  }
  if (url->opaque || url->host.empty()) return invalid("no host");
  std::string_view name;
  uint64_t port = 0;
  if (auto st = check_target_host(url->host, name, port); !st) return st.error();

  Target t;
  t.scheme = url->scheme;
  t.host = url->host;
  t.path = url->path;
  t.query = url->query;

  const bool default_port =
      port == 0 || (t.scheme == "http" && port == 80) || (t.scheme == "https" && port == 443);
  std::string_view key_path = t.path;
  while (!key_path.empty() && key_path.back() == '/') key_path.remove_suffix(1);
  t.key = t.scheme + "://" + to_lower(name) + (default_port ? "" : ":" + std::to_string(port)) +
          std::string(key_path) + (t.query.empty() ? "" : "?" + t.query);
  return t;
}

std::string redact_url(std::string_view text) {
  const size_t start = text.find("//");
  if (start == std::string_view::npos) return std::string(text);
  const size_t end = text.find_first_of("/?#", start + 2);
  std::string_view authority = text.substr(start + 2, end == std::string_view::npos ? end : end - start - 2);
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  std::string out(text.substr(0, start + 2));
  out += "REDACTED@";
  out += text.substr(start + 2 + at + 1);
  return out;
}

}  // namespace ceems::redfish_proxy
