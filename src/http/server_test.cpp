// The server's listeners and lifecycle: binding errors, several listeners, what
// create() validates, and a stop that gives up on a stuck handler.
#include "http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include "http/testing/http_test_util.h"
#include "http/testing/server_fixture.h"

namespace ceems::http {
namespace {

using test_util::client;
using test_util::Gate;
using test_util::local_options;
using test_util::must_create;
using test_util::TempDir;
using test_util::write_file;
using ::testing::AllOf;
using ::testing::HasSubstr;

class HttpServerListeners : public test_util::ServerFixture {};

TEST_F(HttpServerListeners, BindErrorNamesTheAddressAndReleasesOtherListeners) {
  start(local_options());
  const std::string busy = "127.0.0.1:" + std::to_string(port_);
  auto o = local_options();
  o.listen_addresses = {"127.0.0.1:0", busy};
  auto second = must_create(o);
  ASSERT_TRUE(second);
  auto st = second->start();
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.error().message(), HasSubstr(busy));
  EXPECT_TRUE(second->bound_ports().empty());
  second->stop(std::chrono::milliseconds(100));  // harmless when never started
}

TEST(HttpServer, SeveralListenersShareRoutes) {
  auto server = must_create(local_options(2));
  ASSERT_TRUE(server);
  server->route(
      "/metrics",
      [](const Request&) {
        return Response{200, "text/plain", "shared"};
      },
      true);
  ASSERT_TRUE(server->start().ok());
  auto ports = server->bound_ports();
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_NE(ports[0], ports[1]);
  for (int p : ports) {
    auto res = client(p).Get("/metrics");
    ASSERT_TRUE(res) << p;
    EXPECT_EQ(res->body, "shared");
  }
  server->stop(std::chrono::seconds(5));
  EXPECT_FALSE(client(ports[0]).Get("/metrics"));  // really closed
}

TEST(HttpServer, CreateValidates) {
  auto o = local_options();
  o.listen_addresses = {"9010"};
  auto s = Server::create(o, log::Logger());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), HasSubstr("9010"));

  TempDir dir;
  write_file(dir.file("web.yml"), "tls_server_config:\n  cert_fil: x\n");
  o = local_options();
  o.web_config_file = dir.file("web.yml");
  s = Server::create(o, log::Logger());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(),
              AllOf(HasSubstr(dir.file("web.yml")), HasSubstr("tls_server_config.cert_fil")));

  // Certificates are loaded at creation: a missing file is reported with its key.
  write_file(dir.file("web.yml"), "tls_server_config:\n  cert_file: missing.crt\n  key_file: missing.key\n");
  s = Server::create(o, log::Logger());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr(dir.file("web.yml")), HasSubstr("cert_file"),
                                         HasSubstr(dir.file("missing.crt"))));
}

TEST(HttpServer, StopDeadlineWithStuckHandler) {
  auto server = must_create(local_options());
  ASSERT_TRUE(server);
  auto gate = std::make_shared<Gate>();
  server->route(
      "/stuck",
      [gate](const Request&) {
        gate->wait_inside();
        return Response{};
      },
      true);
  ASSERT_TRUE(server->start().ok());
  const int port = server->bound_ports()[0];
  auto pending = std::async(std::launch::async, [port] { return client(port).Get("/stuck") ? 1 : 0; });
  ASSERT_TRUE(gate->wait_entered(1));
  const auto t0 = std::chrono::steady_clock::now();
  server->stop(std::chrono::milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  server.reset();  // the abandoned listener keeps what it needs alive
  gate->release();
  EXPECT_EQ(pending.get(), 1);
}

}  // namespace
}  // namespace ceems::http
