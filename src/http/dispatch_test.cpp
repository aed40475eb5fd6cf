// The request pipeline through a real server and client: routing (exact, landing
// page, prefix), what a handler sees of the request, the per-route concurrency limit,
// and basic auth from the web config.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <future>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http/server.h"
#include "http/testing/http_test_util.h"
#include "http/testing/server_fixture.h"

namespace ceems::http {
namespace {

using test_util::answer;
using test_util::client;
using test_util::Gate;
using test_util::local_options;
using test_util::must_create;
using test_util::start_with;
using test_util::TempDir;
using test_util::write_file;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kLimitBody = "Limit of concurrent requests reached (1), try again later.\n";

class HttpDispatch : public test_util::ServerFixture {};

TEST_F(HttpDispatch, MetricsRouteAndNotFound) {
  start(local_options());
  auto cli = client(port_);
  auto res = cli.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "# method GET\nup 1\n");
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");

  for (const char* path : {"/nope", "/metrics/", "/metric", "/", "/metrics?x=1/../"}) {
    auto r = cli.Get(path);
    ASSERT_TRUE(r) << path;
    if (std::string(path).rfind("/metrics?", 0) == 0) {
      EXPECT_EQ(r->status, 200) << "query strings are not part of the path";
      continue;
    }
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_EQ(r->body, "404 page not found\n") << path;
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; charset=utf-8");
  }
}

TEST_F(HttpDispatch, AnyMethodIsAccepted) {
  start(local_options());
  auto cli = client(port_);
  auto post = cli.Post("/metrics", "a=b", "application/x-www-form-urlencoded");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 200);
  EXPECT_EQ(post->body, "# method POST\nup 1\n");
  auto head = cli.Head("/metrics");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_TRUE(head->body.empty());
  auto options = cli.Options("/metrics");
  ASSERT_TRUE(options);
  EXPECT_EQ(options->status, 200);
  auto del = cli.Delete("/nope");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 404);
}

TEST_F(HttpDispatch, RequestFieldsReachTheHandler) {
  server_ = must_create(local_options());
  ASSERT_TRUE(server_);
  auto seen = std::make_shared<Request>();
  server_->route(
      "/echo",
      [seen](const Request& r) {
        *seen = r;
        return Response{};
      },
      false);
  ASSERT_TRUE(server_->start().ok());
  port_ = server_->bound_ports()[0];
  auto cli = client(port_);
  cli.set_decompress(false);
  auto res =
      cli.Get("/echo", {{"Accept", "text/plain"}, {"Accept-Encoding", "identity"}, {"Host", "node1:9010"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(seen->method, "GET");
  EXPECT_EQ(seen->path, "/echo");
  EXPECT_THAT(seen->remote_addr, StartsWith("127.0.0.1:"));
  EXPECT_EQ(seen->accept, "text/plain");
  EXPECT_EQ(seen->accept_encoding, "identity");
  EXPECT_EQ(seen->host, "node1:9010");
}

TEST_F(HttpDispatch, LandingPage) {
  auto o = local_options();
  o.landing_page = LandingPage{"ceems_exporter",
                               "Prometheus Exporter to export compute (job, VM, pod) resource usage metrics.",
                               "(version=0.5.1, branch=main, revision=abc)",
                               {{"Metrics", "/metrics"}, {"Grafana Alloy Targets", "/alloy-targets"}}};
  start(o);
  auto res = client(port_).Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(res->body,
              AllOf(HasSubstr("<title>ceems_exporter</title>"), HasSubstr("resource usage metrics."),
                    HasSubstr("(version=0.5.1, branch=main, revision=abc)"),
                    HasSubstr("<a href=\"/metrics\">Metrics</a>"),
                    HasSubstr("<a href=\"/alloy-targets\">Grafana Alloy Targets</a>")));
}

TEST_F(HttpDispatch, RegisteredRootRouteWinsOverLandingPage) {
  auto o = local_options();
  o.landing_page = LandingPage{"t", "d", "v", {}};
  start(o);
  server_->route(
      "/",
      [](const Request&) {
        return Response{200, "text/plain", "root"};
      },
      false);
  auto res = client(port_).Get("/");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->body, "root");
}

// --- the per-route concurrency limit ---------------------------------------------

TEST_F(HttpDispatch, ConcurrencyLimit) {
  auto o = local_options();
  o.max_requests = 1;
  server_ = must_create(o);
  ASSERT_TRUE(server_);
  auto gate = std::make_shared<Gate>();
  server_->route(
      "/slow",
      [gate](const Request&) {
        gate->wait_inside();
        return Response{200, "text/plain", "done"};
      },
      true);
  server_->route(
      "/free",
      [](const Request&) {
        return Response{200, "text/plain", "free"};
      },
      false);
  ASSERT_TRUE(server_->start().ok());
  port_ = server_->bound_ports()[0];

  auto first = std::async(std::launch::async, [this] {
    auto res = client(port_).Get("/slow");
    return res ? res->status : -1;
  });
  ASSERT_TRUE(gate->wait_entered(1));
  auto second = client(port_).Get("/slow");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 503);
  EXPECT_EQ(second->body, kLimitBody);
  // Unlimited routes are not counted.
  auto free = client(port_).Get("/free");
  ASSERT_TRUE(free);
  EXPECT_EQ(free->status, 200);

  gate->release();
  EXPECT_EQ(first.get(), 200);
  auto third = client(port_).Get("/slow");
  ASSERT_TRUE(third);
  EXPECT_EQ(third->status, 200);
}

TEST_F(HttpDispatch, EachLimitedRouteHasItsOwnCounter) {
  auto o = local_options();
  o.max_requests = 1;
  server_ = must_create(o);
  ASSERT_TRUE(server_);
  auto gate = std::make_shared<Gate>();
  server_->route(
      "/a",
      [gate](const Request&) {
        gate->wait_inside();
        return Response{};
      },
      true);
  server_->route(
      "/b",
      [](const Request&) {
        return Response{200, "text/plain", "b"};
      },
      true);
  ASSERT_TRUE(server_->start().ok());
  port_ = server_->bound_ports()[0];
  auto first = std::async(std::launch::async, [this] { return client(port_).Get("/a") ? 1 : 0; });
  ASSERT_TRUE(gate->wait_entered(1));
  auto b = client(port_).Get("/b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  gate->release();
  EXPECT_EQ(first.get(), 1);
}

// --- prefix routes (the Redfish proxy) ------------------------------------------

TEST(HttpDispatchPrefixRoutes, ExactThenLandingPageThenLongestPrefix) {
  auto o = local_options();
  o.landing_page = LandingPage{"t", "d", "v", {}};
  auto server = start_with(o, [](Server& s) {
    s.route("/redfish/v1/exact", answer("exact"), false);
    s.route_prefix("/", answer("catch-all"), false);
    s.route_prefix("/redfish/", answer("redfish"), false);
    s.route_prefix("/redfish/v1/Chassis", answer("chassis"), false);
  });
  ASSERT_TRUE(server);
  auto cli = client(server->bound_ports()[0]);
  const std::vector<std::pair<std::string, std::string>> cases{{"/redfish/v1/exact", "exact"},
                                                               {"/redfish/v1/exact/", "redfish"},
                                                               {"/redfish/v1/", "redfish"},
                                                               {"/redfish/v1/Chassis/1/Power", "chassis"},
                                                               {"/redfish", "catch-all"},
                                                               {"/anything?x=1", "catch-all"},
                                                               {"/redfish/v1/Chassis?y=2", "chassis"}};
  for (const auto& [path, body] : cases) {
    auto r = cli.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->body, body) << path;
  }
  auto root = cli.Get("/");
  ASSERT_TRUE(root);
  EXPECT_THAT(root->body, HasSubstr("<title>t</title>"));
  auto post = cli.Post("/other", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->body, "catch-all");
}

TEST(HttpDispatchPrefixRoutes, WithoutCatchAllUnknownPathsAre404) {
  auto server =
      start_with(local_options(), [](Server& s) { s.route_prefix("/redfish/", answer("r"), false); });
  ASSERT_TRUE(server);
  auto r = client(server->bound_ports()[0]).Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "404 page not found\n");
}

TEST(HttpDispatchPrefixRoutes, LimitedPrefixRouteCountsRequests) {
  auto o = local_options();
  o.max_requests = 1;
  auto gate = std::make_shared<Gate>();
  auto server = start_with(o, [gate](Server& s) {
    s.route_prefix(
        "/",
        [gate](const Request&) {
          gate->wait_inside();
          return Response{200, "text/plain", "done"};
        },
        true);
  });
  ASSERT_TRUE(server);
  const int port = server->bound_ports()[0];
  auto first = std::async(std::launch::async, [port] { return client(port).Get("/a"); });
  ASSERT_TRUE(gate->wait_entered(1));
  auto second = client(port).Get("/b");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 503);
  gate->release();
  auto r = first.get();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "done");
}

TEST(HttpDispatchPrefixRoutes, WholeRequestReachesTheHandler) {
  auto seen = std::make_shared<Request>();
  auto server = start_with(local_options(), [seen](Server& s) {
    s.route_prefix(
        "/",
        [seen](const Request& r) {
          *seen = r;
          return Response{};
        },
        false);
  });
  ASSERT_TRUE(server);
  auto cli = client(server->bound_ports()[0]);
  httplib::Headers headers{
      {"X-Real-IP", "10.0.0.1"}, {"x-real-ip", "10.0.0.2"}, {"X-Redfish-Url", "http://bmc"}};
  auto res = cli.Post("/redfish/v1/a%20b?x=1&y=%2F", headers, R"({"k":"v"})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(seen->method, "POST");
  EXPECT_EQ(seen->path, "/redfish/v1/a b");
  EXPECT_EQ(seen->target, "/redfish/v1/a%20b?x=1&y=%2F");
  EXPECT_EQ(seen->body, R"({"k":"v"})");
  EXPECT_EQ(seen->remote_ip, "127.0.0.1");
  EXPECT_GT(seen->remote_port, 0);
  auto [begin, end] = seen->headers.equal_range("X-REAL-IP");
  std::vector<std::string> ips;
  for (auto it = begin; it != end; ++it) ips.push_back(it->second);
  EXPECT_EQ(ips, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(seen->headers.count("x-redfish-url"), 1u);
  EXPECT_EQ(seen->headers.find("Content-Type")->second, "application/json");
  EXPECT_EQ(seen->headers.count("REMOTE_ADDR"), 0u);
  EXPECT_EQ(seen->headers.count("REMOTE_PORT"), 0u);
}

TEST(HttpDispatchPrefixRoutes, DualStackPeerIsReportedAsIpv4) {
  auto o = local_options();
  o.listen_addresses = {"[::]:0"};
  auto server = must_create(o);
  ASSERT_TRUE(server);
  auto seen = std::make_shared<Request>();
  server->route_prefix(
      "/",
      [seen](const Request& r) {
        *seen = r;
        return Response{};
      },
      false);
  if (!server->start().ok()) GTEST_SKIP() << "no IPv6 on this host";
  auto res = client(server->bound_ports()[0]).Get("/x");
  ASSERT_TRUE(res);
  EXPECT_EQ(seen->remote_ip, "127.0.0.1");
  server->stop(std::chrono::seconds(5));
}

// --- basic auth and the web config's headers -------------------------------------

class HttpDispatchAuth : public test_util::ServerFixture {
 protected:
  void SetUp() override {
    write_file(dir_.file("web.yml"), config("alice", "s3cret"));
    auto o = local_options();
    o.web_config_file = dir_.file("web.yml");
    start(o);
  }
  static std::string config(const std::string& user, const std::string& password) {
    return "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"
           "basic_auth_users:\n  " +
           user + ": " + test_util::bcrypt_hash(password) + "\n";
  }
  TempDir dir_;
};

TEST_F(HttpDispatchAuth, RequiresCredentials) {
  auto cli = client(port_);
  auto none = cli.Get("/metrics");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_EQ(none->body, "Unauthorized\n");
  EXPECT_EQ(none->get_header_value("WWW-Authenticate"), "Basic");
  EXPECT_EQ(none->get_header_value("X-Frame-Options"), "deny");

  cli.set_basic_auth("alice", "wrong");
  auto wrong = cli.Get("/metrics");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);

  cli.set_basic_auth("mallory", "s3cret");
  auto unknown = cli.Get("/metrics");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401);

  auto garbage = client(port_).Get("/metrics", {{"Authorization", "Basic ###"}});
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 401);

  cli.set_basic_auth("alice", "s3cret");
  auto ok = cli.Get("/metrics");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(ok->get_header_value("X-Frame-Options"), "deny");
  // Authentication comes before routing.
  auto missing = cli.Get("/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto anon_missing = client(port_).Get("/nope");
  ASSERT_TRUE(anon_missing);
  EXPECT_EQ(anon_missing->status, 401);
}

TEST_F(HttpDispatchAuth, ConfigChangesApplyWithoutRestart) {
  auto cli = client(port_);
  cli.set_basic_auth("bob", "hunter2");
  auto before = cli.Get("/metrics");
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 401);

  write_file(dir_.file("web.yml"), config("bob", "hunter2"));
  auto after = cli.Get("/metrics");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);

  // A broken config fails requests (as the original does) until it is fixed.
  write_file(dir_.file("web.yml"), "basic_auth_users: [oops\n");
  auto broken = cli.Get("/metrics");
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->status, 500);
  EXPECT_EQ(broken->body, "Internal Server Error\n");

  write_file(dir_.file("web.yml"), config("bob", "hunter2"));
  auto fixed = cli.Get("/metrics");
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->status, 200);

  // A same-size rewrite within one timestamp tick is still noticed.
  write_file(dir_.file("web.yml"), config("bob", "hunter3"));
  auto same_size = cli.Get("/metrics");
  ASSERT_TRUE(same_size);
  EXPECT_EQ(same_size->status, 401);
}

}  // namespace
}  // namespace ceems::http
