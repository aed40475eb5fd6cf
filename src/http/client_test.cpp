#include "http/client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

#include "http/testing/loopback_httplib.h"

namespace ceems::http {
namespace {

// A loopback server that stops by itself when the test ends.
class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Auth-Token", "tok");
      res.set_content("hi " + req.get_header_value("X-Test"), "text/plain");
    });
    server_.Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 201;
      res.set_header("Location", "/redfish/v1/SessionService/Sessions/1");
      res.set_content(req.method + ":" + req.body, "application/json");
    });
    server_.Delete("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method, "text/plain");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      res.set_content("late", "text/plain");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(100000, 'x'), "text/plain");
    });
    server_.Get("/redirect",
                [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/hello"); });
    port_ = loopback_.start();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  httplib::Server server_;
  test_util::LoopbackHttplib loopback_{server_};
  int port_ = 0;
};

TEST_F(HttpClientTest, GetWithHeaders) {
  auto client = make_http_client();
  ClientRequest req{.url = url("/hello")};
  req.headers.emplace("X-Test", "42");
  auto resp = client->send(req);
  ASSERT_TRUE(resp.ok()) << resp.error().message();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "hi 42");
  EXPECT_EQ(resp->header("x-auth-token"), "tok");  // case-insensitive
}

TEST_F(HttpClientTest, PostAndDelete) {
  auto client = make_http_client();
  auto post = client->send({.method = "POST", .url = url("/echo"), .body = R"({"UserName":"u"})"});
  ASSERT_TRUE(post.ok()) << post.error().message();
  EXPECT_EQ(post->status, 201);
  EXPECT_EQ(post->body, R"(POST:{"UserName":"u"})");
  EXPECT_EQ(post->header("Location"), "/redfish/v1/SessionService/Sessions/1");
  auto del = client->send({.method = "DELETE", .url = url("/echo")});
  ASSERT_TRUE(del.ok());
  EXPECT_EQ(del->body, "DELETE");
}

TEST_F(HttpClientTest, HttpErrorsAreResponses) {
  auto client = make_http_client();
  auto resp = client->send({.url = url("/missing")});
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 404);
}

TEST_F(HttpClientTest, RedirectsAreNotFollowedByDefault) {
  auto client = make_http_client();
  auto resp = client->send({.url = url("/redirect")});
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 302);
  auto followed = client->send({.url = url("/redirect"), .follow_redirects = true});
  ASSERT_TRUE(followed.ok());
  EXPECT_EQ(followed->status, 200);
}

TEST_F(HttpClientTest, TimeoutIsAnError) {
  auto client = make_http_client();
  auto start = std::chrono::steady_clock::now();
  auto resp = client->send({.url = url("/slow"), .timeout = std::chrono::milliseconds(300)});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.error().kind(), ErrorKind::kTimeout);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1200));
  EXPECT_NE(resp.error().message().find("/slow"), std::string::npos);
}

TEST_F(HttpClientTest, ResponseSizeIsBounded) {
  auto client = make_http_client();
  auto resp = client->send({.url = url("/big"), .max_response_bytes = 1000});
  ASSERT_FALSE(resp.ok());
  EXPECT_NE(resp.error().message().find("larger than 1000"), std::string::npos);
}

TEST(HttpClient, ConnectionRefused) {
  auto client = make_http_client();
  // Port 1 on loopback: nothing listens there.
  auto resp = client->send({.url = "http://127.0.0.1:1/", .timeout = std::chrono::milliseconds(2000)});
  ASSERT_FALSE(resp.ok());
  EXPECT_NE(resp.error().message().find("127.0.0.1:1"), std::string::npos);
}

TEST(HttpClient, OnlyHttpSchemes) {
  auto client = make_http_client();
  EXPECT_FALSE(client->send({.url = "file:///etc/passwd"}).ok());
}

}  // namespace
}  // namespace ceems::http
