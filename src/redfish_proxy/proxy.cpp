#include "redfish_proxy/proxy.h"

#include <array>
#include <set>

#include "core/strings.h"

namespace ceems::redfish_proxy {
namespace {

// Comma-separated tokens of every value of a header (Connection, Te).
std::vector<std::string> header_tokens(const std::vector<std::string_view>& values) {
  std::vector<std::string> out;
  for (auto v : values) {
    for (auto part : split(v, ',')) {
      auto t = trim(part);
      if (!t.empty()) out.emplace_back(t);
    }
  }
  return out;
}

template <typename Map>
std::vector<std::string_view> values_of(const Map& headers, const std::string& name) {
  std::vector<std::string_view> out;
  auto [begin, end] = headers.equal_range(name);
  for (auto it = begin; it != end; ++it) out.emplace_back(it->second);
  return out;
}

bool listed(const std::vector<std::string>& tokens, std::string_view name) {
  for (const auto& t : tokens) {
    if (equals_ignoring_case(t, name)) return true;
  }
  return false;
}

bool has_dot_segment(std::string_view path) {
  for (auto seg : split(path, '/')) {
    if (seg == "." || seg == "..") return true;
  }
  return false;
}

bool is_redfish_path(std::string_view path) { return path == "/redfish" || starts_with(path, "/redfish/"); }

bool contains_ci(std::string_view s, std::string_view needle) {
  if (needle.size() > s.size()) return false;
  for (size_t i = 0; i + needle.size() <= s.size(); ++i) {
    if (equals_ignoring_case(s.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

// Client-supplied text in log lines is cut to a readable length.
std::string for_log(std::string_view s, size_t max_len = 200) {
  if (s.size() <= max_len) return std::string(s);
  return std::string(s.substr(0, max_len)) + "...";
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += sep;
    out += i;
  }
  return out;
}

// The reason goes into an HTTP body that the exporter logs, and may hold a client's
// header or a BMC's words: one line of printable ASCII (core/strings).
constexpr size_t kMaxReason = 300;

http::Response bad_gateway(std::string_view reason) {
  http::Response r;
  r.status = 502;
  r.body = printable_excerpt(reason, kMaxReason) + "\n";
  r.raw = true;  // the server must not replace the body with its own text
  return r;
}

http::Response forbidden() {
  return http::Response{403, "text/plain; charset=utf-8", "Forbidden: only the Redfish API is proxied\n"};
}

}  // namespace

std::string host_port(const Target& target) {
  const std::string& h = target.host;
  const size_t bracket = h.rfind(']');
  const size_t colon = h.rfind(':');
  const bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  if (has_port) return h;
  return h + (target.scheme == "https" ? ":443" : ":80");
}

std::string backend_failure_reason(const Target& target, std::string_view method, std::string_view url,
                                   const Error& error) {
  const std::string bmc = host_port(target);
  std::string detail = error.message();
  const std::string request_line = std::string(method) + " " + std::string(url);
  if (starts_with(detail, request_line + ": ")) {
    detail.erase(0, request_line.size() + 2);
  } else if (const size_t at = detail.find(url); !url.empty() && at != std::string::npos) {
    detail.replace(at, url.size(), bmc);
  }
  if (error.kind() == ErrorKind::kTimeout) return "no answer from BMC " + bmc + " in time: " + detail;
  // The client reports TLS failures only in words ("TLS handshake with ...:
  // certificate verify failed: ...").
  if (target.scheme == "https" &&
      (contains_ci(detail, "ssl") || contains_ci(detail, "tls") || contains_ci(detail, "certificate"))) {
    return "TLS handshake with BMC " + bmc + " failed: " + detail;
  }
  return "request to BMC " + bmc + " failed: " + detail;
}

PathCheck check_path(std::string_view method, std::string_view target, std::string_view decoded_path) {
  static const std::set<std::string, std::less<>> kMethods{"GET",   "HEAD",   "POST",   "PUT",
                                                           "PATCH", "DELETE", "OPTIONS"};
  if (kMethods.count(method) == 0) return {false, "method not relayed"};
  const std::string_view raw_path = target.substr(0, target.find('?'));
  if (raw_path == "/") {
    if (method == "GET" || method == "HEAD") return {true, {}};
    return {false, "only GET and HEAD may address /"};
  }
  if (!is_redfish_path(raw_path) || !is_redfish_path(decoded_path)) return {false, "not a Redfish API path"};
  // A BMC's web server may decode these before routing, stepping out of /redfish.
  if (has_dot_segment(raw_path) || has_dot_segment(decoded_path)) return {false, "dot segment in path"};
  if (contains_ci(raw_path, "%2f") || contains_ci(raw_path, "%5c") ||
      decoded_path.find('\\') != std::string_view::npos) {
    return {false, "encoded or backslash separator in path"};
  }
  for (char c : decoded_path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return {false, "control character in path"};
  }
  return {true, {}};
}

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kNames{
      "Connection", "Proxy-Connection",  "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te",
      "Trailer",    "Transfer-Encoding", "Upgrade"};
  for (auto n : kNames) {
    if (equals_ignoring_case(n, name)) return true;
  }
  return false;
}

http::HeaderMap outgoing_headers(const http::Headers& in, const std::string& peer_ip) {
  const auto connection = header_tokens(values_of(in, "Connection"));
  const bool te_trailers = listed(header_tokens(values_of(in, "Te")), "trailers");
  http::HeaderMap out;
  std::string forwarded_for;
  for (const auto& [name, value] : in) {
    if (is_hop_by_hop(name) || listed(connection, name)) continue;
    if (equals_ignoring_case(name, "X-Redfish-Url") || equals_ignoring_case(name, "Content-Length") ||
        equals_ignoring_case(name, "Expect"))
      continue;
    if (equals_ignoring_case(name, "X-Forwarded-For")) {
      if (!forwarded_for.empty()) forwarded_for += ", ";
      forwarded_for += value;
      continue;
    }
    out.emplace(name, value);
  }
  out.emplace("X-Forwarded-For", forwarded_for.empty() ? peer_ip : forwarded_for + ", " + peer_ip);
  if (te_trailers) out.emplace("Te", "trailers");
  return out;
}

http::Headers relayed_headers(const http::HeaderMap& in, bool keep_content_length) {
  const auto connection = header_tokens(values_of(in, "Connection"));
  http::Headers out;
  for (const auto& [name, value] : in) {
    if (is_hop_by_hop(name) || listed(connection, name)) continue;
    if (!keep_content_length && equals_ignoring_case(name, "Content-Length")) continue;
    out.emplace(name, value);
  }
  return out;
}

std::string backend_url(const Target& target, std::string_view request_target) {
  const size_t q = request_target.find('?');
  const std::string_view path = request_target.substr(0, q);
  const std::string_view query =
      q == std::string_view::npos ? std::string_view() : request_target.substr(q + 1);

  std::string url = target.scheme + "://" + target.host;
  const bool base_slash = !target.path.empty() && target.path.back() == '/';
  const bool path_slash = !path.empty() && path.front() == '/';
  url += target.path;
  if (base_slash && path_slash) {
    url += path.substr(1);
  } else if (!base_slash && !path_slash) {
    url += '/';
    url += path;
  } else {
    url += path;
  }
  if (!target.query.empty() && !query.empty()) {
    url += "?" + target.query + "&" + std::string(query);
  } else if (!target.query.empty() || !query.empty()) {
    url += "?" + (target.query.empty() ? std::string(query) : target.query);
  }
  return url;
}

Result<std::unique_ptr<Proxy>> Proxy::create(ProxyOptions options, std::shared_ptr<http::HttpClient> client,
                                             log::Logger logger) {
  auto table = TargetTable::create(options.config);
  if (!table) return table.error();
  return std::unique_ptr<Proxy>(
      new Proxy(std::move(options), std::move(*table), std::move(client), std::move(logger)));
}

Proxy::Proxy(ProxyOptions options, TargetTable table, std::shared_ptr<http::HttpClient> client,
             log::Logger logger)
    : options_(std::move(options)),
      table_(std::move(table)),
      cache_(options_.cache_entries),
      client_(std::move(client)),
      logger_(std::move(logger)) {}

http::Response Proxy::handle(const http::Request& req) {
  // The query is left out of log lines: it is the one place a client could put secrets.
  const std::string path_for_log = req.target.substr(0, req.target.find('?'));
  const PathCheck verdict = check_path(req.method, req.target, req.path);
  if (!verdict.allowed) {
    logger_.warn("Refused request outside the Redfish API", {{"method", req.method},
                                                             {"path", for_log(path_for_log)},
                                                             {"reason", verdict.reason},
                                                             {"remote_ip", req.remote_ip}});
    return forbidden();
  }

  std::vector<std::string> real_ips;
  for (auto v : values_of(req.headers, "X-Real-IP")) {
    std::string claimed(v);
    if (table_.may_claim(req.remote_ip, claimed)) {
      real_ips.push_back(std::move(claimed));
    } else {
      // Otherwise any compute node could name another node's address and reach its BMC.
      logger_.debug("Ignoring X-Real-IP from a peer that is not a trusted proxy",
                    {{"remote_ip", req.remote_ip}, {"x_real_ip", for_log(claimed)}});
    }
  }
  const std::vector<std::string> candidates = candidate_ips(real_ips, req.remote_ip);
  auto header = values_of(req.headers, "X-Redfish-Url");
  const std::string redfish_url = header.empty() ? std::string() : std::string(header.front());

  Resolution res = resolve_target(table_, candidates, redfish_url,
                                  [this](const std::string& ip) { return cache_.find(ip); });
  if (!res.target) {
    const std::string ips = join(candidates, ",");
    if (res.failure == "invalid header") {
      logger_.error("Fetched Redfish URL from headers is invalid",
                    {{"url", for_log(redact_url(redfish_url))}, {"err", res.detail}});
      return bad_gateway("invalid X-Redfish-Url header: " + res.detail);
    }
    if (res.failure == "not allowed") {
      logger_.error("Redfish URL from headers is not one of the configured targets",
                    {{"url", for_log(res.detail)}, {"remote_ips", for_log(ips)}});
      return bad_gateway("X-Redfish-Url names " + res.detail +
                         ", which is not one of the proxy's configured targets or allowed hosts");
    }
    logger_.error("Failed to find target", {{"remote_ips", for_log(ips)}});
    return bad_gateway("no BMC known for " + ips +
                       ": no configured target, none learned, and no X-Redfish-Url header");
  }
  if (res.source == Source::kHeader) cache_.store(candidates, *res.target);

  http::ClientRequest out;
  out.method = req.method;
  out.url = backend_url(*res.target, req.target);
  out.headers = outgoing_headers(req.headers, req.remote_ip);
  out.body = req.body;
  out.timeout = options_.timeout;
  out.connect_timeout = options_.connect_timeout;
  out.insecure_skip_verify = options_.config.insecure_skip_verify;
  out.follow_redirects = false;
  out.max_response_bytes = options_.max_response_bytes;
  logger_.debug("Proxying request", {{"method", req.method},
                                     {"path", for_log(path_for_log)},
                                     {"target", res.target->display()},
                                     {"source", source_name(res.source)}});

  auto answer = client_->send(out);
  if (!answer) {
    std::string err = answer.error().message();
    const size_t at = err.find(out.url);
    const size_t q = out.url.find('?');
    if (at != std::string::npos && q != std::string::npos) err.replace(at + q, out.url.size() - q, "");
    logger_.error("http: proxy error", {{"err", err}});
    return bad_gateway(backend_failure_reason(*res.target, out.method, out.url, answer.error()));
  }
  http::Response r;
  r.status = answer->status;
  r.content_type.clear();  // the backend's Content-Type is among the relayed headers
  r.headers = relayed_headers(answer->headers, req.method == "HEAD");
  r.body = std::move(answer->body);
  r.raw = true;
  return r;
}

}  // namespace ceems::redfish_proxy
