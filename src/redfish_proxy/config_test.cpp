#include "redfish_proxy/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ceems::redfish_proxy {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(RedfishProxyProxyConfig, SpecExample) {
  auto cfg = parse_proxy_config(R"(
redfish_config:
  web:
    insecure_skip_verify: true
  targets:
    - host_ip_addrs:
        - 10.100.4.1
        - 10.100.4.2
      url: https://172.21.4.1
    - host_ip_addrs: [10.100.4.3]
      url: http://172.21.4.3:8000/
)",
                                "cfg.yml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_TRUE(cfg->insecure_skip_verify);
  ASSERT_EQ(cfg->targets.size(), 2u);
  EXPECT_EQ(cfg->targets[0].host_ip_addrs, (std::vector<std::string>{"10.100.4.1", "10.100.4.2"}));
  EXPECT_EQ(cfg->targets[0].url, "https://172.21.4.1");
  EXPECT_EQ(cfg->targets[1].url, "http://172.21.4.3:8000/");
}

TEST(RedfishProxyProxyConfig, PackagedDefaultAndEmptySections) {
  for (const char* text :
       {"redfish_config:\n", "redfish_config:\n  web:\n", "redfish_config:\n  targets: ~\n",
        "---\n# default\nredfish_config:\n  web:\n    insecure_skip_verify: false\n"}) {
    auto cfg = parse_proxy_config(text, "cfg.yml");
    ASSERT_TRUE(cfg.ok()) << text << ": " << cfg.error().message();
    EXPECT_FALSE(cfg->insecure_skip_verify);
    EXPECT_TRUE(cfg->targets.empty());
    EXPECT_FALSE(cfg->trusted_proxies);
  }
}

TEST(RedfishProxyProxyConfig, EmptyFileOrMissingSectionIsAnError) {
  // --config.file is optional; a file that is given but empty is a mistake.
  for (const char* text : {"", "---\n", "# nothing\n", "~\n"}) {
    auto cfg = parse_proxy_config(text, "/etc/redfish_proxy/config.yml");
    ASSERT_FALSE(cfg.ok()) << text;
    EXPECT_EQ(cfg.error().message(),
              "/etc/redfish_proxy/config.yml: the file is empty; expected a redfish_config section");
  }
  auto cfg = parse_proxy_config("{}\n", "c.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.error().message(), "c.yml: (top level): no redfish_config section (line 1)");
}

TEST(RedfishProxyProxyConfig, UnknownKeysAreErrorsWithFileLineAndKey) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  for (const Case& c : {
           // The operator's typo: the reference silently keeps verification on.
           Case{
               "redfish_config:\n  web:\n    insecure_skip_verfy: true\n",
               "f.yml: redfish_config.web: unknown key \"insecure_skip_verfy\" (valid: insecure_skip_verify, "
               "trusted_proxies, allowed_hosts) (line 3)"},
           Case{"redfish_config:\n  extra: [1, 2]\n",
                "f.yml: redfish_config: unknown key \"extra\" (valid: web, targets) (line 2)"},
           Case{"redfish_config:\n  targets:\n    - host_ip_addrs: [1.2.3.4]\n      url: http://bmc\n"
                "      comment: rack 4\n",
                "f.yml: redfish_config.targets[0]: unknown key \"comment\" (valid: host_ip_addrs, url) (line "
                "5)"},
           Case{"other: 1\nredfish_config:\n",
                "f.yml: (top level): unknown key \"other\" (valid: redfish_config) (line 1)"},
           Case{"redfish_web_config:\n  protocol: https\n",
                "f.yml: (top level): unknown key \"redfish_web_config\" (valid: redfish_config); "
                "redfish_web_config "
                "is the top-level key of the exporter's redfish collector config (line 1)"},
           Case{"redfish_config:\n  web: {}\n  web: {}\n",
                "f.yml: redfish_config.web: mapping key defined more than once (line 3)"},
           Case{"redfish_config:\n  ? [web]\n  : 1\n",
                "f.yml: redfish_config: mapping keys must be strings (line 2)"},
       }) {
    auto cfg = parse_proxy_config(c.yaml, "f.yml");
    ASSERT_FALSE(cfg.ok()) << c.yaml;
    EXPECT_EQ(cfg.error().message(), c.message) << c.yaml;
  }
}

TEST(RedfishProxyProxyConfig, EveryKey) {
  auto cfg = parse_proxy_config(R"(
redfish_config:
  web:
    insecure_skip_verify: yes
    trusted_proxies: [10.0.0.1]
    allowed_hosts: [172.21.0.0/16]
  targets:
    - host_ip_addrs: [1.2.3.4]
      url: http://172.21.4.1
)",
                                "cfg.yml");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_TRUE(cfg->insecure_skip_verify);
  ASSERT_TRUE(cfg->trusted_proxies);
  EXPECT_EQ(*cfg->trusted_proxies, std::vector<std::string>{"10.0.0.1"});
  EXPECT_EQ(cfg->allowed_hosts, std::vector<std::string>{"172.21.0.0/16"});
  ASSERT_EQ(cfg->targets.size(), 1u);
  EXPECT_EQ(cfg->targets[0].host_ip_addrs, std::vector<std::string>{"1.2.3.4"});
}

TEST(RedfishProxyProxyConfig, InvalidUrlIsRejectedWithTheReferenceMessage) {
  auto cfg = parse_proxy_config(R"(
redfish_config:
  targets:
    - host_ip_addrs: [192.168.1.1]
      url: http://172.134.1.1:80
    - host_ip_addrs: [192.168.1.2]
      url: http:172.134.1.1:80
)",
                                "/etc/redfish_proxy/config.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error().message(),
              AllOf(StartsWith("/etc/redfish_proxy/config.yml: "), HasSubstr("redfish_config.targets[1].url"),
                    HasSubstr("invalid url string: http:172.134.1.1:80"), HasSubstr("line 7")));
}

TEST(RedfishProxyProxyConfig, MissingUrlIsRejected) {
  auto cfg = parse_proxy_config("redfish_config:\n  targets:\n    - host_ip_addrs: [1.1.1.1]\n", "c.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error().message(),
              AllOf(HasSubstr("redfish_config.targets[0].url"), HasSubstr("invalid url")));
}

TEST(RedfishProxyProxyConfig, CredentialsInUrlsStayOutOfErrors) {
  auto cfg = parse_proxy_config("redfish_config:\n  targets:\n    - url: ftp://root:hunter2@bmc\n", "c.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error().message(), ::testing::Not(HasSubstr("hunter2")));
}

TEST(RedfishProxyProxyConfig, WrongTypesNameTheKey) {
  struct Case {
    const char* yaml;
    const char* key;
  };
  for (const Case& c : {
           Case{"redfish_config:\n  web:\n    insecure_skip_verify: maybe\n",
                "redfish_config.web.insecure_skip_verify"},
           Case{"redfish_config:\n  web:\n    insecure_skip_verify: [true]\n",
                "redfish_config.web.insecure_skip_verify"},
           Case{"redfish_config:\n  web: [1]\n", "redfish_config.web"},
           Case{"redfish_config: 3\n", "redfish_config"},
           Case{"redfish_config:\n  targets: {a: 1}\n", "redfish_config.targets"},
           Case{"redfish_config:\n  targets:\n    - host_ip_addrs: 1.2.3.4\n      url: http://b\n",
                "redfish_config.targets[0].host_ip_addrs"},
           Case{"redfish_config:\n  targets:\n    - host_ip_addrs: [[1]]\n      url: http://b\n",
                "redfish_config.targets[0].host_ip_addrs[0]"},
           Case{"redfish_config:\n  targets:\n    - url: {a: b}\n", "redfish_config.targets[0].url"},
           Case{"redfish_config:\n  targets:\n    - just a string\n", "redfish_config.targets[0]"},
           Case{"- a\n- b\n", "(top level)"},
       }) {
    auto cfg = parse_proxy_config(c.yaml, "f.yml");
    ASSERT_FALSE(cfg.ok()) << c.yaml;
    EXPECT_THAT(cfg.error().message(), AllOf(StartsWith("f.yml: "), HasSubstr(c.key))) << c.yaml;
  }
}

TEST(RedfishProxyProxyConfig, MalformedYamlNamesFileAndPosition) {
  auto cfg = parse_proxy_config("redfish_config:\n  web: {insecure_skip_verify: true\n", "bad.yml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_THAT(cfg.error().message(), AllOf(StartsWith("bad.yml: invalid YAML"), HasSubstr("line")));
}

TEST(RedfishProxyProxyConfig, LoadReadsFileAndReportsMissingOnes) {
  std::string dir = (std::filesystem::temp_directory_path() / "rfp_cfg.XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/config.yml";
  std::ofstream(path) << "redfish_config:\n  web:\n    insecure_skip_verify: true\n";
  auto cfg = load_proxy_config(path);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message();
  EXPECT_TRUE(cfg->insecure_skip_verify);

  auto missing = load_proxy_config(dir + "/nope.yml");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message(), HasSubstr("nope.yml"));
  auto directory = load_proxy_config(dir);
  EXPECT_FALSE(directory.ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ceems::redfish_proxy
