// The real redfish collector (real HTTP client) talking to a Redfish mock through an
// in-process redfish_proxy, for every mix of plain and TLS on both sides of the proxy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/flags.h"
#include "core/privileges.h"
#include "core/testing/fake_runner.h"
#include "core/testing/test_support.h"
#include "http/client.h"
#include "http/server.h"
#include "redfish/redfish_collector.h"
#include "redfish/testing/redfish_mock.h"
#include "redfish_proxy/proxy.h"

namespace ceems {
namespace {

using redfish::testing::RedfishMock;
using redfish::testing::RedfishMockOptions;
using ::testing::HasSubstr;

struct Case {
  bool tls_front;
  bool tls_back;
};

class RedfishProxyCollectorThroughProxy : public ::testing::TestWithParam<Case> {
 protected:
  RedfishProxyCollectorThroughProxy()
      : dir_("through_proxy"), flags_("ceems_exporter"), host_("/proc", "/sys", "/sys/fs/cgroup") {
    register_redfish_flags(flags_);
    redfish::testing::write_self_signed_cert(dir_.path("tls.crt"), dir_.path("tls.key"));
  }

  // The proxy as redfish_proxy builds it: header mode (no targets), BMC certificates
  // not verified when the backend speaks TLS with a self-signed certificate.
  std::unique_ptr<http::Server> start_proxy(bool tls_front, bool tls_back) {
    redfish_proxy::ProxyOptions po;
    po.config.insecure_skip_verify = tls_back;
    auto p = redfish_proxy::Proxy::create(std::move(po), http::make_http_client(), log::Logger());
    EXPECT_TRUE(p.ok());
    proxy_ = std::move(*p);
    http::ServerOptions so;
    so.listen_addresses = {"127.0.0.1:0"};
    so.worker_threads = 4;
    if (tls_front) {
      dir_.write("web.yml", "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n");
      so.web_config_file = dir_.path("web.yml");
    }
    auto s = http::Server::create(so, log::Logger());
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message());
    auto server = std::move(*s);
    redfish_proxy::Proxy* raw = proxy_.get();
    server->route_prefix(
        "/", [raw](const http::Request& r) { return raw->handle(r); }, false);
    EXPECT_TRUE(server->start().ok());
    return server;
  }

  std::string scrape(const std::string& yaml) {
    dir_.write("redfish.yml", yaml, 0600);
    EXPECT_TRUE(flags_.parse({"--collector.redfish.web-config=" + dir_.path("redfish.yml")}).ok());
    CollectorContext ctx{flags_, host_, runner_, privileges_, "", true, log::Logger("collector", "redfish")};
    auto c = create_redfish_collector(ctx, std::shared_ptr<http::HttpClient>(http::make_http_client()),
                                      [](const log::Logger&) { return std::string(); });
    if (!c.ok()) return "create failed: " + c.error().message();
    MetricBatch batch;
    Status st = (*c)->update(batch);
    std::string out = test_support::render(batch);
    (*c)->stop();
    return st.ok() ? out : "update failed: " + st.error().message();
  }

  test_support::TempTree dir_;
  FlagSet flags_;
  HostFs host_;
  test_support::NoCommands runner_;
  NoPrivileges privileges_;
  std::unique_ptr<redfish_proxy::Proxy> proxy_;
};

TEST_P(RedfishProxyCollectorThroughProxy, PowerReadingsArriveWithASession) {
  const Case c = GetParam();
  RedfishMockOptions mo;
  if (c.tls_back) {
    mo.cert_file = dir_.path("tls.crt");
    mo.key_file = dir_.path("tls.key");
  }
  RedfishMock bmc(mo);
  auto proxy = start_proxy(c.tls_front, c.tls_back);
  const int proxy_port = proxy->bound_ports().at(0);
  std::string yaml = "redfish_web_config:\n  protocol: " + std::string(c.tls_back ? "https" : "http") +
                     "\n  hostname: 127.0.0.1\n  port: " + std::to_string(bmc.port()) +
                     "\n  external_url: " + (c.tls_front ? "https" : "http") +
                     "://127.0.0.1:" + std::to_string(proxy_port) +
                     "\n  username: admin\n  password: secret\n  insecure_skip_verify: true\n"
                     "  use_session_token: true\n";
  std::string out = scrape(yaml);
  EXPECT_THAT(out, HasSubstr("ceems_redfish_current_watts{chassis=\"Chassis_1\",hostname=\"\"} 397\n"));
  EXPECT_THAT(out, HasSubstr("ceems_redfish_avg_watts{chassis=\"Chassis_1\",hostname=\"\"} 365\n"));
  // The session was created through the proxy and deleted at stop().
  EXPECT_EQ(bmc.sessions_created(), 1);
  EXPECT_EQ(bmc.sessions_deleted(), 1);
  for (const auto& r : bmc.requests()) EXPECT_FALSE(r.has_header("X-Redfish-Url")) << r.path;
  proxy->stop(std::chrono::seconds(2));
}

INSTANTIATE_TEST_SUITE_P(PlainAndTls, RedfishProxyCollectorThroughProxy,
                         ::testing::Values(Case{false, false}, Case{true, false}, Case{false, true},
                                           Case{true, true}),
                         [](const ::testing::TestParamInfo<Case>& i) {
                           return std::string(i.param.tls_front ? "TlsFront" : "PlainFront") +
                                  (i.param.tls_back ? "TlsBmc" : "PlainBmc");
                         });

}  // namespace
}  // namespace ceems
