#include "http/client_url.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "core/strings.h"

namespace ceems::http {

namespace {

// What an error may show of a URL: everything but the user information.
std::string without_userinfo(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::string(url);
  const size_t start = scheme_end + 3;
  const size_t end = std::min(url.find_first_of("/?#", start), url.size());
  const size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  return std::string(url.substr(0, start)) + std::string(url.substr(at + 1));
}

bool valid_scheme_char(char c, bool first) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalpha(u) != 0 || (!first && (std::isdigit(u) != 0 || c == '+' || c == '-' || c == '.'));
}

// "scheme" when s starts with "scheme:", else empty.
std::string_view scheme_of(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ':') return i == 0 ? std::string_view() : s.substr(0, i);
    if (!valid_scheme_char(s[i], i == 0)) return {};
  }
  return {};
}

// Removes "." and ".." segments of an absolute path (RFC 3986 5.2.4).
std::string remove_dot_segments(std::string_view path) {
  std::vector<std::string_view> out;
  const bool trailing = ends_with(path, "/.") || ends_with(path, "/..") || path == "." || path == "..";
  for (std::string_view seg : split(path, '/')) {
    if (seg == ".") continue;
    if (seg == "..") {
      if (out.size() > 1) out.pop_back();
      continue;
    }
    out.push_back(seg);
  }
  std::string result;
  for (size_t i = 0; i < out.size(); ++i) {
    if (i > 0) result += '/';
    result += out[i];
  }
  if (result.empty() || result.front() != '/') result.insert(result.begin(), '/');
  if (trailing && result.back() != '/') result += '/';
  return result;
}

}  // namespace

std::string ClientUrl::authority() const {
  std::string out = ipv6_literal() ? "[" + host + "]" : host;
  if (explicit_port) out += ":" + std::to_string(port);
  return out;
}

std::string ClientUrl::endpoint() const {
  return (ipv6_literal() ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string ClientUrl::redacted() const { return scheme + "://" + authority() + target; }

Result<ClientUrl> parse_client_url(std::string_view url) {
  auto fail = [&](const std::string& why) {
    return invalid("parse " + quote_for_error(without_userinfo(url)) + ": " + why);
  };
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f) return fail("invalid character in URL");
  }
  const std::string_view scheme = scheme_of(url);
  if (scheme.empty()) return fail("missing protocol scheme");
  ClientUrl out;
  out.scheme = lower_ascii(scheme);
  if (out.scheme != "http" && out.scheme != "https") {
    return fail("unsupported protocol scheme " + quote_for_error(scheme));
  }
  std::string_view rest = url.substr(scheme.size() + 1);
  if (!starts_with(rest, "//")) return fail("no host in URL");
  rest.remove_prefix(2);
  if (const size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const size_t auth_end = std::min(rest.find_first_of("/?"), rest.size());
  std::string_view authority = rest.substr(0, auth_end);
  std::string_view target = rest.substr(auth_end);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    out.userinfo = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  std::string_view port;
  if (starts_with(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return fail("missing ']' in host");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail("invalid port " + quote_for_error(after) + " after host");
      port = after.substr(1);
    }
    if (out.host.find(':') == std::string::npos)
      return fail("invalid IPv6 host " + quote_for_error(out.host));
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (out.host.find_first_of("[]") != std::string::npos)
      return fail("invalid host " + quote_for_error(out.host));
  }
  if (out.host.empty()) return fail("no host in URL");
  out.port = out.tls() ? 443 : 80;
  if (!port.empty()) {
    const auto n = parse_u64(port);
    if (!n || *n == 0 || *n > 65535) return fail("invalid port " + quote_for_error(port));
    out.port = static_cast<uint16_t>(*n);
    out.explicit_port = true;
  }
  if (target.empty() || target.front() == '?') {
    out.target = "/" + std::string(target);
  } else {
    out.target = std::string(target);
  }
  return out;
}

Result<ClientUrl> resolve_location(const ClientUrl& base, std::string_view location) {
  location = trim(location);
  if (location.empty()) return invalid("redirect without a Location");
  if (!scheme_of(location).empty()) return parse_client_url(location);
  if (starts_with(location, "//")) return parse_client_url(base.scheme + ":" + std::string(location));
  ClientUrl out = base;
  out.userinfo.clear();
  if (const size_t hash = location.find('#'); hash != std::string_view::npos) {
    location = location.substr(0, hash);
  }
  for (char c : location) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f)
      return invalid("redirect to " + quote_for_error(location) + ": invalid character");
  }
  const size_t base_query = base.target.find('?');
  const std::string_view base_path = std::string_view(base.target).substr(0, base_query);
  if (location.empty()) {
    out.target = base.target;
  } else if (location.front() == '?') {
    out.target = std::string(base_path) + std::string(location);
  } else {
    const size_t q = location.find('?');
    std::string_view ref_path = location.substr(0, q);
    std::string_view ref_query = q == std::string_view::npos ? std::string_view() : location.substr(q);
    std::string merged;
    if (ref_path.empty()) {
      merged = std::string(base_path);
    } else if (ref_path.front() == '/') {
      merged = std::string(ref_path);
    } else {
      const size_t slash = base_path.rfind('/');
      merged = std::string(base_path.substr(0, slash == std::string_view::npos ? 0 : slash + 1)) +
               std::string(ref_path);
    }
    out.target = remove_dot_segments(merged) + std::string(ref_query);
  }
  return out;
}

}  // namespace ceems::http
