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

// The conformance fixture: `host` is not a key of this version and is ignored (with a
// warning; it is the one unknown key that is not an error).
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
  EXPECT_FALSE(c.timeout);
  EXPECT_EQ(c.source, "/etc/redfish.yml");
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_THAT(c.warnings[0], HasSubstr("line 4"));
  EXPECT_THAT(c.warnings[0], HasSubstr("redfish_web_config.host is not a setting and is ignored"));
  EXPECT_THAT(c.warnings[0], HasSubstr("hostname"));
  EXPECT_THAT(must_parse(kProxySample).warnings, ::testing::IsEmpty());
}

TEST(RedfishConfig, EmptyFileIsAnErrorNamingTheFile) {
  for (const char* yaml : {"", "---\n", "# only a comment\n", "~\n", "\n\n"}) {
    std::string e = parse_error(yaml);
    EXPECT_THAT(e, HasSubstr("/etc/redfish.yml")) << yaml;
    EXPECT_THAT(e, HasSubstr("the file is empty; expected a redfish_web_config section")) << yaml;
  }
  EXPECT_THAT(parse_error("{}\n"),
              HasSubstr("/etc/redfish.yml: line 1, column 1: no redfish_web_config section"));
}

TEST(RedfishConfig, ProtocolIsRequired) {
  // The reference loads these and then fails with `parse "://:0": missing protocol
  // scheme`, naming neither the file nor the key.
  for (const char* yaml :
       {"redfish_web_config:\n", "redfish_web_config: null\n", "redfish_web_config: {}\n",
        "redfish_web_config:\n  hostname: bmc\n  port: 443\n",
        "redfish_web_config:\n  protocol: ~\n  port: 443\n", "redfish_web_config:\n  protocol: ''\n"}) {
    std::string e = parse_error(yaml);
    EXPECT_THAT(e, HasSubstr("/etc/redfish.yml")) << yaml;
    EXPECT_THAT(e, HasSubstr("key redfish_web_config.protocol: required (http or https)")) << yaml;
  }
  EXPECT_THAT(
      parse_error("redfish_web_config:\n  port: 443\n  protocol: 1http\n"),
      HasSubstr("line 3, column 13: key redfish_web_config.protocol: invalid protocol scheme \"1http\""));
}

TEST(RedfishConfig, NullValuesKeepDefaults) {
  RedfishWebConfig c = must_parse(
      "redfish_web_config:\n  protocol: http\n  port:\n  insecure_skip_verify: null\n  username:\n"
      "  timeout: ~\n");
  EXPECT_EQ(c.protocol, "http");
  EXPECT_EQ(c.port, 0);
  EXPECT_FALSE(c.insecure_skip_verify);
  EXPECT_EQ(c.username, "");
  EXPECT_FALSE(c.timeout);
}

TEST(RedfishConfig, UnknownKeysAreErrorsWithFileLineAndKey) {
  // The operator's typo: the reference ignores it and silently uses Basic auth.
  std::string e = parse_error(
      "redfish_web_config:\n  protocol: https\n  hostname: bmc\n  port: 443\n  use_sesion_token: true\n");
  EXPECT_THAT(e, HasSubstr("invalid redfish web config file /etc/redfish.yml: line 5, column 3: "));
  EXPECT_THAT(e, HasSubstr("unknown key \"use_sesion_token\" in redfish_web_config"));
  EXPECT_THAT(e, HasSubstr("valid keys: protocol, hostname, port, external_url, username, password, "
                           "insecure_skip_verify, use_session_token, timeout"));

  e = parse_error("redfish_web_config:\n  protocol: https\n  nested: {a: [1, 2]}\n");
  EXPECT_THAT(e, HasSubstr("line 3, column 3: unknown key \"nested\""));

  // Another key at the top level next to the right section.
  e = parse_error("redfish_web_config:\n  protocol: https\nextra: 1\n");
  EXPECT_THAT(
      e, HasSubstr("line 3, column 1: unknown top-level key \"extra\" (the only one is redfish_web_config)"));

  EXPECT_THAT(parse_error("redfish_web_config:\n  protocol: https\n  ? [a]\n  : 1\n"),
              HasSubstr("mapping keys must be strings"));
  EXPECT_THAT(parse_error("? [a]\n: 1\n"), HasSubstr("mapping keys must be strings"));
}

TEST(RedfishConfig, ProxySectionNameIsRecognisedAsTheWrongFile) {
  std::string e = parse_error(
      "redfish_config:\n  protocol: https\n  hostname: bmc\n  port: 443\n  use_session_token: true\n");
  EXPECT_THAT(e, HasSubstr("/etc/redfish.yml: line 1, column 1: unknown top-level key \"redfish_config\""));
  EXPECT_THAT(e, HasSubstr("redfish_config is the top-level key of redfish_proxy's config file"));
}

TEST(RedfishConfig, Timeout) {
  EXPECT_EQ(must_parse("redfish_web_config: {protocol: http, timeout: 5s}").timeout, std::chrono::seconds(5));
  EXPECT_EQ(must_parse("redfish_web_config: {protocol: http, timeout: '1m30s'}").timeout,
            std::chrono::seconds(90));
  EXPECT_EQ(must_parse("redfish_web_config: {protocol: http, timeout: 250ms}").timeout,
            std::chrono::milliseconds(250));
  // Rounded up, never down to zero.
  EXPECT_EQ(must_parse("redfish_web_config: {protocol: http, timeout: 1500us}").timeout,
            std::chrono::milliseconds(2));
  EXPECT_EQ(must_parse("redfish_web_config: {protocol: http, timeout: 1h}").timeout, std::chrono::hours(1));
  EXPECT_FALSE(must_parse("redfish_web_config: {protocol: http}").timeout);

  struct Case {
    const char* value;
    const char* why;
  };
  for (const Case& c :
       {Case{"0", "must be a positive duration"}, Case{"0s", "must be a positive duration"},
        Case{"-5s", "must be a positive duration"}, Case{"+5s", "must be a positive duration"},
        Case{"5", "missing unit"}, Case{"five", "expected a duration such as 5s"},
        Case{"5 s", "expected a duration such as 5s"}, Case{"''", "empty"}, Case{"61m", "must be at most 1h"},
        Case{"[5s]", "got a sequence"}}) {
    std::string e =
        parse_error(std::string("redfish_web_config:\n  protocol: http\n  timeout: ") + c.value + "\n");
    EXPECT_THAT(e, HasSubstr("/etc/redfish.yml: line 3, column 12: key redfish_web_config.timeout: "))
        << c.value;
    EXPECT_THAT(e, HasSubstr(c.why)) << c.value;
  }
}

TEST(RedfishConfig, ScalarsAreTakenVerbatimForStrings) {
  RedfishWebConfig c = must_parse(
      "redfish_web_config:\n  protocol: http\n  hostname: 10.0.0.1\n  username: 1234\n  password: true\n");
  EXPECT_EQ(c.hostname, "10.0.0.1");
  EXPECT_EQ(c.username, "1234");
  EXPECT_EQ(c.password, "true");
}

TEST(RedfishConfig, IntegerSyntax) {
  EXPECT_EQ(must_parse("redfish_web_config: {protocol: http, port: 0x1BB}").port, 443);
  EXPECT_EQ(must_parse("redfish_web_config: {protocol: http, port: 5_000}").port, 5000);
  EXPECT_EQ(must_parse("redfish_web_config: {protocol: http, port: +80}").port, 80);
  EXPECT_EQ(must_parse("redfish_web_config: {protocol: http, port: 0}").port, 0);
  EXPECT_EQ(must_parse("redfish_web_config: {protocol: http, port: 65535}").port, 65535);
  EXPECT_THAT(parse_error("redfish_web_config:\n  protocol: http\n  port: -1\n"),
              HasSubstr("line 3, column 9: key redfish_web_config.port: port -1 outside 0..65535"));
  EXPECT_THAT(parse_error("redfish_web_config: {protocol: http, port: 65536}"),
              HasSubstr("outside 0..65535"));
}

TEST(RedfishConfig, BooleanSyntax) {
  auto flag = [](const std::string& v) {
    return must_parse("redfish_web_config: {protocol: http, use_session_token: " + v + "}").use_session_token;
  };
  EXPECT_TRUE(flag("True"));
  EXPECT_TRUE(flag("yes"));
  EXPECT_TRUE(flag("ON"));
  EXPECT_FALSE(flag("off"));
  EXPECT_FALSE(flag("FALSE"));
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
  const Filesystem& fs = real_filesystem();
  auto c = load_redfish_web_config(fs, dir.path("redfish.yml"));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->external_url, "http://mgmt-0:5000");
  EXPECT_EQ(c->source, dir.path("redfish.yml"));

  auto rel = load_redfish_web_config(fs, std::filesystem::relative(dir.path("redfish.yml")).string());
  ASSERT_TRUE(rel.ok()) << rel.error().message();
  EXPECT_EQ(rel->port, 5000);
}

TEST(RedfishConfig, LoadErrorsNameTheFile) {
  const Filesystem& fs = real_filesystem();
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

  dir.write("empty.yml", "");
  auto e = load_redfish_web_config(fs, dir.path("empty.yml"));
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.error().message(), HasSubstr(dir.path("empty.yml") + ": the file is empty"));
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
