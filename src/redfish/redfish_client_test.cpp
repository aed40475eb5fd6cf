#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>

#include "redfish/redfish.h"
#include "redfish/testing/fake_bmc.h"

namespace ceems::redfish {
namespace {

using testing::FakeBmc;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string error_of(const Status& s) { return s.ok() ? std::string() : s.error().message(); }
template <typename T>
std::string error_of(const Result<T>& r) {
  return r.ok() ? std::string() : r.error().message();
}

// ---- client against the in-memory BMC ----

class RedfishClientTest : public ::testing::Test {
 protected:
  std::unique_ptr<RedfishClient> client(bool session, std::string endpoint = "https://bmc:443") {
    ClientOptions o;
    o.bmc_url = "https://bmc:443";
    o.endpoint = std::move(endpoint);
    o.username = "admin";
    o.password = "secret";
    o.use_session_token = session;
    o.insecure_skip_verify = true;
    o.request_timeout = std::chrono::milliseconds(700);
    return std::make_unique<RedfishClient>(bmc, o, log::Logger("test", "redfish"));
  }
  static Deadline soon() { return Deadline::after(std::chrono::seconds(5)); }

  std::shared_ptr<FakeBmc> bmc = std::make_shared<FakeBmc>("https://bmc:443");
};

TEST_F(RedfishClientTest, SessionLoginAndTokenUse) {
  auto c = client(true);
  ASSERT_TRUE(c->connect(soon()).ok());
  EXPECT_TRUE(c->connected());
  EXPECT_TRUE(c->has_session());
  EXPECT_EQ(c->session_token(), "token1");
  ASSERT_EQ(bmc->requests.size(), 2u);
  const auto& login = bmc->requests[1];
  EXPECT_EQ(login.method, "POST");
  EXPECT_EQ(login.url, "https://bmc:443/redfish/v1/SessionService/Sessions");
  EXPECT_EQ(login.body, R"({"UserName":"admin","Password":"secret"})");
  EXPECT_EQ(login.headers.count("X-Auth-Token"), 0u);
  EXPECT_EQ(login.headers.count("Authorization"), 0u);

  auto listing = c->list_chassis(soon());
  ASSERT_FALSE(listing.error) << listing.error->message();
  ASSERT_EQ(listing.chassis.size(), 1u);
  EXPECT_EQ(listing.chassis[0].id, "Chassis-1");
  auto power = c->get_power(listing.chassis[0].power, soon());
  ASSERT_TRUE(power.ok()) << power.error().message();
  EXPECT_EQ(sum_power(*power).current, 397);
  for (size_t i = 2; i < bmc->requests.size(); ++i) {
    const auto& r = bmc->requests[i];
    ASSERT_EQ(r.headers.count("X-Auth-Token"), 1u) << r.url;
    EXPECT_EQ(r.headers.find("X-Auth-Token")->second, "token1");
    EXPECT_EQ(r.headers.count("Authorization"), 0u);
  }
}

TEST_F(RedfishClientTest, FixedHeadersAndLimitsOnEveryRequest) {
  auto c = client(true);
  ASSERT_TRUE(c->connect(soon()).ok());
  (void)c->list_chassis(soon());
  c->logout(soon());
  ASSERT_GE(bmc->requests.size(), 5u);
  for (const auto& r : bmc->requests) {
    EXPECT_EQ(r.headers.find("User-Agent")->second, "gofish/1.0") << r.url;
    EXPECT_EQ(r.headers.find("Accept")->second, "application/json");
    EXPECT_EQ(r.headers.find("Content-Type")->second, "application/json");
    EXPECT_EQ(r.headers.find("X-Redfish-Url")->second, "https://bmc:443");
    EXPECT_FALSE(r.follow_redirects);
    EXPECT_TRUE(r.insecure_skip_verify);
    EXPECT_GT(r.timeout.count(), 0);
    EXPECT_LE(r.timeout.count(), 700);
    EXPECT_LE(r.connect_timeout.count(), 700);
  }
  EXPECT_EQ(bmc->requests.front().url, "https://bmc:443/redfish/v1/");
}

TEST_F(RedfishClientTest, BasicAuthOnEveryRequest) {
  auto c = client(false);
  ASSERT_TRUE(c->connect(soon()).ok());
  EXPECT_FALSE(c->has_session());
  auto listing = c->list_chassis(soon());
  ASSERT_FALSE(listing.error);
  ASSERT_TRUE(c->get_power(listing.chassis[0].power, soon()).ok());
  EXPECT_EQ(bmc->count("POST", "/redfish/v1/SessionService/Sessions"), 0u);
  for (const auto& r : bmc->requests) {
    ASSERT_EQ(r.headers.count("Authorization"), 1u) << r.url;
    EXPECT_EQ(r.headers.find("Authorization")->second, "Basic YWRtaW46c2VjcmV0");
    EXPECT_EQ(r.headers.count("X-Auth-Token"), 0u);
  }
  // Basic mode has no session to delete.
  bmc->requests.clear();
  c->logout(soon());
  EXPECT_THAT(bmc->requests, IsEmpty());
  EXPECT_FALSE(c->connected());
}

TEST_F(RedfishClientTest, NoAuthWithoutUsernameOrWithoutPasswordForBasic) {
  ClientOptions o;
  o.bmc_url = o.endpoint = "https://bmc:443";
  o.username = "admin";  // no password: Basic needs both
  bmc->require_auth = false;
  RedfishClient basic(bmc, o, {});
  ASSERT_TRUE(basic.connect(soon()).ok());
  (void)basic.list_chassis(soon());

  o.username.clear();
  o.password = "secret";
  o.use_session_token = true;  // no username: no session either
  RedfishClient none(bmc, o, {});
  ASSERT_TRUE(none.connect(soon()).ok());
  EXPECT_FALSE(none.has_session());
  for (const auto& r : bmc->requests) {
    EXPECT_EQ(r.headers.count("Authorization"), 0u);
    EXPECT_EQ(r.headers.count("X-Auth-Token"), 0u);
    EXPECT_NE(r.method, "POST");
  }
}

TEST_F(RedfishClientTest, ProxyModeSendsEverythingToExternalUrl) {
  auto proxy = std::make_shared<FakeBmc>("http://mgmt-0:5000");
  bmc = proxy;
  auto c = client(true, "http://mgmt-0:5000");
  ASSERT_TRUE(c->connect(soon()).ok());
  auto listing = c->list_chassis(soon());
  ASSERT_FALSE(listing.error);
  ASSERT_TRUE(c->get_power(listing.chassis[0].power, soon()).ok());
  c->logout(soon());
  EXPECT_EQ(proxy->deleted, 1);
  for (const auto& r : proxy->requests) {
    EXPECT_EQ(r.url.rfind("http://mgmt-0:5000/redfish/v1/", 0), 0u) << r.url;
    EXPECT_EQ(r.headers.find("X-Redfish-Url")->second, "https://bmc:443");
    EXPECT_EQ(r.headers.count("X-Real-IP"), 0u);
  }
}

TEST_F(RedfishClientTest, EmptyHostIsDialledAsLocalhost) {
  auto local = std::make_shared<FakeBmc>("http://localhost:5000");
  ClientOptions o;
  o.bmc_url = o.endpoint = "http://:5000";
  RedfishClient c(local, o, {});
  local->require_auth = false;
  ASSERT_TRUE(c.connect(soon()).ok());
  EXPECT_EQ(local->requests[0].url, "http://localhost:5000/redfish/v1/");
  EXPECT_EQ(local->requests[0].headers.find("X-Redfish-Url")->second, "http://:5000");
}

TEST_F(RedfishClientTest, ConnectFailures) {
  EXPECT_THAT(error_of(client(true, "mgmt-0:5000")->connect(soon())), HasSubstr("must start with http"));

  bmc->docs["/redfish/v1/"] = R"({"Chassis": {"@odata.id": "/redfish/v1/Chassis"}})";
  EXPECT_THAT(error_of(client(true)->connect(soon())), HasSubstr("no Links.Sessions"));
  EXPECT_TRUE(client(false)->connect(soon()).ok());

  bmc->docs["/redfish/v1/"] = testing::kFixtureServiceRoot;
  bmc->password = "other";
  auto c = client(true);
  std::string e = error_of(c->connect(soon()));
  EXPECT_THAT(e, HasSubstr("failed to create a Redfish session"));
  EXPECT_THAT(e, HasSubstr("HTTP 401"));
  EXPECT_THAT(e, HasSubstr("bad credentials"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("secret")));
  EXPECT_FALSE(c->connected());

  bmc->docs["/redfish/v1/"] = "{not json";
  EXPECT_THAT(error_of(client(false)->connect(soon())), HasSubstr("service root: malformed JSON"));
}

TEST_F(RedfishClientTest, OnlyTwoHundredStatusesAreSuccess) {
  for (int code : {200, 201, 202, 204}) {
    bmc->status["/redfish/v1/Chassis/Chassis-1/Power"] = code;
    auto c = client(false);
    ASSERT_TRUE(c->connect(soon()).ok());
    // The forced reply's body is not a Power document with readings, but it is accepted.
    auto p = c->get_power("/redfish/v1/Chassis/Chassis-1/Power", soon());
    EXPECT_TRUE(p.ok()) << code;
  }
  for (int code : {203, 301, 302, 307, 400, 401, 404, 500, 503}) {
    bmc->status["/redfish/v1/Chassis/Chassis-1/Power"] = code;
    auto c = client(false);
    ASSERT_TRUE(c->connect(soon()).ok());
    auto p = c->get_power("/redfish/v1/Chassis/Chassis-1/Power", soon());
    ASSERT_FALSE(p.ok()) << code;
    EXPECT_THAT(p.error().message(), HasSubstr("HTTP " + std::to_string(code)));
    EXPECT_THAT(p.error().message(), HasSubstr("GET https://bmc:443/redfish/v1/Chassis/Chassis-1/Power"));
  }
}

TEST_F(RedfishClientTest, BadGatewayFromTheProxyCarriesItsReason) {
  auto proxy = std::make_shared<FakeBmc>("http://mgmt-0:5000");
  bmc = proxy;
  auto c = client(false, "http://mgmt-0:5000");
  ASSERT_TRUE(c->connect(soon()).ok());
  const std::string power = "/redfish/v1/Chassis/Chassis-1/Power";
  proxy->status[power] = 502;
  proxy->status_body[power] =
      "TLS handshake with bmc:443 failed: SSL certificate problem: self-signed certificate\n";
  auto p = c->get_power(power, soon());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message(),
            "GET http://mgmt-0:5000/redfish/v1/Chassis/Chassis-1/Power: HTTP 502 from the Redfish proxy: "
            "\"TLS handshake with bmc:443 failed: SSL certificate problem: self-signed certificate\"");

  // A proxy that gives no reason (the reference's) and one that sends junk.
  proxy->status_body[power] = "";
  EXPECT_THAT(c->get_power(power, soon()).error().message(),
              HasSubstr("HTTP 502 from the Redfish proxy: no reason given (see the proxy's log)"));
  proxy->status_body[power] = std::string("bad\x1b[31m\xff") + std::string(1000, 'y');
  const std::string junk = c->get_power(power, soon()).error().message();
  EXPECT_THAT(junk, HasSubstr("HTTP 502 from the Redfish proxy: \"bad?[31m?yyy"));
  EXPECT_THAT(junk, HasSubstr("y...\""));
  EXPECT_LT(junk.size(), 400u);

  // Straight from a BMC, a 502 is just another status.
  bmc = std::make_shared<FakeBmc>("https://bmc:443");
  bmc->status[power] = 502;
  auto direct = client(false);
  ASSERT_TRUE(direct->connect(soon()).ok());
  EXPECT_THAT(direct->get_power(power, soon()).error().message(), HasSubstr(": HTTP 502: \"{"));
}

TEST_F(RedfishClientTest, ChassisListingPaginationAndPartialFailure) {
  bmc->docs["/redfish/v1/Chassis"] =
      R"({"Members": [{"@odata.id": "/redfish/v1/Chassis/Chassis-1"}],
          "Members@odata.nextLink": "/redfish/v1/Chassis?page=2"})";
  bmc->docs["/redfish/v1/Chassis?page=2"] =
      R"({"Members": [{"@odata.id": "/redfish/v1/Chassis/Blade"}, {"@odata.id": "/redfish/v1/Chassis/Gone"}],
          "Members@odata.nextLink": "/redfish/v1/Chassis"})";
  bmc->docs["/redfish/v1/Chassis/Blade"] = R"({"Id": "Blade.1"})";
  auto c = client(true);
  ASSERT_TRUE(c->connect(soon()).ok());
  auto listing = c->list_chassis(soon());
  ASSERT_TRUE(listing.error.has_value());
  EXPECT_THAT(listing.error->message(), HasSubstr("/redfish/v1/Chassis/Gone"));
  EXPECT_THAT(listing.error->message(), HasSubstr("HTTP 404"));
  ASSERT_EQ(listing.chassis.size(), 2u);
  EXPECT_EQ(listing.chassis[0].id, "Chassis-1");
  EXPECT_EQ(listing.chassis[1].id, "Blade.1");
  EXPECT_EQ(listing.chassis[1].power, "");
  // The cycle back to the first page ends the walk.
  EXPECT_EQ(bmc->count("GET", "/redfish/v1/Chassis"), 1u);
}

TEST_F(RedfishClientTest, NoChassisCollection) {
  bmc->docs["/redfish/v1/"] =
      R"({"Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}}})";
  auto c = client(true);
  ASSERT_TRUE(c->connect(soon()).ok());
  auto listing = c->list_chassis(soon());
  EXPECT_FALSE(listing.error);
  EXPECT_THAT(listing.chassis, IsEmpty());
}

TEST_F(RedfishClientTest, LogoutDeletesSessionWithItsToken) {
  auto c = client(true);
  ASSERT_TRUE(c->connect(soon()).ok());
  bmc->requests.clear();
  c->logout(soon());
  ASSERT_EQ(bmc->requests.size(), 1u);
  EXPECT_EQ(bmc->requests[0].method, "DELETE");
  EXPECT_EQ(bmc->requests[0].url, "https://bmc:443/redfish/v1/SessionService/Sessions/token1/");
  EXPECT_EQ(bmc->requests[0].headers.find("X-Auth-Token")->second, "token1");
  EXPECT_THAT(bmc->tokens, IsEmpty());
  EXPECT_FALSE(c->connected());
  EXPECT_FALSE(c->has_session());
  // A second logout has nothing to delete.
  c->logout(soon());
  EXPECT_EQ(bmc->requests.size(), 1u);
}

TEST_F(RedfishClientTest, EveryRequestBoundedByDeadline) {
  auto c = client(true);
  ASSERT_TRUE(c->connect(soon()).ok());
  bmc->requests.clear();
  (void)c->get_power("/redfish/v1/Chassis/Chassis-1/Power", Deadline::after(std::chrono::milliseconds(200)));
  ASSERT_EQ(bmc->requests.size(), 1u);
  EXPECT_LE(bmc->requests[0].timeout.count(), 200);

  bmc->requests.clear();
  auto p = c->get_power("/redfish/v1/Chassis/Chassis-1/Power", Deadline::after(std::chrono::milliseconds(0)));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind(), ErrorKind::kTimeout);
  EXPECT_THAT(bmc->requests, IsEmpty());
}

TEST_F(RedfishClientTest, TransportErrorsKeepTheirKind) {
  auto c = client(false);
  ASSERT_TRUE(c->connect(soon()).ok());
  bmc->down = true;
  auto p = c->get_power("/redfish/v1/Chassis/Chassis-1/Power", soon());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind(), ErrorKind::kTimeout);
}

TEST_F(RedfishClientTest, UserInfoOfExternalUrlNeverInErrors) {
  auto proxy = std::make_shared<FakeBmc>("http://u:pw1234@mgmt-0:5000");
  proxy->status["/redfish/v1/"] = 500;
  bmc = proxy;
  std::string e = error_of(client(false, "http://u:pw1234@mgmt-0:5000")->connect(soon()));
  EXPECT_THAT(e, HasSubstr("http://<redacted>@mgmt-0:5000/redfish/v1/"));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("pw1234")));
  proxy->down = true;
  e = error_of(client(false, "http://u:pw1234@mgmt-0:5000")->connect(soon()));
  EXPECT_THAT(e, ::testing::Not(HasSubstr("pw1234")));
}

}  // namespace
}  // namespace ceems::redfish
