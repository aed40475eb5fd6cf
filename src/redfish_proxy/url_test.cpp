#include "redfish_proxy/url.h"

#include <gtest/gtest.h>

namespace ceems::redfish_proxy {
namespace {

TEST(RedfishProxyParseUrl, SplitsAbsoluteUrl) {
  auto u = parse_url("HTTPS://admin:pw@BMC-1.example:8443/base/path?x=1&y=2#frag");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->userinfo, "admin:pw");
  EXPECT_EQ(u->host, "BMC-1.example:8443");
  EXPECT_EQ(u->path, "/base/path");
  EXPECT_EQ(u->query, "x=1&y=2");
  EXPECT_FALSE(u->opaque);
}

TEST(RedfishProxyParseUrl, SchemeWithoutSlashesIsOpaque) {
  // Both parse (as in the reference) but have no host.
  auto a = parse_url("localhost:5000");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->scheme, "localhost");
  EXPECT_TRUE(a->opaque);
  EXPECT_TRUE(a->host.empty());
  auto b = parse_url("http:172.134.1.1:80");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->host.empty());
}

TEST(RedfishProxyParseUrl, Ipv6Literal) {
  auto u = parse_url("http://[fe80::1]:8000/redfish");
  ASSERT_TRUE(u.ok()) << u.error().message();
  EXPECT_EQ(u->host, "[fe80::1]:8000");
  EXPECT_EQ(u->path, "/redfish");
}

TEST(RedfishProxyParseUrl, RejectsWhatNetUrlRejects) {
  for (const char* bad : {"192.168.1.1:80", ":foo", "http://host:port/", "http://a b/", "http://bmc/%zz",
                          "http://ho{st/", "http://[::1/", "http://bmc/\x01", "http://bmc\x7f/"}) {
    EXPECT_FALSE(parse_url(bad).ok()) << bad;
  }
}

TEST(RedfishProxyParseUrl, AcceptsRelativeReferences) {
  auto u = parse_url("/redfish/v1?$expand=.");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->path, "/redfish/v1");
  EXPECT_EQ(u->query, "$expand=.");
  EXPECT_TRUE(parse_url("").ok());
}

TEST(RedfishProxyMakeTarget, AcceptsHttpAndHttpsWithHost) {
  auto t = make_target("https://172.21.4.1");
  ASSERT_TRUE(t.ok()) << t.error().message();
  EXPECT_EQ(t->scheme, "https");
  EXPECT_EQ(t->host, "172.21.4.1");
  EXPECT_EQ(t->path, "");
  EXPECT_EQ(t->display(), "https://172.21.4.1");
  EXPECT_TRUE(make_target("http://172.134.1.1:80").ok());
  EXPECT_TRUE(make_target("http://[::1]:5000/").ok());
  EXPECT_TRUE(make_target("http://node-1_bmc.cluster:5000/prefix?a=b").ok());
}

TEST(RedfishProxyMakeTarget, RejectsUnusableTargets) {
  for (const char* bad :
       {"", "localhost:5000", "http:172.134.1.1:80", "ftp://bmc/", "file:///etc/passwd", "http://",
        "http:///redfish", "http://bmc:0/", "http://bmc:65536/", "http://bmc:80:80/", "http://[]:80/",
        "http://[zz::1]/", "http://b!mc/", "gopher://bmc:70/", "//bmc/redfish"}) {
    EXPECT_FALSE(make_target(bad).ok()) << bad;
  }
  EXPECT_FALSE(make_target("http://bmc/" + std::string(3000, 'a')).ok());
}

TEST(RedfishProxyMakeTarget, KeyNormalisesEquivalentSpellings) {
  auto key = [](const char* s) { return make_target(s)->key; };
  EXPECT_EQ(key("https://BMC.example:443/"), key("https://bmc.example"));
  EXPECT_EQ(key("http://bmc:80"), key("HTTP://bmc/"));
  EXPECT_EQ(key("http://bmc:0080"), key("http://bmc"));
  EXPECT_NE(key("http://bmc:8080"), key("http://bmc"));
  EXPECT_NE(key("https://bmc"), key("http://bmc"));
  EXPECT_NE(key("http://bmc/a"), key("http://bmc/b"));
  EXPECT_EQ(key("http://user:pw@bmc"), key("http://bmc"));
}

TEST(RedfishProxyMakeTarget, DropsUserInfo) {
  auto t = make_target("https://root:secret@bmc:443/x");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->host, "bmc:443");
  EXPECT_EQ(t->display().find("secret"), std::string::npos);
}

TEST(RedfishProxyRedactUrl, CutsCredentials) {
  EXPECT_EQ(redact_url("https://root:secret@bmc/redfish"), "https://REDACTED@bmc/redfish");
  EXPECT_EQ(redact_url("http://bmc/a@b"), "http://bmc/a@b");
  EXPECT_EQ(redact_url("localhost:5000"), "localhost:5000");
  EXPECT_EQ(redact_url("http://u:p@h"), "http://REDACTED@h");
}

}  // namespace
}  // namespace ceems::redfish_proxy
