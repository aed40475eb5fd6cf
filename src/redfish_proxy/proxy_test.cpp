#include "redfish_proxy/proxy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

namespace ceems::redfish_proxy {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

using HeaderList = std::vector<std::pair<std::string, std::string>>;

template <typename Map>
HeaderList items(const Map& m) {
  return {m.begin(), m.end()};
}

TEST(RedfishProxyCheckPath, RedfishPathsAreAllowed) {
  for (const char* p : {"/redfish", "/redfish/", "/redfish/v1/", "/redfish/v1/Chassis/1/Power",
                        "/redfish/v1/Systems?$expand=.", "/redfish/v1/Sessions/a%20b"}) {
    std::string decoded = std::string(p).substr(0, std::string(p).find('?'));
    EXPECT_TRUE(check_path("GET", p, decoded).allowed) << p;
    EXPECT_TRUE(check_path("POST", p, decoded).allowed) << p;
  }
  EXPECT_TRUE(
      check_path("DELETE", "/redfish/v1/SessionService/Sessions/1", "/redfish/v1/SessionService/Sessions/1")
          .allowed);
}

TEST(RedfishProxyCheckPath, RootOnlyForReads) {
  EXPECT_TRUE(check_path("GET", "/", "/").allowed);
  EXPECT_TRUE(check_path("HEAD", "/?x=1", "/").allowed);
  EXPECT_FALSE(check_path("POST", "/", "/").allowed);
  EXPECT_FALSE(check_path("DELETE", "/", "/").allowed);
}

TEST(RedfishProxyCheckPath, EverythingElseIsRefused) {
  struct Case {
    const char* method;
    const char* target;
    const char* decoded;
  };
  for (const Case& c : {
           Case{"GET", "/admin", "/admin"},
           Case{"GET", "/redfishx/v1", "/redfishx/v1"},
           Case{"GET", "/Redfish/v1", "/Redfish/v1"},
           Case{"GET", "/cgi-bin/login.cgi", "/cgi-bin/login.cgi"},
           Case{"GET", "/redfish/../admin", "/redfish/../admin"},
           Case{"GET", "/redfish/v1/./x", "/redfish/v1/./x"},
           Case{"GET", "/redfish/%2e%2e/admin", "/redfish/../admin"},
           Case{"GET", "/redfish/..%2fadmin", "/redfish/../admin"},
           Case{"GET", "/redfish/v1%2F..%2F..%2Fadmin", "/redfish/v1/../../admin"},
           Case{"GET", "/redfish\\..\\admin", "/redfish\\..\\admin"},
           Case{"GET", "http://evil/redfish/v1", "http://evil/redfish/v1"},
           Case{"OPTIONS", "*", "*"},
           Case{"TRACE", "/redfish/v1", "/redfish/v1"},
           Case{"CONNECT", "/redfish/v1", "/redfish/v1"},
           Case{"GET", "", ""},
       }) {
    EXPECT_FALSE(check_path(c.method, c.target, c.decoded).allowed) << c.method << " " << c.target;
  }
  EXPECT_FALSE(check_path("GET", "/redfish/v1/%00", std::string_view("/redfish/v1/\0", 13)).allowed);
  EXPECT_FALSE(check_path("GET", "/redfish/v1/%0d%0a", "/redfish/v1/\r\n").allowed);
}

TEST(RedfishProxyOutgoingHeaders, DropsHopByHopAndProxyHeaders) {
  http::Headers in{{"Host", "proxy:5000"},
                   {"Connection", "keep-alive, X-Private"},
                   {"X-Private", "1"},
                   {"Keep-Alive", "timeout=5"},
                   {"Proxy-Authorization", "Basic eA=="},
                   {"Proxy-Connection", "keep-alive"},
                   {"Transfer-Encoding", "chunked"},
                   {"Upgrade", "h2c"},
                   {"Trailer", "X"},
                   {"Te", "gzip"},
                   {"X-Redfish-Url", "http://bmc"},
                   {"Content-Length", "12"},
                   {"Expect", "100-continue"},
                   {"Authorization", "Basic YWRtaW46cHc="},
                   {"X-Auth-Token", "tok"},
                   {"X-Real-IP", "10.0.0.1"},
                   {"Accept", "application/json"},
                   {"Content-Type", "application/json"},
                   {"User-Agent", "gofish/1.0"}};
  EXPECT_THAT(items(outgoing_headers(in, "127.0.0.1")),
              ElementsAre(Pair("Accept", "application/json"), Pair("Authorization", "Basic YWRtaW46cHc="),
                          Pair("Content-Type", "application/json"), Pair("Host", "proxy:5000"),
                          Pair("User-Agent", "gofish/1.0"), Pair("X-Auth-Token", "tok"),
                          Pair("X-Forwarded-For", "127.0.0.1"), Pair("X-Real-IP", "10.0.0.1")));
}

TEST(RedfishProxyOutgoingHeaders, ExtendsForwardedForAndKeepsTeTrailers) {
  http::Headers in{
      {"X-Forwarded-For", "1.1.1.1"}, {"x-forwarded-for", "2.2.2.2, 3.3.3.3"}, {"TE", "trailers, gzip"}};
  auto out = outgoing_headers(in, "::1");
  EXPECT_EQ(out.count("X-Forwarded-For"), 1u);
  EXPECT_EQ(out.find("X-Forwarded-For")->second, "1.1.1.1, 2.2.2.2, 3.3.3.3, ::1");
  EXPECT_EQ(out.find("Te")->second, "trailers");
}

TEST(RedfishProxyOutgoingHeaders, AddsNothingTheClientDidNotSend) {
  auto out = outgoing_headers(http::Headers{}, "127.0.0.1");
  EXPECT_EQ(out.count("Accept"), 0u);
  EXPECT_EQ(out.count("Content-Type"), 0u);
  EXPECT_EQ(out.count("User-Agent"), 0u);
  EXPECT_EQ(out.size(), 1u) << "only X-Forwarded-For";
}

TEST(RedfishProxyRelayedHeaders, DropsHopByHopAndLength) {
  http::HeaderMap in{{"Connection", "close, X-Hop"},
                     {"X-Hop", "1"},
                     {"Transfer-Encoding", "chunked"},
                     {"Content-Length", "5"},
                     {"Keep-Alive", "x"},
                     {"Content-Type", "application/json"},
                     {"Location", "/redfish/v1/SessionService/Sessions/1"},
                     {"X-Auth-Token", "t"},
                     {"Set-Cookie", "a=1"},
                     {"Set-Cookie", "b=2"}};
  auto out = relayed_headers(in, false);
  EXPECT_THAT(items(out),
              ElementsAre(Pair("Content-Type", "application/json"),
                          Pair("Location", "/redfish/v1/SessionService/Sessions/1"),
                          Pair("Set-Cookie", "a=1"), Pair("Set-Cookie", "b=2"), Pair("X-Auth-Token", "t")));
  EXPECT_EQ(relayed_headers(in, true).count("Content-Length"), 1u);
}

TEST(RedfishProxyBackendUrl, JoinsPathsWithOneSlashAndQueries) {
  auto url = [](const char* base, const char* target) { return backend_url(*make_target(base), target); };
  EXPECT_EQ(url("http://localhost:5000", "/"), "http://localhost:5000/");
  EXPECT_EQ(url("http://bmc", "/redfish/v1/"), "http://bmc/redfish/v1/");
  EXPECT_EQ(url("https://bmc/base/", "/redfish/v1"), "https://bmc/base/redfish/v1");
  EXPECT_EQ(url("https://bmc/base", "/redfish/v1"), "https://bmc/base/redfish/v1");
  EXPECT_EQ(url("https://bmc/base", "redfish"), "https://bmc/base/redfish");
  EXPECT_EQ(url("http://bmc?a=1", "/redfish/v1?b=2"), "http://bmc/redfish/v1?a=1&b=2");
  EXPECT_EQ(url("http://bmc?a=1", "/redfish/v1"), "http://bmc/redfish/v1?a=1");
  EXPECT_EQ(url("http://bmc", "/redfish/v1?$expand=*"), "http://bmc/redfish/v1?$expand=*");
  EXPECT_EQ(url("http://bmc", "/redfish/a%2Fb"), "http://bmc/redfish/a%2Fb");
  EXPECT_EQ(url("http://u:p@bmc:81", "/redfish"), "http://bmc:81/redfish");
}

// Records what would have gone to a BMC.
class FakeClient final : public http::HttpClient {
 public:
  Result<http::ClientResponse> send(const http::ClientRequest& req) override {
    std::lock_guard<std::mutex> l(mu);
    requests.push_back(req);
    if (fail) return Error(ErrorKind::kIo, req.method + " " + req.url + ": Connection refused");
    http::ClientResponse r;
    r.status = 200;
    r.headers.emplace("Content-Type", "application/json");
    r.headers.emplace("Content-Length", "2");
    r.headers.emplace("Connection", "keep-alive");
    r.body = "{}";
    return r;
  }
  std::mutex mu;
  std::vector<http::ClientRequest> requests;
  bool fail = false;
};

http::Request request(const std::string& target, http::Headers headers, const std::string& method = "GET") {
  http::Request r;
  r.method = method;
  r.target = target;
  r.path = target.substr(0, target.find('?'));
  r.remote_ip = "127.0.0.1";
  r.remote_port = 40000;
  r.headers = std::move(headers);
  return r;
}

std::unique_ptr<Proxy> make_proxy(ProxyConfig cfg, std::shared_ptr<FakeClient> client) {
  ProxyOptions o;
  o.config = std::move(cfg);
  o.timeout = std::chrono::milliseconds(1234);
  auto p = Proxy::create(std::move(o), std::move(client), log::Logger());
  return p.ok() ? std::move(*p) : nullptr;
}

TEST(RedfishProxyProxy, RelaysToResolvedTargetWithTimeouts) {
  ProxyConfig cfg;
  cfg.insecure_skip_verify = true;
  cfg.targets.push_back({{"192.168.1.4"}, "https://bmc4:8443"});
  auto client = std::make_shared<FakeClient>();
  auto proxy = make_proxy(cfg, client);
  ASSERT_TRUE(proxy);
  auto req = request("/redfish/v1/Sessions", {{"X-Real-IP", "192.168.1.4"}, {"Host", "mgmt:5000"}}, "POST");
  req.body = R"({"UserName":"u"})";
  auto resp = proxy->handle(req);
  EXPECT_EQ(resp.status, 200);
  EXPECT_TRUE(resp.raw);
  EXPECT_EQ(resp.body, "{}");
  EXPECT_EQ(resp.content_type, "");
  EXPECT_EQ(resp.headers.count("Connection"), 0u);
  EXPECT_EQ(resp.headers.count("Content-Length"), 0u);
  ASSERT_EQ(client->requests.size(), 1u);
  const auto& sent = client->requests[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.url, "https://bmc4:8443/redfish/v1/Sessions");
  EXPECT_EQ(sent.body, R"({"UserName":"u"})");
  EXPECT_TRUE(sent.insecure_skip_verify);
  EXPECT_FALSE(sent.follow_redirects);
  EXPECT_EQ(sent.timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(sent.connect_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(sent.headers.find("Host")->second, "mgmt:5000");
}

TEST(RedfishProxyProxy, RefusalsNeverReachAClient) {
  ProxyConfig cfg;
  cfg.targets.push_back({{"192.168.1.4"}, "http://bmc4"});
  auto client = std::make_shared<FakeClient>();
  auto proxy = make_proxy(cfg, client);
  ASSERT_TRUE(proxy);
  auto forbidden = proxy->handle(request("/admin", {{"X-Real-IP", "192.168.1.4"}}));
  EXPECT_EQ(forbidden.status, 403);
  auto outside = proxy->handle(request("/redfish/v1", {{"X-Redfish-Url", "http://10.0.0.99"}}));
  EXPECT_EQ(outside.status, 502);
  EXPECT_TRUE(outside.raw);
  EXPECT_EQ(outside.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(outside.body,
            "X-Redfish-Url names http://10.0.0.99, which is not one of the proxy's configured targets or "
            "allowed hosts\n");
  auto unknown = proxy->handle(request("/redfish/v1", {{"X-Real-IP", "192.168.9.9"}}));
  EXPECT_EQ(unknown.status, 502);
  EXPECT_EQ(unknown.body,
            "no BMC known for 192.168.9.9,127.0.0.1: no configured target, none learned, and no "
            "X-Redfish-Url header\n");
  auto invalid = proxy->handle(request("/redfish/v1", {{"X-Redfish-Url", "localhost:5000"}}));
  EXPECT_EQ(invalid.status, 502);
  EXPECT_THAT(invalid.body, ::testing::StartsWith("invalid X-Redfish-Url header: "));
  auto junk =
      proxy->handle(request("/redfish/v1", {{"X-Redfish-Url", "http://a\x01b/" + std::string(600, 'x')}}));
  EXPECT_EQ(junk.status, 502);
  EXPECT_LE(junk.body.size(), 305u);
  EXPECT_EQ(junk.body.find_first_of("\x01\r"), std::string::npos);
  EXPECT_EQ(junk.body.find('\n'), junk.body.size() - 1);
  EXPECT_TRUE(client->requests.empty());
}

TEST(RedfishProxyProxy, TransportErrorIs502) {
  auto client = std::make_shared<FakeClient>();
  client->fail = true;
  auto proxy = make_proxy(ProxyConfig{}, client);
  auto resp = proxy->handle(request("/redfish/v1/?token=abc", {{"X-Redfish-Url", "http://bmc:5000"}}));
  EXPECT_EQ(resp.status, 502);
  EXPECT_EQ(resp.body, "request to BMC bmc:5000 failed: Connection refused\n");
  EXPECT_EQ(client->requests.size(), 1u);
}

TEST(RedfishProxyBackendFailure, HostPortWithDefaults) {
  auto target = [](const std::string& url) { return *make_target(url); };
  EXPECT_EQ(host_port(target("https://bmc")), "bmc:443");
  EXPECT_EQ(host_port(target("http://bmc/redfish")), "bmc:80");
  EXPECT_EQ(host_port(target("https://u:pw@bmc:8443")), "bmc:8443");
  EXPECT_EQ(host_port(target("https://[fe80::1]")), "[fe80::1]:443");
  EXPECT_EQ(host_port(target("https://[fe80::1]:8443")), "[fe80::1]:8443");
}

TEST(RedfishProxyBackendFailure, ReasonNamesTheBmcAndTheCause) {
  const Target tls = *make_target("https://bmc1.example:443");
  const std::string url = "https://bmc1.example:443/redfish/v1/Chassis?$top=1";
  auto reason = [&](const Target& t, ErrorKind kind, const std::string& detail) {
    return backend_failure_reason(t, "GET", url, Error(kind, "GET " + url + ": " + detail));
  };
  EXPECT_EQ(
      reason(tls, ErrorKind::kIo, "SSL certificate problem: self-signed certificate"),
      "TLS handshake with BMC bmc1.example:443 failed: SSL certificate problem: self-signed certificate");
  EXPECT_EQ(
      reason(tls, ErrorKind::kIo, "SSL: no alternative certificate subject name matches target host name"),
      "TLS handshake with BMC bmc1.example:443 failed: SSL: no alternative certificate subject name "
      "matches target host name");
  EXPECT_EQ(reason(tls, ErrorKind::kIo, "Failed to connect to bmc1.example port 443: Connection refused"),
            "request to BMC bmc1.example:443 failed: Failed to connect to bmc1.example port 443: Connection "
            "refused");
  EXPECT_EQ(reason(tls, ErrorKind::kTimeout, "Operation timed out after 10000 milliseconds"),
            "no answer from BMC bmc1.example:443 in time: Operation timed out after 10000 milliseconds");
  // Plain HTTP has no TLS to blame, whatever the words.
  const Target plain = *make_target("http://sslbmc:80");
  EXPECT_EQ(reason(plain, ErrorKind::kIo, "Could not resolve host: sslbmc"),
            "request to BMC sslbmc:80 failed: Could not resolve host: sslbmc");
  // A message that names the URL elsewhere loses it (and with it the query).
  EXPECT_EQ(backend_failure_reason(tls, "GET", url, Error(ErrorKind::kInvalid, "oops at " + url)),
            "request to BMC bmc1.example:443 failed: oops at bmc1.example:443");
}

TEST(RedfishProxyProxy, HeadKeepsBackendLength) {
  auto client = std::make_shared<FakeClient>();
  auto proxy = make_proxy(ProxyConfig{}, client);
  auto resp = proxy->handle(request("/redfish/v1/", {{"X-Redfish-Url", "http://bmc:5000"}}, "HEAD"));
  EXPECT_EQ(resp.headers.count("Content-Length"), 1u);
}

}  // namespace
}  // namespace ceems::redfish_proxy
