// URLs of BMCs, from the proxy's config file and from the X-Redfish-Url header. What
// parses follows Go's net/url closely enough that every config the reference accepts
// still loads (and `http:172.134.1.1:80` is still rejected); what may become a
// backend target is stricter (http/https, a plain host name or IP literal, a valid
// port), because a target the proxy cannot reach must never be accepted or cached.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace ceems::redfish_proxy {

struct Url {
  std::string scheme;    // lower case; empty for a relative reference
  std::string userinfo;  // credentials; never logged
  std::string host;      // host[:port] as written (an IPv6 literal keeps its brackets)
  std::string path;      // escaped form as written
  std::string query;     // without the '?'
  bool opaque = false;   // "scheme:rest" without "//": no host at all
};

// Splits an absolute URL or a relative reference. Errors: control characters,
// a missing scheme before ':', a colon in the first segment of a relative path,
// bad %-escapes, characters not allowed in a host, a non-numeric port.
Result<Url> parse_url(std::string_view text);

// A BMC the proxy may forward to.
struct Target {
  std::string scheme;  // "http" or "https"
  std::string host;    // host[:port] as configured; userinfo dropped
  std::string path;    // escaped base path, possibly empty
  std::string query;   // base query, possibly empty
  // Identity for comparisons: scheme and host lower-cased, default port and trailing
  // slashes removed, so that "https://BMC:443/" and "https://bmc" are the same BMC.
  std::string key;

  // scheme://host/path, for logs (no credentials, no query).
  std::string display() const;
  bool operator==(const Target& other) const { return key == other.key; }
};

// Parses and validates a BMC URL: scheme http or https, a non-empty host made of
// letters, digits, '.', '-', '_' (or a bracketed IPv6 literal), an optional port
// 1-65535, at most 2048 characters. User info is accepted and dropped (it is never
// sent anywhere).
Result<Target> make_target(std::string_view url);

// The text with any user info ("user:pass@") cut out, for log lines and error messages.
std::string redact_url(std::string_view url);

}  // namespace ceems::redfish_proxy
