// Outbound HTTP(S) requests (Redfish BMCs, the Redfish proxy's backends, emissions
// APIs). Behind an interface so collectors are tested against local mocks or fakes;
// every request has a timeout and a bounded response size.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace ceems::http {

// Header names compare case-insensitively (HTTP semantics).
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HeaderMap = std::multimap<std::string, std::string, CaseInsensitiveLess>;

struct ClientRequest {
  std::string method = "GET";
  std::string url;  // absolute http:// or https:// URL
  HeaderMap headers;
  std::string body;
  std::chrono::milliseconds timeout{10000};  // whole exchange
  std::chrono::milliseconds connect_timeout{5000};
  bool insecure_skip_verify = false;  // no certificate or host name verification
  bool follow_redirects = false;
  size_t max_response_bytes = 16 << 20;
};

struct ClientResponse {
  int status = 0;
  HeaderMap headers;
  std::string body;

  // First value of a header, or empty.
  std::string header(const std::string& name) const;
};

// Files one received header line ("Name: value\r\n") into headers; a status line
// ("HTTP/...", after a 100 Continue or a redirect) starts a fresh set. Lines without
// a colon are ignored.
void add_response_header_line(HeaderMap& headers, std::string_view line);

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Transport failures (DNS, connect, TLS, timeout, oversized body) are errors; any
  // HTTP status, 4xx/5xx included, is a response.
  virtual Result<ClientResponse> send(const ClientRequest& request) = 0;
};

// libcurl implementation; thread-safe (one easy handle per call, shared connection
// cache guarded internally). Proxy environment variables are ignored.
std::unique_ptr<HttpClient> make_curl_client();

}  // namespace ceems::http
