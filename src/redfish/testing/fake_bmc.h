// An in-memory Redfish service behind the http::HttpClient interface, for unit tests
// of the client and collector logic without sockets: documents by path, sessions with
// tokens token1, token2..., Basic auth, forced statuses and a "down" mode.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"

namespace ceems::redfish::testing {

// The reference fixture's documents (one chassis "Chassis-1", two PowerControl entries
// summing to 397 / 326 / 609 / 365).
inline constexpr const char* kFixtureServiceRoot = R"({
  "@odata.id": "/redfish/v1/",
  "Id": "RootService",
  "Chassis": {"@odata.id": "/redfish/v1/Chassis"},
  "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}}
})";
inline constexpr const char* kFixtureCollection = R"({
  "@odata.id": "/redfish/v1/Chassis",
  "Members@odata.count": 1,
  "Members": [{"@odata.id": "/redfish/v1/Chassis/Chassis-1"}]
})";
inline constexpr const char* kFixtureChassis = R"({
  "@odata.id": "/redfish/v1/Chassis/Chassis-1",
  "Id": "Chassis-1",
  "Power": {"@odata.id": "/redfish/v1/Chassis/Chassis-1/Power"}
})";
inline constexpr const char* kFixturePower = R"({
  "@odata.id": "/redfish/v1/Chassis/Chassis-1/Power",
  "Id": "Power",
  "PowerControl": [
    {"PowerConsumedWatts": 344,
     "PowerMetrics": {"IntervalInMin": 30, "MinConsumedWatts": 271, "MaxConsumedWatts": 489,
                      "AverageConsumedWatts": 319}},
    {"PowerConsumedWatts": 53,
     "PowerMetrics": {"IntervalInMin": 30, "MinConsumedWatts": 55, "MaxConsumedWatts": 120,
                      "AverageConsumedWatts": 46}}
  ]
})";

class FakeBmc : public http::HttpClient {
 public:
  explicit FakeBmc(std::string base) : base_(std::move(base)) {
    docs["/redfish/v1/"] = kFixtureServiceRoot;
    docs["/redfish/v1/Chassis"] = kFixtureCollection;
    docs["/redfish/v1/Chassis/Chassis-1"] = kFixtureChassis;
    docs["/redfish/v1/Chassis/Chassis-1/Power"] = kFixturePower;
  }

  Result<http::ClientResponse> send(const http::ClientRequest& req) override {
    requests.push_back(req);
    if (down) {
      if (hang_until_timeout) std::this_thread::sleep_for(req.timeout);
      return Error(ErrorKind::kTimeout, req.method + " " + req.url + ": Timeout was reached");
    }
    if (req.url.compare(0, base_.size(), base_) != 0) {
      return Error(ErrorKind::kIo, req.method + " " + req.url + ": Could not resolve host");
    }
    const std::string path = req.url.substr(base_.size());
    http::ClientResponse resp;
    if (req.method == "POST" && path == sessions_path) {
      if (req.body != "{\"UserName\":\"" + username + "\",\"Password\":\"" + password + "\"}") {
        return reply(401, "{\"error\":\"bad credentials\"}");
      }
      const std::string token = "token" + std::to_string(next_token++);
      tokens.push_back(token);
      resp.status = 201;
      resp.headers.emplace("X-Auth-Token", token);
      resp.headers.emplace("Location", location_prefix + sessions_path + "/" + token + "/");
      return resp;
    }
    if (path != "/redfish/v1/" && require_auth && !authorized(req))
      return reply(401, "{\"error\":\"unauthorized\"}");
    if (auto it = status.find(path); it != status.end()) {
      auto body = status_body.find(path);
      return reply(it->second, body != status_body.end() ? body->second : "{\"error\":\"forced\"}");
    }
    if (req.method == "DELETE" && path.rfind(sessions_path + "/", 0) == 0) {
      std::string token = path.substr(sessions_path.size() + 1);
      if (!token.empty() && token.back() == '/') token.pop_back();
      for (auto it = tokens.begin(); it != tokens.end(); ++it) {
        if (*it == token) {
          tokens.erase(it);
          ++deleted;
          return reply(204, "");
        }
      }
      return reply(404, "");
    }
    if (req.method == "GET") {
      if (auto it = docs.find(path); it != docs.end()) return reply(200, it->second);
    }
    return reply(404, "{\"error\":\"not found\"}");
  }

  // Requests with this method and path (relative to base).
  size_t count(const std::string& method, const std::string& path) const {
    size_t n = 0;
    for (const auto& r : requests) {
      if (r.method == method && r.url == base_ + path) ++n;
    }
    return n;
  }

  std::map<std::string, std::string> docs;
  std::map<std::string, int> status;
  std::map<std::string, std::string> status_body;  // body of a forced status; default {"error":"forced"}
  std::string username = "admin";
  std::string password = "secret";
  std::string basic = "Basic YWRtaW46c2VjcmV0";  // admin:secret
  bool require_auth = true;
  std::string sessions_path = "/redfish/v1/SessionService/Sessions";
  std::string location_prefix = "https://bmc.example:443";
  std::vector<std::string> tokens;
  int next_token = 1;
  int deleted = 0;
  bool down = false;
  bool hang_until_timeout = false;  // with down: each request takes its full timeout
  std::vector<http::ClientRequest> requests;

 private:
  static Result<http::ClientResponse> reply(int code, std::string body) {
    http::ClientResponse resp;
    resp.status = code;
    resp.body = std::move(body);
    return resp;
  }

  bool authorized(const http::ClientRequest& req) const {
    for (auto [it, end] = req.headers.equal_range("X-Auth-Token"); it != end; ++it) {
      for (const auto& t : tokens) {
        if (t == it->second) return true;
      }
    }
    for (auto [it, end] = req.headers.equal_range("Authorization"); it != end; ++it) {
      if (it->second == basic) return true;
    }
    return false;
  }

  std::string base_;
};

}  // namespace ceems::redfish::testing
