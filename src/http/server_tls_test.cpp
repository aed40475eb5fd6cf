// HTTPS from the web config: versions, certificate rotation without a restart,
// inline PEM, client certificates, cipher suites and curves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>

#include "http/server.h"
#include "http/testing/http_test_util.h"
#include "http/testing/server_fixture.h"

namespace ceems::http {
namespace {

using test_util::client;
using test_util::Identity;
using test_util::local_options;
using test_util::make_identity;
using test_util::TempDir;
using test_util::tls_probe;
using test_util::write_file;
using ::testing::AllOf;
using ::testing::HasSubstr;

class HttpServerTls : public test_util::ServerFixture {
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

TEST_F(HttpServerTls, ServesHttps) {
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

TEST_F(HttpServerTls, MinimumVersionIsEnforced) {
  write_server_identity("server");
  start_tls("  min_version: TLS13\n");
  EXPECT_FALSE(tls_probe(port_, "/metrics", TLS1_2_VERSION).handshake);
  EXPECT_TRUE(tls_probe(port_, "/metrics", TLS1_3_VERSION).handshake);
}

TEST_F(HttpServerTls, DefaultRejectsTls11) {
  write_server_identity("server");
  start_tls();
  EXPECT_FALSE(tls_probe(port_, "/metrics", TLS1_1_VERSION).handshake);
  EXPECT_TRUE(tls_probe(port_, "/metrics", TLS1_2_VERSION).handshake);
}

TEST_F(HttpServerTls, CertificateRotationWithoutRestart) {
  write_server_identity("before");
  start_tls();
  EXPECT_EQ(tls_probe(port_).peer_cn, "before");
  write_server_identity("after");
  EXPECT_EQ(tls_probe(port_).peer_cn, "after");
}

TEST_F(HttpServerTls, InlinePemAndBasicAuthTogether) {
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

TEST_F(HttpServerTls, MismatchedKeyIsRejectedAtCreate) {
  make_identity("a", "").write(dir_.file("server.crt"), dir_.file("unused.key"));
  make_identity("b", "").write(dir_.file("unused.crt"), dir_.file("server.key"));
  write_file(dir_.file("web.yml"), "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
  auto o = local_options();
  o.web_config_file = dir_.file("web.yml");
  auto s = Server::create(o, log::Logger());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.error().message(), AllOf(HasSubstr(dir_.file("web.yml")), HasSubstr("does not match")));
}

TEST_F(HttpServerTls, RequireAndVerifyClientCert) {
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

TEST_F(HttpServerTls, RequireAnyClientCertDoesNotVerify) {
  write_server_identity("server");
  Identity self_signed = make_identity("anyone", "DNS:anyone", nullptr, false, true);
  start_tls("  client_auth_type: RequireAnyClientCert\n");
  EXPECT_EQ(tls_probe(port_, "/metrics", 0, &self_signed).status_line, "HTTP/1.1 200 OK");
  EXPECT_EQ(tls_probe(port_, "/metrics", 0, nullptr).status_line, "");
}

TEST_F(HttpServerTls, VerifyClientCertIfGiven) {
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

TEST_F(HttpServerTls, CipherSuitesAndCurves) {
  write_server_identity("server");
  start_tls(
      "  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n"
      "  curve_preferences: [CurveP256]\n");
  auto probe = tls_probe(port_);
  EXPECT_EQ(probe.status_line, "HTTP/1.1 200 OK");
}

}  // namespace
}  // namespace ceems::http
