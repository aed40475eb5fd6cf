// The proxy end to end inside one process: fake BMCs (plain and TLS) and the proxy
// front end (plain and TLS) on 127.0.0.1 with ports picked by the kernel, the real
// outbound client in between. Certificates are generated at test time.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "http/client.h"
#include "http/server.h"
#include "http/testing/http_test_util.h"
#include "redfish_proxy/proxy.h"

namespace ceems::redfish_proxy {
namespace {

using http::test_util::Identity;
using http::test_util::make_identity;
using http::test_util::TempDir;
using http::test_util::write_file;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// A BMC that answers every path with its name and echoes what it received.
class FakeBmc {
 public:
  FakeBmc(std::string name, const std::string& cert = {}, const std::string& key = {})
      : name_(std::move(name)) {
    if (cert.empty()) {
      server_ = std::make_unique<httplib::Server>();
    } else {
      server_ = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
    }
    auto handler = [this](const httplib::Request& req, httplib::Response& res) { answer(req, res); };
    const std::string any = "[\\s\\S]*";
    server_->Get(any, handler);
    server_->Post(any, handler);
    server_->Put(any, handler);
    server_->Patch(any, handler);
    server_->Delete(any, handler);
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~FakeBmc() {
    server_->stop();
    thread_.join();
  }

  std::string url(const std::string& scheme = "http") const {
    return scheme + "://localhost:" + std::to_string(port_);
  }
  int hits() const { return hits_; }
  httplib::Headers last_headers() const {
    std::lock_guard<std::mutex> l(mu_);
    return last_headers_;
  }

 private:
  void answer(const httplib::Request& req, httplib::Response& res) {
    ++hits_;
    {
      std::lock_guard<std::mutex> l(mu_);
      last_headers_ = req.headers;
    }
    if (req.path == "/redfish/v1/slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    }
    if (req.path == "/redfish/v1/unauthorized") {
      res.status = 401;
      return;
    }
    if (req.path == "/redfish/v1/SessionService/Sessions" && req.method == "POST") {
      res.status = 201;
      res.set_header("Location", "/redfish/v1/SessionService/Sessions/7");
      res.set_header("X-Auth-Token", "session-token");
      res.set_content("created " + req.body, "application/json");
      return;
    }
    if (req.path == "/redfish/v1/big.json") {
      res.set_content(big_json(), "application/json");
      return;
    }
    res.set_header("X-Bmc", name_);
    res.set_content(name_ + " " + req.method + " " + req.target, "text/plain");
  }

 public:
  static std::string big_json() {
    std::string s = "{\"Members\":[";
    for (int i = 0; i < 2000; ++i) s += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
    return s + "]}";
  }

 private:
  std::string name_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> hits_{0};
  mutable std::mutex mu_;
  httplib::Headers last_headers_;
};

struct Reply {
  int status = 0;  // 0: no answer at all
  std::string body;
  httplib::Headers headers;
};

// The proxy's front end as the app builds it.
class ProxyFrontEnd {
 public:
  ProxyFrontEnd(ProxyConfig config, const std::string& web_config = {},
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000))
      : tls_(!web_config.empty()) {
    ProxyOptions po;
    po.config = std::move(config);
    po.timeout = timeout;
    po.connect_timeout = std::chrono::milliseconds(2000);
    auto p = Proxy::create(std::move(po), http::make_http_client(), log::Logger());
    if (!p.ok()) throw std::runtime_error(p.error().message());
    proxy_ = std::move(*p);
    http::ServerOptions so;
    so.listen_addresses = {"127.0.0.1:0"};
    so.web_config_file = web_config;
    so.max_requests = 0;
    so.worker_threads = 4;
    so.read_timeout = std::chrono::seconds(5);
    so.write_timeout = std::chrono::seconds(5);
    auto s = http::Server::create(so, log::Logger());
    if (!s.ok()) throw std::runtime_error(s.error().message());
    server_ = std::move(*s);
    Proxy* raw = proxy_.get();
    server_->route_prefix(
        "/", [raw](const http::Request& r) { return raw->handle(r); }, false);
    auto st = server_->start();
    if (!st.ok()) throw std::runtime_error(st.error().message());
  }
  ~ProxyFrontEnd() { server_->stop(std::chrono::seconds(5)); }

  Reply send(const std::string& method, const std::string& path, const httplib::Headers& headers,
             const std::string& body = {}) {
    const int port = server_->bound_ports().at(0);
    std::unique_ptr<httplib::Client> client;
    if (tls_) {
      client = std::make_unique<httplib::Client>("https://127.0.0.1:" + std::to_string(port));
      client->enable_server_certificate_verification(false);
    } else {
      client = std::make_unique<httplib::Client>("http://127.0.0.1:" + std::to_string(port));
    }
    client->set_read_timeout(10, 0);
    auto r = [&] {
      if (method == "HEAD") return client->Head(path, headers);
      if (method == "POST") return client->Post(path, headers, body, "application/json");
      if (method == "DELETE") return client->Delete(path, headers);
      return client->Get(path, headers);
    }();
    Reply out;
    if (r) {
      out.status = r->status;
      out.body = r->body;
      out.headers = r->headers;
    }
    return out;
  }
  Reply get(const std::string& path, const httplib::Headers& headers) { return send("GET", path, headers); }

  const Proxy& proxy() const { return *proxy_; }

 private:
  bool tls_;
  std::unique_ptr<Proxy> proxy_;
  std::unique_ptr<http::Server> server_;
};

ProxyConfig config_for(const std::vector<std::pair<std::string, std::string>>& ip_to_url,
                       bool insecure = false) {
  ProxyConfig c;
  c.insecure_skip_verify = insecure;
  for (const auto& [ip, url] : ip_to_url) c.targets.push_back({{ip}, url});
  return c;
}

std::string header(const httplib::Headers& h, const std::string& name) {
  auto it = h.find(name);
  return it == h.end() ? "<absent>" : it->second;
}

// A loopback port nothing listens on: bound (without listen) to learn a free number,
// then released.
int dead_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) {
    ::close(fd);
    return 1;
  }
  ::close(fd);
  return ntohs(sa.sin_port);
}

class RedfishProxyProxyTls : public ::testing::Test {
 protected:
  void SetUp() override {
    id_ = make_identity("localhost", "DNS:localhost,IP:127.0.0.1");
    id_.write(dir_.file("bmc.crt"), dir_.file("bmc.key"));
    write_file(dir_.file("web.yml"), "tls_server_config:\n  cert_file: bmc.crt\n  key_file: bmc.key\n");
  }
  std::string cert() const { return dir_.file("bmc.crt"); }
  std::string key() const { return dir_.file("bmc.key"); }
  std::string web_config() const { return dir_.file("web.yml"); }

  TempDir dir_;
  Identity id_;
};

TEST(RedfishProxyProxyIntegration, RelaysByRealIpToConfiguredBmc) {
  FakeBmc a("bmc-a"), b("bmc-b");
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", a.url()}, {"192.168.1.1", b.url()}}));
  auto ra = proxy.get("/redfish/v1/", {{"X-Real-IP", "192.168.1.0"}});
  EXPECT_EQ(ra.status, 200);
  EXPECT_EQ(ra.body, "bmc-a GET /redfish/v1/");
  EXPECT_EQ(header(ra.headers, "X-Bmc"), "bmc-a");
  auto rb = proxy.get("/redfish/v1/Chassis?$top=1", {{"X-Real-IP", "192.168.1.1"}});
  EXPECT_EQ(rb.status, 200);
  EXPECT_EQ(rb.body, "bmc-b GET /redfish/v1/Chassis?$top=1");
  EXPECT_EQ(a.hits(), 1);
  EXPECT_EQ(b.hits(), 1);
}

TEST(RedfishProxyProxyIntegration, ForwardsHeadersAsTheReference) {
  FakeBmc a("bmc-a");
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", a.url()}}));
  auto r = proxy.get("/redfish/v1/Systems", {{"X-Real-IP", "192.168.1.0"},
                                             {"X-Redfish-Url", a.url()},
                                             {"Authorization", "Basic YWRtaW46c2VjcmV0"},
                                             {"X-Auth-Token", "tok"},
                                             {"X-Forwarded-For", "10.9.9.9"},
                                             {"Connection", "X-Drop-Me"},
                                             {"X-Drop-Me", "1"}});
  ASSERT_EQ(r.status, 200);
  const auto seen = a.last_headers();
  EXPECT_EQ(header(seen, "X-Redfish-Url"), "<absent>");
  EXPECT_EQ(header(seen, "X-Drop-Me"), "<absent>");
  EXPECT_EQ(header(seen, "X-Real-IP"), "192.168.1.0");
  EXPECT_EQ(header(seen, "Authorization"), "Basic YWRtaW46c2VjcmV0");
  EXPECT_EQ(header(seen, "X-Auth-Token"), "tok");
  EXPECT_EQ(header(seen, "X-Forwarded-For"), "10.9.9.9, 127.0.0.1");
  // The Host the client addressed, not the BMC's.
  EXPECT_THAT(header(seen, "Host"), HasSubstr("127.0.0.1:"));
}

TEST(RedfishProxyProxyIntegration, RelaysMethodBodyStatusAndHeaders) {
  FakeBmc a("bmc-a");
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", a.url()}}));
  auto created = proxy.send("POST", "/redfish/v1/SessionService/Sessions", {{"X-Real-IP", "192.168.1.0"}},
                            R"({"UserName":"admin"})");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(created.body, R"(created {"UserName":"admin"})");
  EXPECT_EQ(header(created.headers, "Location"), "/redfish/v1/SessionService/Sessions/7");
  EXPECT_EQ(header(created.headers, "X-Auth-Token"), "session-token");
  EXPECT_EQ(header(created.headers, "Content-Type"), "application/json");

  auto deleted =
      proxy.send("DELETE", "/redfish/v1/SessionService/Sessions/7", {{"X-Real-IP", "192.168.1.0"}});
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body, "bmc-a DELETE /redfish/v1/SessionService/Sessions/7");

  // An error status with an empty body stays exactly that.
  auto denied = proxy.get("/redfish/v1/unauthorized", {{"X-Real-IP", "192.168.1.0"}});
  EXPECT_EQ(denied.status, 401);
  EXPECT_EQ(denied.body, "");

  auto head = proxy.send("HEAD", "/redfish/v1/", {{"X-Real-IP", "192.168.1.0"}});
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
}

TEST(RedfishProxyProxyIntegration, BodiesAreRelayedUncompressedByTheProxy) {
  FakeBmc a("bmc-a");
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", a.url()}}));
  // The BMC itself compresses when asked; the proxy passes that through once.
  auto gz = proxy.get("/redfish/v1/big.json", {{"X-Real-IP", "192.168.1.0"}, {"Accept-Encoding", "gzip"}});
  EXPECT_EQ(gz.status, 200);
  EXPECT_EQ(gz.body, FakeBmc::big_json());
  auto plain = proxy.get("/redfish/v1/big.json", {{"X-Real-IP", "192.168.1.0"}});
  EXPECT_EQ(plain.body, FakeBmc::big_json());
  EXPECT_EQ(header(plain.headers, "Content-Encoding"), "<absent>");
}

TEST(RedfishProxyProxyIntegration, TargetlessModeUsesHeaderThenCache) {
  FakeBmc a("bmc-a");
  ProxyFrontEnd proxy(ProxyConfig{});
  auto first = proxy.get("/redfish/v1/", {{"X-Redfish-Url", a.url()}, {"X-Real-IP", "192.168.1.1"}});
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "bmc-a GET /redfish/v1/");
  auto second = proxy.get("/redfish/v1/Chassis", {{"X-Real-IP", "192.168.1.1"}});
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "bmc-a GET /redfish/v1/Chassis");
  // The conformance suite's request: the BMC root through the header alone.
  auto root = proxy.get("/", {{"X-Redfish-Url", a.url()}});
  EXPECT_EQ(root.body, "bmc-a GET /");
}

TEST(RedfishProxyProxyIntegration, RefusesTargetOutsideConfiguration) {
  FakeBmc allowed("bmc-a"), other("bmc-other");
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", allowed.url()}}));
  auto r = proxy.get("/redfish/v1/", {{"X-Redfish-Url", other.url()}});
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.body, "X-Redfish-Url names " + other.url() +
                        ", which is not one of the proxy's configured targets or allowed hosts\n");
  auto spoofed = proxy.get("/redfish/v1/", {{"X-Redfish-Url", other.url()}, {"X-Real-IP", "10.1.2.3"}});
  EXPECT_EQ(spoofed.status, 502);
  EXPECT_EQ(other.hits(), 0);
  // The configured BMC named by the header is fine, in any equivalent spelling.
  auto ok = proxy.get("/redfish/v1/", {{"X-Redfish-Url", allowed.url() + "/"}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(allowed.hits(), 1);
}

TEST(RedfishProxyProxyIntegration, RefusesNonRedfishPaths) {
  FakeBmc a("bmc-a");
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", a.url()}}));
  for (const char* path : {"/admin", "/cgi-bin/ipmi.cgi", "/redfish/../admin", "/redfish/%2e%2e/admin",
                           "/redfish/v1%2f..%2f..%2fadmin", "/redfishx"}) {
    auto r = proxy.get(path, {{"X-Real-IP", "192.168.1.0"}});
    EXPECT_EQ(r.status, 403) << path;
  }
  auto post_root = proxy.send("POST", "/", {{"X-Real-IP", "192.168.1.0"}}, "{}");
  EXPECT_EQ(post_root.status, 403);
  EXPECT_EQ(a.hits(), 0);
}

TEST(RedfishProxyProxyIntegration, UnknownSourceAndBadHeaderAre502AndNotCached) {
  FakeBmc a("bmc-a");
  ProxyFrontEnd proxy(ProxyConfig{});
  auto unknown = proxy.get("/redfish/v1/", {{"X-Real-IP", "192.168.1.5"}});
  EXPECT_EQ(unknown.status, 502);
  // Loopback is a trusted proxy by default, so its X-Real-IP is believed and named.
  EXPECT_EQ(unknown.body,
            "no BMC known for 192.168.1.5,127.0.0.1: no configured target, none learned, and no "
            "X-Redfish-Url header\n");
  // Parses (scheme "localhost") but names no host: refused and not learned.
  auto bad = proxy.get("/redfish/v1/", {{"X-Redfish-Url", "localhost:" + a.url().substr(17)}});
  EXPECT_EQ(bad.status, 502);
  EXPECT_THAT(bad.body, StartsWith("invalid X-Redfish-Url header: "));
  EXPECT_EQ(proxy.proxy().cache().size(), 0u);
  auto good = proxy.get("/redfish/v1/", {{"X-Redfish-Url", a.url()}});
  EXPECT_EQ(good.status, 200);
}

TEST(RedfishProxyProxyIntegration, BackendDownIs502) {
  const std::string url = "http://127.0.0.1:" + std::to_string(dead_port());
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", url}}));
  const auto start = std::chrono::steady_clock::now();
  auto r = proxy.get("/redfish/v1/?secret=1", {{"X-Real-IP", "192.168.1.0"}});
  EXPECT_EQ(r.status, 502);
  EXPECT_THAT(r.body, StartsWith("request to BMC " + url.substr(7) + " failed: "));
  EXPECT_THAT(r.body, HasSubstr("onnect"));  // "connect 127.0.0.1:N: Connection refused"
  EXPECT_THAT(r.body, Not(HasSubstr("secret")));
  EXPECT_EQ(header(r.headers, "Content-Type"), "text/plain; charset=utf-8");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));  // refused, not timed out
}

TEST(RedfishProxyProxyIntegration, SlowBackendIsCutOffAtTheTimeout) {
  FakeBmc slow("bmc-slow");
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", slow.url()}}), {}, std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  auto r = proxy.get("/redfish/v1/slow", {{"X-Real-IP", "192.168.1.0"}});
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 502);
  EXPECT_THAT(r.body, StartsWith("no answer from BMC " + slow.url().substr(7) + " in time: "));
  EXPECT_LT(took, std::chrono::milliseconds(1200));
}

TEST_F(RedfishProxyProxyTls, TlsBackendWithVerificationSkipped) {
  FakeBmc a("bmc-tls", cert(), key());
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", a.url("https")}}, true));
  auto r = proxy.get("/redfish/v1/", {{"X-Real-IP", "192.168.1.0"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "bmc-tls GET /redfish/v1/");
}

TEST_F(RedfishProxyProxyTls, TlsBackendFailsVerificationByDefault) {
  FakeBmc a("bmc-tls", cert(), key());
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", a.url("https")}}, false));
  auto r = proxy.get("/redfish/v1/", {{"X-Real-IP", "192.168.1.0"}, {"Authorization", "Basic c2VjcmV0"}});
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(a.hits(), 0);
  // What the exporter on the compute node gets to log instead of `HTTP 502: ""`.
  EXPECT_THAT(r.body, StartsWith("TLS handshake with BMC " + a.url("https").substr(8) + " failed: "));
  EXPECT_THAT(r.body, HasSubstr("certificate"));
  EXPECT_THAT(r.body, Not(HasSubstr("c2VjcmV0")));
  EXPECT_EQ(r.body.back(), '\n');
  EXPECT_EQ(r.body.find('\n'), r.body.size() - 1);
}

TEST_F(RedfishProxyProxyTls, TlsFrontEndPlainAndTlsBackends) {
  FakeBmc plain("bmc-plain"), tls("bmc-tls", cert(), key());
  ProxyFrontEnd proxy(config_for({{"192.168.1.0", plain.url()}, {"192.168.1.1", tls.url("https")}}, true),
                      web_config());
  auto r0 = proxy.get("/", {{"X-Real-IP", "192.168.1.0"}});
  EXPECT_EQ(r0.status, 200);
  EXPECT_EQ(r0.body, "bmc-plain GET /");
  auto r1 = proxy.get("/redfish/v1/", {{"X-Real-IP", "192.168.1.1"}});
  EXPECT_EQ(r1.status, 200);
  EXPECT_EQ(r1.body, "bmc-tls GET /redfish/v1/");
  auto by_header = proxy.get("/", {{"X-Redfish-Url", tls.url("https")}});
  EXPECT_EQ(by_header.body, "bmc-tls GET /");
}

}  // namespace
}  // namespace ceems::redfish_proxy
