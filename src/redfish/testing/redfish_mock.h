// A local Redfish service for tests: service root, chassis collection, chassis and
// Power resources, SessionService login/logout, with hooks to expire sessions, hang
// requests and force error statuses. Plain HTTP or TLS, bound to 127.0.0.1 on a free
// port, stopped by its destructor.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace ceems::redfish::testing {

// The Power resource of the reference fixture: two PowerControl entries whose sums are
// current 397, min 326, max 609, average 365.
std::string fixture_power_json(const std::string& chassis_id);

struct MockChassis {
  std::string id;
  bool has_power = true;
  std::string power_json;  // empty: fixture_power_json(id)
};

struct RedfishMockOptions {
  std::string username = "admin";
  std::string password = "secret";
  std::vector<MockChassis> chassis = {MockChassis{"Chassis-1"}};
  // Chassis, Power and session DELETE need a valid X-Auth-Token or Basic credentials;
  // the service root and the session POST never do.
  bool require_auth = true;
  bool sessions_supported = true;  // Links.Sessions in the service root
  // Both set: HTTPS with this certificate (see write_self_signed_cert).
  std::string cert_file;
  std::string key_file;
  int port = 0;  // 0: any free port
};

struct RecordedRequest {
  std::string method;
  std::string path;
  std::string body;
  std::string remote_addr;
  std::vector<std::pair<std::string, std::string>> headers;

  // First value of a header (case-insensitive name), or empty.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

inline constexpr std::string_view kMockSessionsPath = "/redfish/v1/SessionService/Sessions";

class RedfishMock {
 public:
  // Starts serving; throws std::runtime_error when it cannot.
  explicit RedfishMock(RedfishMockOptions options = {});
  ~RedfishMock();
  RedfishMock(const RedfishMock&) = delete;
  RedfishMock& operator=(const RedfishMock&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>" or "https://...".
  std::string url() const;
  // Releases hung requests, stops listening and joins the server thread. Idempotent.
  void stop();

  // Forgets every session, as a BMC does when they time out: their tokens get 401 and
  // their DELETE 404.
  void expire_sessions();
  // While set, every request blocks (until cleared or stop()) before being answered.
  void set_hang(bool hang);
  // Answers requests for path with this status and an error body (0 restores).
  void set_status(const std::string& path, int status);
  void set_power_json(const std::string& chassis_id, std::string json);

  std::vector<RecordedRequest> requests() const;
  void clear_requests();
  size_t count(std::string_view method, std::string_view path) const;
  std::vector<std::string> live_sessions() const;  // tokens, oldest first
  int sessions_created() const;
  int sessions_deleted() const;

 private:
  void handle(const httplib::Request& req, httplib::Response& res);
  bool authorized(const httplib::Request& req) const;  // mu_ held
  std::string chassis_json(const MockChassis& c) const;

  RedfishMockOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  bool stopped_ = false;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool hang_ = false;
  bool stopping_ = false;
  std::vector<RecordedRequest> requests_;
  std::vector<std::string> sessions_;
  int next_session_ = 1;
  int sessions_created_ = 0;
  int sessions_deleted_ = 0;
  std::map<std::string, int> status_overrides_;
};

// A self-signed EC P-256 certificate for CN=localhost with the SANs localhost and
// 127.0.0.1, valid for a day; PEM files.
void write_self_signed_cert(const std::string& cert_path, const std::string& key_path);

}  // namespace ceems::redfish::testing
