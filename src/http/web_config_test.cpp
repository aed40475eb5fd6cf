#include "http/web_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http/testing/http_test_util.h"

namespace ceems::http {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const std::string kData = CEEMS_TEST_DATA_DIR;
const std::string kHash = "$2y$10$VKRpyUgFqAhpiEX9DsKW7OHQUH4nxRIgnOTUD5RUZvWkUTpYeRXZa";

Result<WebConfig> parse(const std::string& yaml) { return parse_web_config(yaml, "/etc/ceems", "web.yml"); }

std::string error_of(const std::string& yaml) {
  auto r = parse(yaml);
  EXPECT_FALSE(r.ok()) << "expected an error for:\n" << yaml;
  return r.ok() ? std::string() : r.error().message();
}

TEST(HttpWebConfig, FullFileWithTlsAndUsers) {
  auto r = load_web_config(kData + "/web_config_full.yml");
  ASSERT_TRUE(r.ok()) << r.error().message();
  const WebConfig& c = *r;
  EXPECT_EQ(c.source, kData + "/web_config_full.yml");
  EXPECT_TRUE(c.tls_enabled);
  EXPECT_EQ(c.tls.cert_file, kData + "/certs/server.pem");  // relative: against the file's directory
  EXPECT_EQ(c.tls.key_file, "/etc/ceems/server.key");       // absolute: unchanged
  EXPECT_EQ(c.tls.client_ca_file, kData + "/certs/ca.pem");
  EXPECT_EQ(c.tls.client_auth_type, ClientAuthType::kRequireAndVerifyClientCert);
  EXPECT_EQ(c.tls.client_allowed_sans, (std::vector<std::string>{"client.example.org", "10.0.0.1"}));
  EXPECT_EQ(c.tls.min_version, TlsVersion::kTls12);
  EXPECT_EQ(c.tls.max_version, TlsVersion::kTls13);
  // TLS 1.3 suites are accepted but, as in Go, not configurable.
  EXPECT_EQ(c.tls.openssl_cipher_list, "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305");
  EXPECT_FALSE(c.tls.prefer_server_cipher_suites);
  EXPECT_EQ(c.tls.openssl_groups_list, "P-256:X25519");
  EXPECT_FALSE(c.http.http2);
  ASSERT_EQ(c.http.headers.size(), 5u);
  EXPECT_EQ(c.http.headers[0],
            (std::pair<std::string, std::string>{"Content-Security-Policy", "default-src 'self'"}));
  EXPECT_EQ(c.http.headers[1], (std::pair<std::string, std::string>{"X-Frame-Options", "DENY"}));
  EXPECT_EQ(c.http.headers[3].second, "1; mode=block");
  ASSERT_EQ(c.basic_auth_users.size(), 1u);
  EXPECT_EQ(c.basic_auth_users.at("alice"), kHash);
}

TEST(HttpWebConfig, ExporterToolkitDocsExample) {
  auto r = load_web_config(kData + "/web_config_docs_example.yml");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->tls_enabled);
  EXPECT_EQ(r->tls.cert_file, kData + "/server.crt");
  EXPECT_EQ(r->tls.key_file, kData + "/server.key");
  EXPECT_EQ(r->tls.client_auth_type, ClientAuthType::kNoClientCert);
  EXPECT_EQ(r->tls.min_version, TlsVersion::kTls12);
  EXPECT_TRUE(r->tls.prefer_server_cipher_suites);
  EXPECT_TRUE(r->http.http2);
  EXPECT_EQ(r->basic_auth_users.size(), 2u);
  EXPECT_EQ(r->basic_auth_users.count("bob"), 1u);
}

TEST(HttpWebConfig, EmptyDocumentsMeanPlainHttp) {
  for (const char* yaml : {"", "# only a comment\n", "---\n", "tls_server_config:\nbasic_auth_users:\n",
                           "tls_server_config: {}\nhttp_server_config: {}\n"}) {
    auto r = parse(yaml);
    ASSERT_TRUE(r.ok()) << yaml << ": " << r.error().message();
    EXPECT_FALSE(r->tls_enabled) << yaml;
    EXPECT_TRUE(r->basic_auth_users.empty());
    EXPECT_TRUE(r->http.headers.empty());
  }
}

TEST(HttpWebConfig, TlsSettingsWithoutCertificateLeaveTlsOff) {
  // As in the original, only a certificate, key, CA or client_auth_type turns TLS on.
  auto r = parse("tls_server_config:\n  min_version: TLS13\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_FALSE(r->tls_enabled);
}

TEST(HttpWebConfig, InlineCertificateAndKey) {
  auto r = parse(
      "tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n    x\n"
      "    -----END CERTIFICATE-----\n  key: secret\n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_TRUE(r->tls_enabled);
  EXPECT_THAT(r->tls.cert, HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_EQ(r->tls.key, "secret");
}

TEST(HttpWebConfig, UnknownKeyIsNamedWithItsPath) {
  std::string e = error_of("tls_server_config:\n  cert_fil: server.crt\n  key_file: server.key\n");
  EXPECT_THAT(e, AllOf(HasSubstr("web.yml"), HasSubstr("tls_server_config.cert_fil"), HasSubstr("line 2")));
  EXPECT_THAT(error_of("tls_config:\n  cert_file: x\n"),
              AllOf(HasSubstr("web.yml"), HasSubstr("tls_config")));
  EXPECT_THAT(error_of("http_server_config:\n  http3: true\n"), HasSubstr("http_server_config.http3"));
  // Later exporter-toolkit keys are not part of this exporter's format.
  EXPECT_THAT(error_of("rate_limit:\n  burst: 1\n"), HasSubstr("rate_limit"));
}

TEST(HttpWebConfig, CertificateWithoutKeyAndViceVersa) {
  EXPECT_THAT(error_of("tls_server_config:\n  cert_file: server.crt\n"),
              AllOf(HasSubstr("web.yml"), HasSubstr("tls_server_config"), HasSubstr("key_file")));
  EXPECT_THAT(error_of("tls_server_config:\n  key_file: server.key\n"),
              AllOf(HasSubstr("web.yml"), HasSubstr("cert_file")));
  EXPECT_THAT(error_of("tls_server_config:\n  client_auth_type: RequestClientCert\n"),
              HasSubstr("missing one of cert or cert_file"));
}

TEST(HttpWebConfig, BadClientAuthType) {
  std::string e =
      error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyAlways\n");
  EXPECT_THAT(e, AllOf(HasSubstr("web.yml"), HasSubstr("tls_server_config.client_auth_type"),
                       HasSubstr("\"VerifyAlways\""), HasSubstr("RequireAndVerifyClientCert")));
}

TEST(HttpWebConfig, ClientAuthTypeAlias) {
  auto r =
      parse("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireClientCert\n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->tls.client_auth_type, ClientAuthType::kRequireAnyClientCert);
}

TEST(HttpWebConfig, ClientCaRules) {
  EXPECT_THAT(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca.pem\n"),
              AllOf(HasSubstr("web.yml"), HasSubstr("client_auth_type"), HasSubstr("Client Auth Policy")));
  EXPECT_THAT(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: "
                       "RequireAndVerifyClientCert\n"),
              AllOf(HasSubstr("RequireAndVerifyClientCert"), HasSubstr("client_ca_file")));
  EXPECT_THAT(
      error_of(
          "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n"),
      HasSubstr("client_ca"));
  EXPECT_THAT(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: "
                       "VerifyClientCertIfGiven\n  client_ca_file: ca.pem\n  client_allowed_sans: [x]\n"),
              HasSubstr("tls_server_config.client_allowed_sans"));
  auto ok = parse(
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAnyClientCert\n"
      "  client_allowed_sans: [x]\n");
  EXPECT_TRUE(ok.ok()) << ok.error().message();
}

TEST(HttpWebConfig, BadTlsVersion) {
  std::string e = error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n");
  EXPECT_THAT(
      e, AllOf(HasSubstr("web.yml"), HasSubstr("tls_server_config.min_version"), HasSubstr("\"TLS14\"")));
  EXPECT_THAT(error_of("tls_server_config:\n  cert_file: a\n  key_file: b\n  max_version: tls13\n"),
              AllOf(HasSubstr("tls_server_config.max_version"), HasSubstr("\"tls13\"")));
  EXPECT_THAT(
      error_of(
          "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n"),
      AllOf(HasSubstr("min_version"), HasSubstr("TLS13"), HasSubstr("TLS12")));
}

TEST(HttpWebConfig, CipherAndCurveNames) {
  EXPECT_THAT(error_of("tls_server_config:\n  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]\n"),
              AllOf(HasSubstr("tls_server_config.cipher_suites[0]"), HasSubstr("TLS_RSA_WITH_RC4_128_SHA")));
  EXPECT_THAT(error_of("tls_server_config:\n  curve_preferences: [CurveP256, CurveP999]\n"),
              AllOf(HasSubstr("tls_server_config.curve_preferences[1]"), HasSubstr("CurveP999")));
  EXPECT_THAT(error_of("tls_server_config:\n  cipher_suites: TLS_AES_128_GCM_SHA256\n"),
              AllOf(HasSubstr("tls_server_config.cipher_suites"), HasSubstr("list")));
  EXPECT_EQ(go_cipher_suite_to_openssl("TLS_RSA_WITH_AES_128_CBC_SHA").value_or("?"), "AES128-SHA");
  EXPECT_EQ(go_cipher_suite_to_openssl("TLS_AES_256_GCM_SHA384").value_or("?"), "");
  EXPECT_FALSE(go_cipher_suite_to_openssl("AES128-SHA").has_value());
  EXPECT_EQ(go_curve_to_openssl("CurveP521").value_or("?"), "P-521");
}

TEST(HttpWebConfig, BadHeaderName) {
  std::string e = error_of("http_server_config:\n  headers:\n    X-Powered-By: ceems\n");
  EXPECT_THAT(e, AllOf(HasSubstr("web.yml"), HasSubstr("http_server_config.headers.X-Powered-By"),
                       HasSubstr("can not be configured")));
  // Names are matched exactly, as in the original.
  EXPECT_THAT(error_of("http_server_config:\n  headers:\n    x-frame-options: deny\n"),
              HasSubstr("x-frame-options"));
}

TEST(HttpWebConfig, HeaderValues) {
  EXPECT_THAT(error_of("http_server_config:\n  headers:\n    X-Frame-Options: allow-from\n"),
              AllOf(HasSubstr("http_server_config.headers.X-Frame-Options"), HasSubstr("\"allow-from\""),
                    HasSubstr("sameorigin")));
  EXPECT_THAT(error_of("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n"),
              HasSubstr("\"sniff\""));
  auto r = parse(
      "http_server_config:\n  headers:\n    X-Frame-Options: SameOrigin\n"
      "    X-Content-Type-Options: NOSNIFF\n    X-XSS-Protection: ''\n");
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->http.headers.size(), 2u);  // the blank one is unset
  EXPECT_EQ(r->http.headers[0].second, "SameOrigin");
}

TEST(HttpWebConfig, BadYamlSyntax) {
  std::string e = error_of("tls_server_config:\n  cert_file: [unclosed\n  key_file: x\n");
  EXPECT_THAT(e, AllOf(HasSubstr("web.yml"), HasSubstr("invalid YAML"), HasSubstr("line")));
  EXPECT_THAT(error_of("basic_auth_users:\n  alice: a: b\n"),
              AllOf(HasSubstr("invalid YAML"), HasSubstr("line 2")));
}

TEST(HttpWebConfig, WrongShapes) {
  EXPECT_THAT(error_of("- a\n- b\n"), AllOf(HasSubstr("web.yml"), HasSubstr("mapping")));
  EXPECT_THAT(error_of("tls_server_config: yes\n"),
              AllOf(HasSubstr("tls_server_config"), HasSubstr("mapping")));
  EXPECT_THAT(error_of("tls_server_config:\n  cert_file: [a, b]\n"),
              AllOf(HasSubstr("tls_server_config.cert_file"), HasSubstr("string")));
  EXPECT_THAT(error_of("tls_server_config:\n  prefer_server_cipher_suites: maybe\n"),
              AllOf(HasSubstr("tls_server_config.prefer_server_cipher_suites"), HasSubstr("\"maybe\"")));
  EXPECT_THAT(error_of("http_server_config:\n  http2: 2\n"), HasSubstr("http_server_config.http2"));
  EXPECT_THAT(error_of("tls_server_config:\n  cert_file: a\n  cert_file: b\n"),
              AllOf(HasSubstr("tls_server_config.cert_file"), HasSubstr("duplicate")));
  EXPECT_THAT(error_of("basic_auth_users:\n  ? [a]\n  : x\n"), HasSubstr("basic_auth_users"));
}

TEST(HttpWebConfig, UsersNeedBcryptHashesAndErrorsNeverEchoThem) {
  const std::string plaintext = "hunter2-plaintext";
  std::string e = error_of("basic_auth_users:\n  alice: " + plaintext + "\n");
  EXPECT_THAT(e, AllOf(HasSubstr("web.yml"), HasSubstr("basic_auth_users.alice"), HasSubstr("bcrypt"),
                       Not(HasSubstr(plaintext))));
  EXPECT_THAT(error_of("basic_auth_users:\n  bob:\n"), HasSubstr("basic_auth_users.bob"));
  // A truncated hash and one with an impossible cost.
  EXPECT_THAT(error_of("basic_auth_users:\n  c: " + kHash.substr(0, 59) + "\n"),
              HasSubstr("basic_auth_users.c"));
  std::string bad_cost = kHash;
  bad_cost[4] = '3';
  bad_cost[5] = '2';
  EXPECT_THAT(error_of("basic_auth_users:\n  d: " + bad_cost + "\n"), HasSubstr("basic_auth_users.d"));
  for (const char* prefix : {"$2a$", "$2b$", "$2y$"}) {
    std::string h = kHash;
    h.replace(0, 4, prefix);
    EXPECT_TRUE(parse("basic_auth_users:\n  u: " + h + "\n").ok()) << h;
  }
}

TEST(HttpWebConfig, LoadErrorsNameTheFile) {
  auto r = load_web_config("/nonexistent/ceems/web.yml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr("/nonexistent/ceems/web.yml"));
  EXPECT_EQ(r.error().kind(), ErrorKind::kNotFound);

  test_util::TempDir dir;
  // A directory must not read as an empty (plain HTTP, no auth) config.
  auto as_dir = load_web_config(dir.path());
  ASSERT_FALSE(as_dir.ok());
  EXPECT_THAT(as_dir.error().message(), HasSubstr(dir.path()));

  test_util::write_file(dir.file("web.yml"), "tls_server_config:\n  cert_file: c.pem\n");
  auto r2 = load_web_config(dir.file("web.yml"));
  ASSERT_FALSE(r2.ok());
  EXPECT_THAT(r2.error().message(), AllOf(HasSubstr(dir.file("web.yml")), HasSubstr("key_file")));
}

TEST(HttpWebConfig, Names) {
  EXPECT_EQ(client_auth_type_name(ClientAuthType::kVerifyClientCertIfGiven), "VerifyClientCertIfGiven");
  EXPECT_EQ(tls_version_name(TlsVersion::kTls11), "TLS11");
  EXPECT_EQ(tls_version_to_openssl(TlsVersion::kTls13), TLS1_3_VERSION);
}

}  // namespace
}  // namespace ceems::http
