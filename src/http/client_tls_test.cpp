// The outbound client against loopback HTTPS servers: whom it trusts (SSL_CERT_FILE,
// else the distribution bundles), host name and IP checks, insecure_skip_verify, and
// what redirects may carry to another host.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <thread>

#include "http/client.h"
#include "http/testing/http_test_util.h"
#include "http/testing/loopback_httplib.h"

namespace ceems::http {
namespace {

using test_util::Identity;
using test_util::make_identity;
using ::testing::HasSubstr;

// Restores an environment variable when the test ends.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A resolver that knows every name as 127.0.0.1: the host a URL names decides what
// the certificate must say, while the connection stays on loopback.
HostResolver loopback_for_all() {
  return [](const std::string&, std::chrono::steady_clock::time_point) {
    return Result<std::vector<std::string>>(std::vector<std::string>{"127.0.0.1"});
  };
}

class HttpClientTls : public ::testing::Test {
 protected:
  void start(const Identity& server_id) {
    server_id.write(dir_.file("server.crt"), dir_.file("server.key"));
    server_ = std::make_unique<httplib::SSLServer>(dir_.file("server.crt").c_str(),
                                                   dir_.file("server.key").c_str());
    server_->Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("hi " + req.get_header_value("Authorization"), "text/plain");
    });
    loopback_ = std::make_unique<test_util::LoopbackHttplib>(*server_);
    port_ = loopback_->start();
  }
  std::string url(const std::string& host, const std::string& path = "/hello") const {
    return "https://" + host + ":" + std::to_string(port_) + path;
  }

  test_util::TempDir dir_;
  Identity ca_ = make_identity("test-ca", "", nullptr, true);
  std::unique_ptr<httplib::SSLServer> server_;
  std::unique_ptr<test_util::LoopbackHttplib> loopback_;  // declared after: stops first
  int port_ = 0;
};

TEST_F(HttpClientTls, TrustsTheBundleNamedBySslCertFile) {
  start(make_identity("bmc", "IP:127.0.0.1,DNS:bmc.example.org", &ca_));
  test_util::write_file(dir_.file("ca.pem"), ca_.cert_pem());
  ScopedEnv file("SSL_CERT_FILE", dir_.file("ca.pem"));
  ScopedEnv certs("SSL_CERT_DIR", dir_.file("no-such-dir"));
  auto client = make_http_client(loopback_for_all());
  auto by_ip = client->send({.url = url("127.0.0.1")});
  ASSERT_TRUE(by_ip.ok()) << by_ip.error().message();
  EXPECT_EQ(by_ip->status, 200);
  auto by_name = client->send({.url = url("bmc.example.org")});
  ASSERT_TRUE(by_name.ok()) << by_name.error().message();
  EXPECT_EQ(by_name->status, 200);
}

TEST_F(HttpClientTls, RefusesAStrangerAndSaysWhy) {
  start(make_identity("bmc", "IP:127.0.0.1", nullptr));  // self-signed, not in the bundle
  test_util::write_file(dir_.file("ca.pem"), ca_.cert_pem());
  ScopedEnv file("SSL_CERT_FILE", dir_.file("ca.pem"));
  auto resp = make_http_client()->send({.url = url("127.0.0.1")});
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.error().kind(), ErrorKind::kIo);
  EXPECT_THAT(resp.error().message(), HasSubstr("certificate verify failed"));
  EXPECT_THAT(resp.error().message(), HasSubstr(url("127.0.0.1")));

  auto insecure = make_http_client()->send({.url = url("127.0.0.1"), .insecure_skip_verify = true});
  ASSERT_TRUE(insecure.ok()) << insecure.error().message();
  EXPECT_EQ(insecure->status, 200);
}

TEST_F(HttpClientTls, ChecksTheNameTheUrlGives) {
  start(make_identity("bmc", "DNS:bmc-1.example.org,IP:127.0.0.2", &ca_));
  test_util::write_file(dir_.file("ca.pem"), ca_.cert_pem());
  ScopedEnv file("SSL_CERT_FILE", dir_.file("ca.pem"));
  auto client = make_http_client(loopback_for_all());
  EXPECT_TRUE(client->send({.url = url("bmc-1.example.org")}).ok());
  auto other = client->send({.url = url("bmc-2.example.org")});
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.error().message(), HasSubstr("certificate verify failed"));
  auto ip = client->send({.url = url("127.0.0.1")});
  ASSERT_FALSE(ip.ok()) << "the certificate names 127.0.0.2, not 127.0.0.1";
  EXPECT_THAT(ip.error().message(), HasSubstr("certificate verify failed"));
}

TEST_F(HttpClientTls, AMissingBundleIsNamedInTheError) {
  start(make_identity("bmc", "IP:127.0.0.1", &ca_));
  ScopedEnv file("SSL_CERT_FILE", dir_.file("missing.pem"));
  ScopedEnv certs("SSL_CERT_DIR", dir_.file("no-such-dir"));
  auto resp = make_http_client()->send({.url = url("127.0.0.1")});
  ASSERT_FALSE(resp.ok());
  EXPECT_THAT(resp.error().message(), HasSubstr("missing.pem"));
  EXPECT_THAT(resp.error().message(), HasSubstr("SSL_CERT_FILE"));
}

// Plain HTTP servers on two loopback "hosts" (names the resolver maps to 127.0.0.1).
class HttpClientRedirects : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/hello", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method + " auth=" + req.get_header_value("Authorization") +
                          " token=" + req.get_header_value("X-Auth-Token") + " body=" + req.body,
                      "text/plain");
    });
    server_.Post("/moved", [](const httplib::Request&, httplib::Response& res) {
      res.status = 302;
      res.set_header("Location", "/hello");
    });
    server_.Get("/elsewhere", [this](const httplib::Request&, httplib::Response& res) {
      res.status = 307;
      res.set_header("Location", "http://other.example:" + std::to_string(port_) + "/hello");
    });
    server_.Get("/loop", [](const httplib::Request&, httplib::Response& res) {
      res.status = 302;
      res.set_header("Location", "/loop");
    });
    port_ = loopback_.start();
  }
  std::string url(const std::string& path, const std::string& host = "bmc.example") const {
    return "http://" + host + ":" + std::to_string(port_) + path;
  }

  httplib::Server server_;
  test_util::LoopbackHttplib loopback_{server_};
  int port_ = 0;
};

TEST_F(HttpClientRedirects, PostBecomesGetOnA302) {
  auto client = make_http_client(loopback_for_all());
  auto resp = client->send({.method = "POST", .url = url("/moved"), .body = "{}", .follow_redirects = true});
  ASSERT_TRUE(resp.ok()) << resp.error().message();
  EXPECT_EQ(resp->body, "GET auth= token= body=");
}

TEST_F(HttpClientRedirects, CredentialsStayWithTheirHost) {
  auto client = make_http_client(loopback_for_all());
  HeaderMap headers{{"Authorization", "Bearer secret"}, {"X-Auth-Token", "tok"}};
  auto same = client->send({.url = url("/hello"), .headers = headers});
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->body, "GET auth=Bearer secret token=tok body=");
  auto moved = client->send({.url = url("/elsewhere"), .headers = headers, .follow_redirects = true});
  ASSERT_TRUE(moved.ok()) << moved.error().message();
  EXPECT_EQ(moved->body, "GET auth= token= body=");
}

TEST_F(HttpClientRedirects, UserInformationBecomesBasicAuth) {
  auto client = make_http_client(loopback_for_all());
  auto resp = client->send({.url = "http://admin:p%40ss@bmc.example:" + std::to_string(port_) + "/hello"});
  ASSERT_TRUE(resp.ok()) << resp.error().message();
  EXPECT_EQ(resp->body, "GET auth=Basic YWRtaW46cEBzcw== token= body=");  // admin:p@ss
}

TEST_F(HttpClientRedirects, StopsAfterTenRedirects) {
  auto resp = make_http_client(loopback_for_all())->send({.url = url("/loop"), .follow_redirects = true});
  ASSERT_FALSE(resp.ok());
  EXPECT_THAT(resp.error().message(), HasSubstr("stopped after 10 redirects"));
}

TEST_F(HttpClientRedirects, HeadersCannotSmuggleLines) {
  auto client = make_http_client(loopback_for_all());
  auto value = client->send({.url = url("/hello"), .headers = {{"X-A", "1\r\nX-B: 2"}}});
  ASSERT_FALSE(value.ok());
  EXPECT_THAT(value.error().message(), HasSubstr("invalid value of header"));
  auto name = client->send({.url = url("/hello"), .headers = {{"X A", "1"}}});
  ASSERT_FALSE(name.ok());
  EXPECT_THAT(name.error().message(), HasSubstr("invalid header name"));
}

TEST_F(HttpClientRedirects, ALookupFailureNamesTheHost) {
  auto client = make_http_client([](const std::string& host, std::chrono::steady_clock::time_point) {
    return Result<std::vector<std::string>>(Error(ErrorKind::kIo, "lookup " + host + ": no such host"));
  });
  auto resp = client->send({.url = url("/hello", "nowhere.example")});
  ASSERT_FALSE(resp.ok());
  EXPECT_THAT(resp.error().message(), HasSubstr("lookup nowhere.example: no such host"));
}

}  // namespace
}  // namespace ceems::http
