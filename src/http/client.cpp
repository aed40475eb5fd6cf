#include "http/client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "core/base64.h"
#include "core/strings.h"
#include "dns/resolver.h"
#include "http/ca_bundle.h"
#include "http/client_url.h"

namespace ceems::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
  });
}

std::string ClientResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {

bool has_header(const HeaderMap& h, std::string_view name) {
  return std::any_of(h.begin(), h.end(),
                     [&](const auto& kv) { return equals_ignoring_case(kv.first, name); });
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) != 0 &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2])) != 0) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string millis_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

// The last OpenSSL error of this thread, for a TLS failure that asio only reports as
// a generic category code.
std::string openssl_reason(const beast::error_code& ec) {
  std::string out = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    if (reason != nullptr) out = reason;
  }
  return out;
}

// TLS settings shared by every connection: one context that verifies servers against
// the CA certificates found at start, one that does not (insecure_skip_verify).
struct TlsContexts {
  asio::ssl::context verify{asio::ssl::context::tls_client};
  asio::ssl::context skip{asio::ssl::context::tls_client};
  std::string ca_note;  // why verification may fail for lack of trust anchors

  TlsContexts() {
    for (auto* ctx : {&verify, &skip}) {
      SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
      ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_compression);
    }
    skip.set_verify_mode(asio::ssl::verify_none);
    verify.set_verify_mode(asio::ssl::verify_peer);
    // Not OpenSSL's compiled-in directory, which names the build machine's distribution.
    const CaLocations ca =
        find_ca_locations(real_filesystem(), [](const char* name) { return std::getenv(name); });
    const char* file = ca.file.empty() ? nullptr : ca.file.c_str();
    const char* dir = ca.dir.empty() ? nullptr : ca.dir.c_str();
    bool loaded = false;
    if (file != nullptr && SSL_CTX_load_verify_locations(verify.native_handle(), file, nullptr) == 1)
      loaded = true;
    // OpenSSL accepts any directory name and looks inside only when verifying.
    if (dir != nullptr && real_filesystem().is_dir(ca.dir) &&
        SSL_CTX_load_verify_locations(verify.native_handle(), nullptr, dir) == 1) {
      loaded = true;
    }
    ERR_clear_error();
    if (!loaded) {
      ca_note = " (no CA certificates could be loaded from " +
                (ca.file.empty() && ca.dir.empty()
                     ? std::string("the usual locations")
                     : quote_for_error(ca.file + (ca.dir.empty() ? "" : " " + ca.dir))) +
                "; name a bundle with SSL_CERT_FILE)";
    }
  }
};

struct Exchange {
  const TlsContexts& tls;
  const ClientUrl& url;
  const std::string& method;
  const HeaderMap& headers;
  const std::string& body;
  Clock::time_point deadline;
  std::chrono::milliseconds timeout;  // what the deadline was made of, for messages
  std::chrono::milliseconds connect_timeout;
  bool insecure;
  size_t max_body;
};

struct Outcome {
  std::optional<ClientResponse> response;
  std::optional<Error> error;
};

Error transport_error(const beast::error_code& ec, std::string_view step, const ClientUrl& url,
                      std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout || ec == asio::error::timed_out) {
    return Error(ErrorKind::kTimeout, std::string(step) + " " + url.endpoint() + ": timed out (deadline " +
                                          millis_text(timeout) + ")");
  }
  return Error(ErrorKind::kIo, std::string(step) + " " + url.endpoint() + ": " + openssl_reason(ec));
}

// Connects, writes the request and reads the answer on one connection, every step
// bound by the request's deadline through beast::tcp_stream's expiry. Completion
// handlers rather than coroutines: Asio 1.74 enables co_await for clang only with
// libc++, and the fuzz build and clang-tidy compile this with clang and libstdc++.
// The object lives on the caller's stack until io_context::run returns.
template <class Stream>
class ExchangeRun {
 public:
  ExchangeRun(Stream& stream, beast::tcp_stream& tcp, const Exchange& ex,
              const std::vector<tcp::endpoint>& endpoints, Outcome& out)
      : stream_(stream), tcp_(tcp), ex_(ex), endpoints_(endpoints), out_(out) {}

  void start() {
    tcp_.expires_at(std::min(ex_.deadline, Clock::now() + ex_.connect_timeout));
    tcp_.async_connect(endpoints_,
                       [this](const beast::error_code& ec, const tcp::endpoint&) { on_connect(ec); });
  }

 private:
  void on_connect(const beast::error_code& ec) {
    if (ec) {
      out_.error = transport_error(ec, "connect", ex_.url,
                                   ec == beast::error::timeout ? ex_.connect_timeout : ex_.timeout);
      return;
    }
    tcp_.expires_at(ex_.deadline);
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      write();
    } else {
      stream_.async_handshake(asio::ssl::stream_base::client,
                              [this](const beast::error_code& e) { on_handshake(e); });
    }
  }

  void on_handshake(const beast::error_code& ec) {
    if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
      if (ec) {
        std::string why = openssl_reason(ec);
        const long verify = SSL_get_verify_result(stream_.native_handle());
        if (!ex_.insecure && verify != X509_V_OK) {
          why = std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify) +
                ex_.tls.ca_note;
        }
        if (ec == beast::error::timeout) {
          out_.error = transport_error(ec, "TLS handshake with", ex_.url, ex_.timeout);
        } else {
          out_.error = Error(ErrorKind::kIo, "TLS handshake with " + ex_.url.endpoint() + ": " + why);
        }
        return;
      }
    }
    write();
  }

  void write() {
    const bh::verb verb = bh::string_to_verb(ex_.method);
    if (verb == bh::verb::unknown) {
      req_.method_string(ex_.method);
    } else {
      req_.method(verb);
    }
    req_.target(ex_.url.target);
    req_.version(11);
    req_.set(bh::field::host, ex_.url.authority());
    for (const auto& [name, value] : ex_.headers) {
      if (equals_ignoring_case(name, "Host")) {
        req_.set(bh::field::host, value);
      } else {
        req_.insert(name, value);
      }
    }
    if (!ex_.url.userinfo.empty() && !has_header(ex_.headers, "Authorization")) {
      req_.set(bh::field::authorization, "Basic " + base64_encode(percent_decode(ex_.url.userinfo)));
    }
    if (!ex_.body.empty() || ex_.method == "POST" || ex_.method == "PUT" || ex_.method == "PATCH") {
      req_.body() = ex_.body;
      req_.prepare_payload();
    }
    bh::async_write(stream_, req_, [this](const beast::error_code& ec, size_t) {
      if (ec) {
        out_.error = transport_error(ec, "write request to", ex_.url, ex_.timeout);
        return;
      }
      parser_.header_limit(64 * 1024);
      parser_.body_limit(ex_.max_body);
      if (ex_.method == "HEAD") parser_.skip(true);
      read();
    });
  }

  // read_some in a loop rather than async_read: Boost 1.74's composed read can finish
  // a message whose Content-Length the parser had refused (body_limit), which the
  // per-call result reports faithfully.
  void read() {
    bh::async_read_some(stream_, buffer_, parser_, [this](beast::error_code ec, size_t) {
      // A TLS peer that closes without close_notify after a complete message is harmless.
      if (ec == asio::ssl::error::stream_truncated && parser_.is_done()) ec = {};
      if (ec == bh::error::body_limit) {
        out_.error =
            Error(ErrorKind::kInvalid, "response larger than " + std::to_string(ex_.max_body) + " bytes");
        return;
      }
      if (ec) {
        out_.error = transport_error(ec, "read response from", ex_.url, ex_.timeout);
        return;
      }
      if (!parser_.is_done()) return read();
      ClientResponse resp;
      auto& msg = parser_.get();
      resp.status = static_cast<int>(msg.result_int());
      for (const auto& field : msg) {
        resp.headers.emplace(std::string(field.name_string()), std::string(field.value()));
      }
      resp.body = std::move(msg.body());
      out_.response = std::move(resp);
    });
  }

  Stream& stream_;
  beast::tcp_stream& tcp_;
  const Exchange& ex_;
  const std::vector<tcp::endpoint>& endpoints_;
  Outcome& out_;
  bh::request<bh::string_body> req_;
  beast::flat_buffer buffer_;
  bh::response_parser<bh::string_body> parser_;
};

// Runs the exchange to its end; an exception out of a handler (an allocation
// failure, say) becomes the exchange's error instead of ending the process.
void run_io(asio::io_context& io, Outcome& out) {
  try {
    io.run();
  } catch (const std::exception& e) {
    out.error = Error(ErrorKind::kIo, e.what());
  }
}

// Header names are tokens and values hold no line breaks: a value from a config file
// or a proxied request must not be able to add headers or a second request.
std::optional<std::string> bad_header(const HeaderMap& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || std::any_of(name.begin(), name.end(), [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return u <= 0x20 || u >= 0x7f ||
                 std::string_view("()<>@,;:\\\"/[]?={}").find(c) != std::string_view::npos;
        })) {
      return "invalid header name " + quote_for_error(name);
    }
    if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; })) {
      return "invalid value of header " + quote_for_error(name);
    }
  }
  return std::nullopt;
}

// The project's resolver: no NSS, so that a static binary resolves as a dynamic one.
Result<std::vector<std::string>> lookup_without_nss(const std::string& host, Clock::time_point deadline) {
  auto addresses = dns::make_system_resolver()->lookup_host(host, deadline);
  if (!addresses) return addresses.error();
  std::vector<std::string> out;
  out.reserve(addresses->size());
  for (const auto& a : *addresses) out.push_back(a.to_string());
  return out;
}

class BeastClient final : public HttpClient {
 public:
  explicit BeastClient(HostResolver resolve)
      : resolve_(resolve ? std::move(resolve) : HostResolver(&lookup_without_nss)) {}

  Result<ClientResponse> send(const ClientRequest& req) override {
    auto url = parse_client_url(req.url);
    if (!url) return Error(url.error().kind(), req.method + " " + url.error().message());
    if (auto bad = bad_header(req.headers)) return invalid(req.method + " " + url->redacted() + ": " + *bad);
    const std::string first = req.method + " " + url->redacted();
    const Clock::time_point deadline = Clock::now() + req.timeout;
    std::string method = req.method;
    std::string body = req.body;
    HeaderMap headers = req.headers;
    // Go's client stops after ten redirects; so does this one.
    for (int hop = 0;; ++hop) {
      auto resp = exchange(*url, method, headers, body, deadline, req);
      if (!resp) return Error(resp.error().kind(), first + ": " + resp.error().message());
      const int s = resp->status;
      const bool redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
      if (!req.follow_redirects || !redirect || resp->header("Location").empty()) return resp;
      if (hop == 10) return Error(ErrorKind::kIo, first + ": stopped after 10 redirects");
      auto next = resolve_location(*url, resp->header("Location"));
      if (!next) return Error(ErrorKind::kInvalid, first + ": " + next.error().message());
      // As browsers and Go do: 301/302/303 turn a POST into a GET without body.
      if ((s == 301 || s == 302 || s == 303) && method != "GET" && method != "HEAD") {
        method = "GET";
        body.clear();
        std::erase_if(headers, [](const auto& kv) {
          return equals_ignoring_case(kv.first, "Content-Type") ||
                 equals_ignoring_case(kv.first, "Content-Length");
        });
      }
      // Credentials are for the host they were given for, not for one a redirect names.
      if (next->host != url->host) {
        std::erase_if(headers, [](const auto& kv) {
          return equals_ignoring_case(kv.first, "Authorization") ||
                 equals_ignoring_case(kv.first, "Cookie") || equals_ignoring_case(kv.first, "X-Auth-Token");
        });
      }
      url = std::move(next);
    }
  }

 private:
  Result<ClientResponse> exchange(const ClientUrl& url, const std::string& method, const HeaderMap& headers,
                                  const std::string& body, Clock::time_point deadline,
                                  const ClientRequest& req) {
    auto addresses = resolve_(url.host, deadline);
    if (!addresses) return addresses.error();
    std::vector<tcp::endpoint> endpoints;
    for (const auto& a : *addresses) {
      beast::error_code ec;
      auto addr = asio::ip::make_address(a, ec);
      if (!ec) endpoints.emplace_back(addr, url.port);
    }
    if (endpoints.empty()) return Error(ErrorKind::kIo, "lookup " + url.host + ": no address");
    if (Clock::now() >= deadline) {
      return Error(ErrorKind::kTimeout,
                   "lookup " + url.host + ": timed out (deadline " + millis_text(req.timeout) + ")");
    }

    const Exchange ex{tls_,
                      url,
                      method,
                      headers,
                      body,
                      deadline,
                      req.timeout,
                      req.connect_timeout,
                      req.insecure_skip_verify,
                      req.max_response_bytes};
    Outcome out;
    asio::io_context io(1);
    if (url.tls()) {
      asio::ssl::context& ctx = req.insecure_skip_verify ? tls_.skip : tls_.verify;
      beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
      SSL* ssl = stream.native_handle();
      const bool literal = dns::IpAddress::parse(url.host).has_value();
      if (!literal) SSL_set_tlsext_host_name(ssl, url.host.c_str());
      if (!req.insecure_skip_verify) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        const int ok = literal ? X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str())
                               : X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), 0);
        if (ok != 1)
          return Error(ErrorKind::kInvalid, "TLS: cannot verify host " + quote_for_error(url.host));
      }
      ExchangeRun<decltype(stream)> run(stream, beast::get_lowest_layer(stream), ex, endpoints, out);
      run.start();
      run_io(io, out);
    } else {
      beast::tcp_stream stream(io);
      ExchangeRun<beast::tcp_stream> run(stream, stream, ex, endpoints, out);
      run.start();
      run_io(io, out);
    }
    if (out.error) return *out.error;
    if (!out.response)
      return Error(ErrorKind::kIo, "exchange with " + url.endpoint() + " ended without a response");
    return std::move(*out.response);
  }

  HostResolver resolve_;
  // Found when the client is made: the files do not move while the exporter runs.
  TlsContexts tls_;
};

}  // namespace

std::unique_ptr<HttpClient> make_http_client(HostResolver resolve) {
  return std::make_unique<BeastClient>(std::move(resolve));
}

}  // namespace ceems::http
