#include "http/client_url.h"

#include <gtest/gtest.h>

namespace ceems::http {
namespace {

ClientUrl parse_ok(std::string_view s) {
  auto u = parse_client_url(s);
  EXPECT_TRUE(u.ok()) << s << ": " << (u.ok() ? "" : u.error().message());
  return u.ok() ? *u : ClientUrl{};
}

TEST(ClientUrl, SplitsSchemeHostPortTarget) {
  auto u = parse_ok("HTTPS://bmc-1.example.org:8443/redfish/v1/Chassis?$expand=.#frag");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "bmc-1.example.org");
  EXPECT_EQ(u.port, 8443);
  EXPECT_TRUE(u.explicit_port);
  EXPECT_EQ(u.target, "/redfish/v1/Chassis?$expand=.");
  EXPECT_EQ(u.authority(), "bmc-1.example.org:8443");
  EXPECT_EQ(u.redacted(), "https://bmc-1.example.org:8443/redfish/v1/Chassis?$expand=.");
}

TEST(ClientUrl, DefaultsPortAndPath) {
  auto u = parse_ok("http://10.0.0.1");
  EXPECT_EQ(u.port, 80);
  EXPECT_FALSE(u.explicit_port);
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(u.authority(), "10.0.0.1");
  EXPECT_EQ(u.endpoint(), "10.0.0.1:80");
  EXPECT_EQ(parse_ok("https://h").port, 443);
  EXPECT_EQ(parse_ok("http://h?x=1").target, "/?x=1");
}

TEST(ClientUrl, Ipv6LiteralsKeepTheirBracketsOnlyOnTheWire) {
  auto u = parse_ok("http://[fd00::5]:9000/x");
  EXPECT_EQ(u.host, "fd00::5");
  EXPECT_TRUE(u.ipv6_literal());
  EXPECT_EQ(u.authority(), "[fd00::5]:9000");
  EXPECT_EQ(parse_ok("https://[::1]/").authority(), "[::1]");
}

TEST(ClientUrl, UserInformationIsKeptButNeverShown) {
  auto u = parse_ok("https://admin:s3cr%40t@bmc/redfish");
  EXPECT_EQ(u.userinfo, "admin:s3cr%40t");
  EXPECT_EQ(u.host, "bmc");
  EXPECT_EQ(u.redacted().find("s3cr"), std::string::npos);
  auto bad = parse_client_url("https://admin:s3cret@bmc:99999/");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message().find("s3cret"), std::string::npos) << bad.error().message();
  EXPECT_NE(bad.error().message().find("99999"), std::string::npos);
}

TEST(ClientUrl, RejectsWhatIsNotAnHttpUrl) {
  for (const char* s : {"file:///etc/passwd", "gopher://h/", "bmc:443", "//h/x", "http:/h", "http://",
                        "http://:80/", "http://h:0/", "http://h:x/", "http://[::1/", "http://[h]/",
                        "http://h/a b", "http://h/\r\nX: y", "http://h\x7f/"}) {
    auto u = parse_client_url(s);
    EXPECT_FALSE(u.ok()) << s;
    if (!u.ok()) {
      EXPECT_EQ(u.error().kind(), ErrorKind::kInvalid) << s;
    }
  }
  auto u = parse_client_url("file:///etc/passwd");
  EXPECT_NE(u.error().message().find("unsupported protocol scheme \"file\""), std::string::npos)
      << u.error().message();
}

TEST(ClientUrl, LocationsResolveAgainstTheAnsweringUrl) {
  auto base = parse_ok("https://u:p@bmc:8443/redfish/v1/Sessions/new?x=1");
  auto at = [&](std::string_view loc) {
    auto r = resolve_location(base, loc);
    EXPECT_TRUE(r.ok()) << loc;
    return r.ok() ? r->redacted() : std::string();
  };
  EXPECT_EQ(at("/redfish/v1/Sessions/1"), "https://bmc:8443/redfish/v1/Sessions/1");
  EXPECT_EQ(at("1"), "https://bmc:8443/redfish/v1/Sessions/1");
  EXPECT_EQ(at("../Chassis/1?y=2#f"), "https://bmc:8443/redfish/v1/Chassis/1?y=2");
  EXPECT_EQ(at("./../../../../x"), "https://bmc:8443/x");
  EXPECT_EQ(at("?z=3"), "https://bmc:8443/redfish/v1/Sessions/new?z=3");
  EXPECT_EQ(at("//other.example:80/a"), "https://other.example:80/a");
  EXPECT_EQ(at("http://other.example/b/"), "http://other.example/b/");
  EXPECT_EQ(at("/a/b/.."), "https://bmc:8443/a/");
  EXPECT_TRUE(resolve_location(base, "/x")->userinfo.empty()) << "credentials do not follow a redirect";
  EXPECT_FALSE(resolve_location(base, "").ok());
  EXPECT_FALSE(resolve_location(base, "ftp://h/").ok());
  EXPECT_FALSE(resolve_location(base, "/a\r\nb").ok());
}

}  // namespace
}  // namespace ceems::http
