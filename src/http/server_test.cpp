#include "http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <zlib.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "http/testing/http_test_util.h"

namespace ceems::http {
namespace {

using test_util::Identity;
using test_util::make_identity;
using test_util::TempDir;
using test_util::tls_probe;
using test_util::write_file;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

const std::string kLimitBody = "Limit of concurrent requests reached (1), try again later.\n";

// A gate a handler waits on, shared by value so that it outlives any request thread.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;

  void wait_inside() {
    std::unique_lock<std::mutex> l(mu);
    ++entered;
    cv.notify_all();
    cv.wait_for(l, std::chrono::seconds(20), [&] { return open; });
  }
  bool wait_entered(int n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(10), [&] { return entered >= n; });
  }
  void release() {
    std::lock_guard<std::mutex> l(mu);
    open = true;
    cv.notify_all();
  }
};

std::string gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return "<inflateInit failed>";
  std::string out;
  char buf[16384];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "<corrupt gzip>";
}

ServerOptions local_options(int listeners = 1) {
  ServerOptions o;
  o.listen_addresses.assign(static_cast<size_t>(listeners), "127.0.0.1:0");
  o.worker_threads = 4;
  o.read_timeout = std::chrono::seconds(5);
  o.write_timeout = std::chrono::seconds(5);
  return o;
}

std::unique_ptr<Server> must_create(ServerOptions o) {
  auto s = Server::create(std::move(o), log::Logger("component", "http_test"));
  EXPECT_TRUE(s.ok()) << s.error().message();
  return s.ok() ? std::move(*s) : nullptr;
}

httplib::Client client(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(5);
  c.set_read_timeout(10);
  return c;
}

class ServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions o) {
    server_ = must_create(std::move(o));
    ASSERT_TRUE(server_);
    server_->route(
        "/metrics",
        [](const Request& r) {
          Response resp;
          resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
          resp.body = "# method " + r.method + "\nup 1\n";
          return resp;
        },
        true);
    auto st = server_->start();
    ASSERT_TRUE(st.ok()) << st.error().message();
    ASSERT_EQ(server_->bound_ports().size(), 1u);
    port_ = server_->bound_ports()[0];
    ASSERT_GT(port_, 0);
  }
  void TearDown() override {
    if (server_) server_->stop(std::chrono::seconds(5));
  }

  std::unique_ptr<Server> server_;
  int port_ = 0;
};

TEST_F(ServerTest, MetricsRouteAndNotFound) {
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

TEST_F(ServerTest, AnyMethodIsAccepted) {
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

TEST_F(ServerTest, RequestFieldsReachTheHandler) {
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

TEST_F(ServerTest, LandingPage) {
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

TEST_F(ServerTest, RegisteredRootRouteWinsOverLandingPage) {
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

TEST_F(ServerTest, ConcurrencyLimit) {
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

TEST_F(ServerTest, EachLimitedRouteHasItsOwnCounter) {
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

TEST_F(ServerTest, Gzip) {
  server_ = must_create(local_options());
  ASSERT_TRUE(server_);
  std::string big;
  for (int i = 0; i < 2000; ++i) big += "node_metric{cpu=\"" + std::to_string(i) + "\"} 1\n";
  server_->route(
      "/metrics",
      [big](const Request&) {
        return Response{200, "text/plain; version=0.0.4; charset=utf-8", big};
      },
      true);
  server_->route(
      "/proto",
      [big](const Request&) {
        return Response{200, "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily", big};
      },
      true);
  ASSERT_TRUE(server_->start().ok());
  port_ = server_->bound_ports()[0];
  auto cli = client(port_);
  cli.set_decompress(false);

  for (const char* path : {"/metrics", "/proto"}) {
    auto gz = cli.Get(path, {{"Accept-Encoding", "gzip"}});
    ASSERT_TRUE(gz) << path;
    EXPECT_EQ(gz->status, 200);
    EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip") << path;
    EXPECT_LT(gz->body.size(), big.size());
    EXPECT_EQ(gunzip(gz->body), big) << path;

    auto plain = cli.Get(path);
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->has_header("Content-Encoding")) << path;
    EXPECT_EQ(plain->body, big);
  }
  // What Prometheus sends.
  auto prom = cli.Get("/metrics", {{"Accept-Encoding", "gzip, deflate"}});
  ASSERT_TRUE(prom);
  EXPECT_EQ(prom->get_header_value("Content-Encoding"), "gzip");
}

TEST_F(ServerTest, BindErrorNamesTheAddressAndReleasesOtherListeners) {
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

TEST(Server, SeveralListenersShareRoutes) {
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

TEST(Server, CreateValidates) {
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

TEST(Server, StopDeadlineWithStuckHandler) {
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

// --- prefix routes and relayed responses (the Redfish proxy) ----------------------

// A server with the given routes, started on a loopback port.
std::unique_ptr<Server> start_with(ServerOptions o, const std::function<void(Server&)>& add_routes) {
  auto server = must_create(std::move(o));
  if (!server) return nullptr;
  add_routes(*server);
  auto st = server->start();
  EXPECT_TRUE(st.ok()) << st.error().message();
  return st.ok() ? std::move(server) : nullptr;
}

Handler answer(const std::string& text) {
  return [text](const Request&) { return Response{200, "text/plain", text}; };
}

TEST(ServerPrefixRoutes, ExactThenLandingPageThenLongestPrefix) {
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

TEST(ServerPrefixRoutes, WithoutCatchAllUnknownPathsAre404) {
  auto server =
      start_with(local_options(), [](Server& s) { s.route_prefix("/redfish/", answer("r"), false); });
  ASSERT_TRUE(server);
  auto r = client(server->bound_ports()[0]).Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, "404 page not found\n");
}

TEST(ServerPrefixRoutes, LimitedPrefixRouteCountsRequests) {
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

TEST(ServerPrefixRoutes, WholeRequestReachesTheHandler) {
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

TEST(ServerPrefixRoutes, DualStackPeerIsReportedAsIpv4) {
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

TEST(ServerResponses, StatusAndExtraHeaders) {
  auto server = start_with(local_options(), [](Server& s) {
    s.route(
        "/h",
        [](const Request&) {
          Response r{207, "application/json", "{}"};
          r.headers.emplace("Set-Cookie", "a=1");
          r.headers.emplace("Set-Cookie", "b=2");
          r.headers.emplace("X-Injected", "x\r\nEvil: 1");
          return r;
        },
        false);
  });
  ASSERT_TRUE(server);
  auto r = client(server->bound_ports()[0]).Get("/h");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 207);
  EXPECT_EQ(r->get_header_value_count("Set-Cookie"), 2u);
  EXPECT_FALSE(r->has_header("Evil"));
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
}

TEST(ServerResponses, RawResponsesGoOutUntouched) {
  const std::string json = "{\"Members\":[" + std::string(5000, ' ') + "]}";
  auto server = start_with(local_options(), [json](Server& s) {
    s.route_prefix(
        "/",
        [json](const Request& req) {
          Response r;
          r.raw = true;
          r.content_type.clear();
          if (req.path == "/empty502") {
            r.status = 502;
          } else if (req.path == "/plain404") {
            r.status = 404;
            r.body = "not here";
            r.headers.emplace("Content-Type", "text/plain");
          } else {
            r.body = json;
            r.headers.emplace("Content-Type", "application/json");
          }
          return r;
        },
        false);
  });
  ASSERT_TRUE(server);
  auto cli = client(server->bound_ports()[0]);
  cli.set_decompress(false);
  auto gz = cli.Get("/json", {{"Accept-Encoding", "gzip, br"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->status, 200);
  EXPECT_FALSE(gz->has_header("Content-Encoding"));
  EXPECT_EQ(gz->body, json);
  EXPECT_EQ(gz->get_header_value("Content-Length"), std::to_string(json.size()));
  // The backend already served (or ignored) the range; the server must not cut again.
  auto ranged = cli.Get("/json", {{"Range", "bytes=0-3"}});
  ASSERT_TRUE(ranged);
  EXPECT_EQ(ranged->status, 200);
  EXPECT_EQ(ranged->body, json);
  auto empty = cli.Get("/empty502");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status, 502);
  EXPECT_EQ(empty->body, "");
  EXPECT_FALSE(empty->has_header("X-Ceems-Relayed-Empty-Body"));
  auto text = cli.Get("/plain404", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(text);
  EXPECT_EQ(text->status, 404);
  EXPECT_EQ(text->body, "not here");
  auto head = cli.Head("/json");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  // A connection that carried relayed answers stays usable.
  auto again = cli.Get("/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->body, json);
}

TEST(ServerResponses, EmptyErrorBodiesOfOrdinaryRoutesStillGetText) {
  auto server = start_with(local_options(), [](Server& s) {
    s.route(
        "/e",
        [](const Request&) {
          return Response{502, "", ""};
        },
        false);
  });
  ASSERT_TRUE(server);
  auto r = client(server->bound_ports()[0]).Get("/e");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_FALSE(r->body.empty());
}

// --- basic auth and headers -------------------------------------------------------

class AuthTest : public ServerTest {
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

TEST_F(AuthTest, RequiresCredentials) {
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

TEST_F(AuthTest, ConfigChangesApplyWithoutRestart) {
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

// --- TLS -------------------------------------------------------------------------

class TlsTest : public ServerTest {
 protected:
  void write_server_identity(const std::string& cn) {
    make_identity(cn, "IP:127.0.0.1,DNS:localhost").write(dir_.file("server.crt"), dir_.file("server.key"));
  }
  void start_tls(const std::string& extra_tls = "", const std::string& extra = "") {
    write_file(dir_.file("web.yml"),
               "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n" + extra_tls + extra);
    auto o = local_options();
    o.web_config_file = dir_.file("web.yml");
    start(o);
  }
  std::unique_ptr<httplib::SSLClient> ssl_client() {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port_);
    c->enable_server_certificate_verification(false);
    c->set_connection_timeout(5);
    c->set_read_timeout(10);
    return c;
  }
  TempDir dir_;
};

TEST_F(TlsTest, ServesHttps) {
  write_server_identity("server-one");
  start_tls();
  auto cli = ssl_client();
  auto res = cli->Get("/metrics");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "# method GET\nup 1\n");

  // Plain HTTP to a TLS listener gets no HTTP response.
  auto plain = client(port_).Get("/metrics");
  EXPECT_TRUE(!plain || plain->status != 200);

  auto probe = tls_probe(port_);
  EXPECT_TRUE(probe.handshake);
  EXPECT_EQ(probe.peer_cn, "server-one");
  EXPECT_EQ(probe.status_line, "HTTP/1.1 200 OK");
}

TEST_F(TlsTest, MinimumVersionIsEnforced) {
  write_server_identity("server");
  start_tls("  min_version: TLS13\n");
  EXPECT_FALSE(tls_probe(port_, "/metrics", TLS1_2_VERSION).handshake);
  EXPECT_TRUE(tls_probe(port_, "/metrics", TLS1_3_VERSION).handshake);
}

TEST_F(TlsTest, DefaultRejectsTls11) {
  write_server_identity("server");
  start_tls();
  EXPECT_FALSE(tls_probe(port_, "/metrics", TLS1_1_VERSION).handshake);
  EXPECT_TRUE(tls_probe(port_, "/metrics", TLS1_2_VERSION).handshake);
}

TEST_F(TlsTest, CertificateRotationWithoutRestart) {
  write_server_identity("before");
  start_tls();
  EXPECT_EQ(tls_probe(port_).peer_cn, "before");
  write_server_identity("after");
  EXPECT_EQ(tls_probe(port_).peer_cn, "after");
}

TEST_F(TlsTest, InlinePemAndBasicAuthTogether) {
  Identity id = make_identity("inline", "IP:127.0.0.1");
  auto indent = [](const std::string& pem) {
    std::string out;
    size_t start = 0;
    while (start < pem.size()) {
      const size_t end = pem.find('\n', start);
      out += "    " + pem.substr(start, end - start) + "\n";
      start = end == std::string::npos ? pem.size() : end + 1;
    }
    return out;
  };
  write_file(dir_.file("web.yml"), "tls_server_config:\n  cert: |\n" + indent(id.cert_pem()) + "  key: |\n" +
                                       indent(id.key_pem()) +
                                       "basic_auth_users:\n  alice: " + test_util::bcrypt_hash("pw") + "\n");
  auto o = local_options();
  o.web_config_file = dir_.file("web.yml");
  start(o);
  auto cli = ssl_client();
  auto anon = cli->Get("/metrics");
  ASSERT_TRUE(anon) << httplib::to_string(anon.error());
  EXPECT_EQ(anon->status, 401);
  cli->set_basic_auth("alice", "pw");
  auto ok = cli->Get("/metrics");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  EXPECT_EQ(tls_probe(port_).peer_cn, "inline");
}

TEST_F(TlsTest, MismatchedKeyIsRejectedAtCreate) {
  make_identity("a", "").write(dir_.file("server.crt"), dir_.file("unused.key"));
  make_identity("b", "").write(dir_.file("unused.crt"), dir_.file("server.key"));
  write_file(dir_.file("web.yml"), "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
  auto o = local_options();
  o.web_config_file = dir_.file("web.yml");
  auto s = Server::create(o, log::Logger());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr(dir_.file("web.yml")), HasSubstr("does not match")));
}

TEST_F(TlsTest, RequireAndVerifyClientCert) {
  write_server_identity("server");
  Identity ca = make_identity("test-ca", "", nullptr, true);
  write_file(dir_.file("ca.pem"), ca.cert_pem());
  Identity good = make_identity("client", "DNS:client.example.org", &ca, false, true);
  Identity other_san = make_identity("client2", "DNS:other.example.org", &ca, false, true);
  Identity stranger = make_identity("stranger", "DNS:client.example.org", nullptr, false, true);
  start_tls(
      "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n"
      "  client_allowed_sans: [client.example.org]\n");

  EXPECT_EQ(tls_probe(port_, "/metrics", 0, &good).status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(tls_probe(port_, "/metrics", 0, nullptr).status_line, "");
  EXPECT_EQ(tls_probe(port_, "/metrics", 0, &other_san).status_line, "");
  EXPECT_EQ(tls_probe(port_, "/metrics", 0, &stranger).status_line, "");
}

TEST_F(TlsTest, RequireAnyClientCertDoesNotVerify) {
  write_server_identity("server");
  Identity self_signed = make_identity("anyone", "DNS:anyone", nullptr, false, true);
  start_tls("  client_auth_type: RequireAnyClientCert\n");
  EXPECT_EQ(tls_probe(port_, "/metrics", 0, &self_signed).status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(tls_probe(port_, "/metrics", 0, nullptr).status_line, "");
}

TEST_F(TlsTest, VerifyClientCertIfGiven) {
  write_server_identity("server");
  Identity ca = make_identity("test-ca", "", nullptr, true);
  write_file(dir_.file("ca.pem"), ca.cert_pem());
  Identity good = make_identity("client", "DNS:c", &ca, false, true);
  Identity stranger = make_identity("stranger", "DNS:c", nullptr, false, true);
  start_tls("  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.pem\n");
  EXPECT_EQ(tls_probe(port_, "/metrics", 0, nullptr).status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(tls_probe(port_, "/metrics", 0, &good).status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(tls_probe(port_, "/metrics", 0, &stranger).status_line, "");
}

TEST_F(TlsTest, CipherSuitesAndCurves) {
  write_server_identity("server");
  start_tls(
      "  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n"
      "  curve_preferences: [CurveP256]\n");
  auto probe = tls_probe(port_);
  EXPECT_EQ(probe.status_line, "HTTP/1.1 200 OK");
}

}  // namespace
}  // namespace ceems::http
