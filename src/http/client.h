// Outbound HTTP(S) requests (Redfish BMCs, the Redfish proxy's backends, emissions
// APIs). Behind an interface so collectors are tested against local mocks or fakes;
// every request has a timeout and a bounded response size.
#pragma once

#include <chrono>
#include <functional>
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

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Transport failures (DNS, connect, TLS, timeout, oversized body) are errors; any
  // HTTP status, 4xx/5xx included, is a response.
  virtual Result<ClientResponse> send(const ClientRequest& request) = 0;
};

// The addresses (textual IPv4/IPv6) of a host name, looked up before the deadline.
using HostResolver = std::function<Result<std::vector<std::string>>(
    const std::string& host, std::chrono::steady_clock::time_point deadline)>;

// HTTP/1.1 over Boost.Beast and OpenSSL, one connection per exchange; thread-safe.
// Sends Host, Content-Length for bodies and the caller's headers, nothing else (a
// relayed request reaches its BMC as the client wrote it).
// Proxy environment variables are ignored. Redirects, when followed, stop after ten
// and drop credentials when they leave the host. Names are looked up with resolve,
// by default the project's own resolver (no glibc NSS, so a static binary works).
std::unique_ptr<HttpClient> make_http_client(HostResolver resolve = {});

}  // namespace ceems::http
