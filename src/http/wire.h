// Pure pieces of the HTTP/1.1 exchange that the server owns beyond the parser of its
// library: the request-target, the peer address as Go reports it, content coding and
// the TLS port's check for plain HTTP. Functions over strings, tested with literal
// inputs and fuzzed.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace ceems::http {

// The percent-decoded path of a request-target, without the query. Accepts the
// origin form ("/a%20b?q") and the absolute form ("http://host/a"); "*" and anything
// else, control characters, or a bad escape are errors (answered 400).
Result<std::string> request_path(std::string_view target);

// A dual-stack listener sees IPv4 peers as "::ffff:a.b.c.d"; Go reports them as
// "a.b.c.d", and configured IPv4 addresses must match either way.
std::string unmap_ipv4(std::string_view ip);

// "ip:port", or "[ip]:port" for IPv6, as Go's RemoteAddr.
std::string host_port(std::string_view ip, int port);

// True when an Accept-Encoding value accepts gzip (a "gzip" or "*" coding whose
// q-value is not zero; "x-gzip" too).
bool accepts_gzip(std::string_view accept_encoding);

// Gzip (RFC 1952) of in; empty on a zlib failure.
std::string gzip(std::string_view in);

// Whether the first bytes a TLS listener received are an HTTP request rather than a
// TLS record (Go answers those with a 400 that says so). Needs up to 5 bytes.
bool looks_like_plain_http(std::string_view first_bytes);

// Header values going out must not split the response.
bool safe_header_value(std::string_view value);
bool safe_header_name(std::string_view name);

}  // namespace ceems::http
