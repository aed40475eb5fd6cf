#include "redfish/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/testing/test_support.h"

namespace ceems::redfish {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The first sample file of the exporter documentation, comments included.
constexpr const char* kDocumentedSample = R"(---
redfish_web_config:
  # Protocol of Redfish API server. Possible values are http, https
  #
  protocol: https

  # Hostname of the Redfish API server. The hostname can accept
  # a `{hostname}` placeholder which will be replaced by the current hostname
  # at runtime.
  #
  hostname: compute-0-bmc

  # Port to which Redfish API server binds to.
  #
  port: 443

  # External URL at which all Redfish API servers of the cluster are reachable.
  #
  external_url: http://redfish-proxy:5000

  # Username that has enough privileges to query for chassis power data.
  #
  username: admin

  # Password corresponding to the username provided above.
  #
  password: supersecret

  # If TLS is enabled on Redfish server or Redfish Proxy server
  # with self signed certificates, set it to true to skip TLS
  # certificate verification.
  #
  insecure_skip_verify: true

  # If this is set to `true`, a session token will be request with provided username
  # and password once and all the subsequent requests will use that token for auth.
  #
  use_session_token: true
)";

// The second sample: the collector behind redfish_proxy.
constexpr const char* kProxySample = R"(redfish_web_config:
  # Redfish API server config
  protocol: http
  hostname: '{hostname}-bmc'
  port: 5000
  # Redfish proxy is running on mgmt-0 at port 5000
  external_url: http://mgmt-0:5000
  # Redfish proxy will pass these credentials transparently
  # to the target Redfish API server
  username: admin
  password: supersecret
  insecure_skip_verify: true
  use_session_token: true
)";

// The conformance fixture: `host` is not a key of this version and is ignored.
constexpr const char* kFixture = R"(---
redfish_web_config:
  protocol: http
  host: localhost
  port: 5000
  use_session_token: true
)";

RedfishWebConfig must_parse(std::string_view yaml) {
  auto r = parse_redfish_web_config(yaml, "/etc/redfish.yml");
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : RedfishWebConfig{};
}

std::string parse_error(std::string_view yaml) {
  auto r = parse_redfish_web_config(yaml, "/etc/redfish.yml");
  EXPECT_FALSE(r.ok());
  return r.ok() ? std::string() : r.error().message();
}

TEST(RedfishConfig, DocumentedSample) {
  RedfishWebConfig c = must_parse(kDocumentedSample);
  EXPECT_EQ(c.protocol, "https");
  EXPECT_EQ(c.hostname, "compute-0-bmc");
  EXPECT_EQ(c.port, 443);
  EXPECT_EQ(c.external_url, "http://redfish-proxy:5000");
  EXPECT_EQ(c.username, "admin");
  EXPECT_EQ(c.password, "supersecret");
  EXPECT_TRUE(c.insecure_skip_verify);
  EXPECT_TRUE(c.use_session_token);
}

TEST(RedfishConfig, ProxySample) {
  RedfishWebConfig c = must_parse(kProxySample);
  EXPECT_EQ(c.protocol, "http");
  EXPECT_EQ(c.hostname, "{hostname}-bmc");
  EXPECT_EQ(c.port, 5000);
  EXPECT_EQ(c.external_url, "http://mgmt-0:5000");
  EXPECT_EQ(c.username, "admin");
  EXPECT_EQ(c.password, "supersecret");
  EXPECT_TRUE(c.insecure_skip_verify);
  EXPECT_TRUE(c.use_session_token);
}

TEST(RedfishConfig, ConformanceFixtureIgnoresHostKey) {
  RedfishWebConfig c = must_parse(kFixture);
  EXPECT_EQ(c.protocol, "http");
  EXPECT_EQ(c.hostname, "");
  EXPECT_EQ(c.port, 5000);
  EXPECT_TRUE(c.use_session_token);
  EXPECT_FALSE(c.insecure_skip_verify);
  EXPECT_EQ(c.username, "");
}

TEST(RedfishConfig, EmptyDocumentsGiveDefaults) {
  for (const char* yaml : {"", "---\n", "# only a comment\n", "~\n", "other: 1\n", "redfish_web_config:\n",
                           "redfish_web_config: null\n"}) {
    RedfishWebConfig c = must_parse(yaml);
    EXPECT_EQ(c.protocol, "") << yaml;
    EXPECT_EQ(c.port, 0) << yaml;
    EXPECT_FALSE(c.use_session_token) << yaml;
  }
}

TEST(RedfishConfig, NullValuesKeepDefaults) {
  RedfishWebConfig c =
      must_parse("redfish_web_config:\n  protocol: ~\n  port:\n  insecure_skip_verify: null\n  username:\n");
  EXPECT_EQ(c.protocol, "");
  EXPECT_EQ(c.port, 0);
  EXPECT_FALSE(c.insecure_skip_verify);
  EXPECT_EQ(c.username, "");
}

TEST(RedfishConfig, UnknownKeysIgnored) {
  RedfishWebConfig c = must_parse(
      "redfish_web_config:\n  protocol: https\n  timeout: 10s\n  nested: {a: [1, 2]}\n  port: 8443\n"
      "redfish_config:\n  web: {insecure_skip_verify: true}\n");
  EXPECT_EQ(c.protocol, "https");
  EXPECT_EQ(c.port, 8443);
  EXPECT_FALSE(c.insecure_skip_verify);
}

TEST(RedfishConfig, ScalarsAreTakenVerbatimForStrings) {
  RedfishWebConfig c =
      must_parse("redfish_web_config:\n  hostname: 10.0.0.1\n  username: 1234\n  password: true\n");
  EXPECT_EQ(c.hostname, "10.0.0.1");
  EXPECT_EQ(c.username, "1234");
  EXPECT_EQ(c.password, "true");
}

TEST(RedfishConfig, IntegerSyntax) {
  EXPECT_EQ(must_parse("redfish_web_config: {port: 0x1BB}").port, 443);
  EXPECT_EQ(must_parse("redfish_web_config: {port: 5_000}").port, 5000);
  EXPECT_EQ(must_parse("redfish_web_config: {port: +80}").port, 80);
  EXPECT_EQ(must_parse("redfish_web_config: {port: 0}").port, 0);
  EXPECT_EQ(must_parse("redfish_web_config: {port: -1}").port, -1);
}

TEST(RedfishConfig, BooleanSyntax) {
  EXPECT_TRUE(must_parse("redfish_web_config: {use_session_token: True}").use_session_token);
  EXPECT_TRUE(must_parse("redfish_web_config: {use_session_token: yes}").use_session_token);
  EXPECT_TRUE(must_parse("redfish_web_config: {use_session_token: ON}").use_session_token);
  EXPECT_FALSE(must_parse("redfish_web_config: {use_session_token: off}").use_session_token);
  EXPECT_FALSE(must_parse("redfish_web_config: {use_session_token: FALSE}").use_session_token);
}

TEST(RedfishConfig, TypeMismatchNamesFileKeyAndValue) {
  std::string e = parse_error("redfish_web_config:\n  protocol: http\n  port: abc\n");
  EXPECT_THAT(e, HasSubstr("/etc/redfish.yml"));
  EXPECT_THAT(e, HasSubstr("redfish_web_config.port"));
  EXPECT_THAT(e, HasSubstr("\"abc\""));
  EXPECT_THAT(e, HasSubstr("line 3"));

  EXPECT_THAT(parse_error("redfish_web_config: {port: \"443\"}"), HasSubstr("expected an integer"));
  EXPECT_THAT(parse_error("redfish_web_config: {port: 44.3}"), HasSubstr("redfish_web_config.port"));
  EXPECT_THAT(parse_error("redfish_web_config: {port: 99999999999999999999}"), HasSubstr("port"));
  EXPECT_THAT(parse_error("redfish_web_config: {port: [443]}"), HasSubstr("got a sequence"));
  EXPECT_THAT(parse_error("redfish_web_config: {insecure_skip_verify: maybe}"),
              HasSubstr("redfish_web_config.insecure_skip_verify: expected a boolean"));
  EXPECT_THAT(parse_error("redfish_web_config: {use_session_token: 'true'}"),
              HasSubstr("redfish_web_config.use_session_token"));
  EXPECT_THAT(parse_error("redfish_web_config: {hostname: {a: b}}"),
              HasSubstr("redfish_web_config.hostname: expected a string, got a mapping"));
}

TEST(RedfishConfig, StructureErrors) {
  EXPECT_THAT(parse_error("- a\n- b\n"), HasSubstr("top level"));
  EXPECT_THAT(parse_error("just text\n"), HasSubstr("top level"));
  EXPECT_THAT(parse_error("redfish_web_config: 5\n"), HasSubstr("redfish_web_config: expected a mapping"));
  EXPECT_THAT(parse_error("redfish_web_config: [a]\n"), HasSubstr("got a sequence"));
  EXPECT_THAT(parse_error("redfish_web_config:\n  port: 1\n  port: 2\n"), HasSubstr("more than once"));
  EXPECT_THAT(parse_error("redfish_web_config: {}\nredfish_web_config: {}\n"), HasSubstr("more than once"));
  EXPECT_THAT(parse_error("redfish_web_config:\n  protocol: [http\n"), HasSubstr("/etc/redfish.yml"));
  EXPECT_THAT(parse_error("\tredfish_web_config: {}\n"), HasSubstr("/etc/redfish.yml"));
}

TEST(RedfishConfig, PasswordNeverInErrors) {
  for (const char* yaml : {"redfish_web_config:\n  password: [supersecret]\n",
                           "redfish_web_config:\n  password: {supersecret: 1}\n",
                           "redfish_web_config:\n  password: supersecret\n  port: [\n",
                           "redfish_web_config:\n  password: 'supersecret'x'\n",
                           "redfish_web_config:\n  password: supersecret\n  password: supersecret\n",
                           "redfish_web_config:\n  username: [supersecret]\n",
                           "redfish_web_config:\n  external_url: {http://u:supersecret@x: 1}\n"}) {
    std::string e = parse_error(yaml);
    EXPECT_THAT(e, Not(HasSubstr("supersecret"))) << yaml;
  }
}

TEST(RedfishConfig, LoadFromFile) {
  test_support::TempTree dir("redfish_config");
  dir.write("redfish.yml", kProxySample, 0600);
  Filesystem fs;
  auto c = load_redfish_web_config(fs, dir.path("redfish.yml"));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->external_url, "http://mgmt-0:5000");

  auto rel = load_redfish_web_config(fs, std::filesystem::relative(dir.path("redfish.yml")).string());
  ASSERT_TRUE(rel.ok()) << rel.error().message();
  EXPECT_EQ(rel->port, 5000);
}

TEST(RedfishConfig, LoadErrors) {
  Filesystem fs;
  auto missing = load_redfish_web_config(fs, "/nonexistent/redfish.yml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message(), HasSubstr("/nonexistent/redfish.yml"));

  // An empty flag cannot start the collector; the error names the flag.
  auto empty = load_redfish_web_config(fs, "");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message(), HasSubstr("--collector.redfish.web-config is required"));

  test_support::TempTree dir("redfish_config");
  dir.write("bad.yml", "redfish_web_config:\n  port: abc\n");
  auto r = load_redfish_web_config(fs, dir.path("bad.yml"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message(), HasSubstr(dir.path("bad.yml")));
}

TEST(RedfishUrl, ExpandHostname) {
  EXPECT_EQ(expand_hostname("{hostname}-bmc", "node1"), "node1-bmc");
  EXPECT_EQ(expand_hostname("{hostname}.{hostname}", "n"), "n.n");
  EXPECT_EQ(expand_hostname("bmc", "node1"), "bmc");
  EXPECT_EQ(expand_hostname("{hostname}-bmc", ""), "-bmc");
  EXPECT_EQ(expand_hostname("{host}", "node1"), "{host}");
}

TEST(RedfishUrl, Build) {
  EXPECT_EQ(*build_bmc_url("https", "compute-0-bmc", 443), "https://compute-0-bmc:443");
  EXPECT_EQ(*build_bmc_url("http", "", 5000), "http://:5000");
  EXPECT_EQ(*build_bmc_url("HTTPS", "bmc", 0), "https://bmc:0");
  EXPECT_EQ(*build_bmc_url("https", "node1-bmc.example.org.", 443), "https://node1-bmc.example.org.:443");
  EXPECT_EQ(*build_bmc_url("https", "fe80::1", 443), "https://[fe80::1]:443");
  EXPECT_EQ(*build_bmc_url("https", "[fe80::1]", 443), "https://[fe80::1]:443");

  auto empty = build_bmc_url("", "bmc", 443);
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error().message(), HasSubstr("invalid redfish web config"));
  EXPECT_THAT(empty.error().message(), HasSubstr("missing protocol scheme"));
  EXPECT_FALSE(build_bmc_url("1http", "bmc", 443).ok());
  EXPECT_FALSE(build_bmc_url("http", "bad host", 443).ok());
  EXPECT_FALSE(build_bmc_url("http", "a/b", 443).ok());
  EXPECT_FALSE(build_bmc_url("http", "bmc", -1).ok());
  EXPECT_FALSE(build_bmc_url("http", "bmc", 65536).ok());
}

TEST(RedfishUrl, DialableAndRedacted) {
  EXPECT_EQ(dialable_url("http://:5000"), "http://localhost:5000");
  EXPECT_EQ(dialable_url("http://:5000/redfish/v1/"), "http://localhost:5000/redfish/v1/");
  EXPECT_EQ(dialable_url("https://"), "https://localhost");
  EXPECT_EQ(dialable_url("http://bmc:1/x"), "http://bmc:1/x");
  EXPECT_EQ(dialable_url("nonsense"), "nonsense");

  EXPECT_EQ(redact_url("http://user:pw@proxy:5000/x@y"), "http://<redacted>@proxy:5000/x@y");
  EXPECT_EQ(redact_url("http://proxy:5000"), "http://proxy:5000");
  EXPECT_EQ(redact_url("proxy@x"), "proxy@x");
}

}  // namespace
}  // namespace ceems::redfish
