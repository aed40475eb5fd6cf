#include "redfish/testing/redfish_mock.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/strings.h"

namespace ceems::redfish::testing {
namespace {

using nlohmann::json;

constexpr std::string_view kChassisPath = "/redfish/v1/Chassis";

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

void error_body(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  json body = {{"error", {{"code", "Base.1.0.GeneralError"}, {"message", message}}}};
  res.set_content(body.dump(), "application/json");
}

}  // namespace

std::string fixture_power_json(const std::string& chassis_id) {
  const std::string self = std::string(kChassisPath) + "/" + chassis_id + "/Power";
  auto entry = [&](int index, int consumed, int min, int max, int avg) {
    return json{{"@odata.id", self + "#/PowerControl/" + std::to_string(index)},
                {"MemberId", std::to_string(index)},
                {"Name", "System Input Power"},
                {"PowerConsumedWatts", consumed},
                {"PowerCapacityWatts", 800},
                {"PowerMetrics",
                 {{"IntervalInMin", 30},
                  {"MinConsumedWatts", min},
                  {"MaxConsumedWatts", max},
                  {"AverageConsumedWatts", avg}}},
                {"Status", {{"State", "Enabled"}, {"Health", "OK"}}}};
  };
  json power = {{"@odata.type", "#Power.v1_7_0.Power"},
                {"@odata.id", self},
                {"Id", "Power"},
                {"Name", "Power"},
                {"PowerControl", json::array({entry(0, 344, 271, 489, 319), entry(1, 53, 55, 120, 46)})}};
  return power.dump(2);
}

std::string RecordedRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (equals_ignoring_case(k, name)) return v;
  }
  return {};
}

bool RecordedRequest::has_header(std::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& kv) { return equals_ignoring_case(kv.first, name); });
}

RedfishMock::RedfishMock(RedfishMockOptions options) : options_(std::move(options)) {
  for (auto& c : options_.chassis) {
    if (c.power_json.empty()) c.power_json = fixture_power_json(c.id);
  }
  if (!options_.cert_file.empty() && !options_.key_file.empty()) {
    auto tls = std::make_unique<httplib::SSLServer>(options_.cert_file.c_str(), options_.key_file.c_str());
    if (!tls->is_valid()) throw std::runtime_error("redfish mock: cannot load the TLS certificate");
    server_ = std::move(tls);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  auto handler = [this](const httplib::Request& req, httplib::Response& res) { handle(req, res); };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Delete(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->set_keep_alive_timeout(1);
  if (options_.port != 0) {
    port_ = server_->bind_to_port("127.0.0.1", options_.port) ? options_.port : -1;
  } else {
    port_ = server_->bind_to_any_port("127.0.0.1");
  }
  if (port_ <= 0) throw std::runtime_error("redfish mock: cannot bind 127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

RedfishMock::~RedfishMock() { stop(); }

std::string RedfishMock::url() const {
  const bool tls = !options_.cert_file.empty() && !options_.key_file.empty();
  return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

void RedfishMock::stop() {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    hang_ = false;
  }
  cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

void RedfishMock::expire_sessions() {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.clear();
}

void RedfishMock::set_hang(bool hang) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    hang_ = hang;
  }
  cv_.notify_all();
}

void RedfishMock::set_status(const std::string& path, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (status == 0) {
    status_overrides_.erase(path);
  } else {
    status_overrides_[path] = status;
  }
}

void RedfishMock::set_power_json(const std::string& chassis_id, std::string power) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : options_.chassis) {
    if (c.id == chassis_id) {
      c.power_json = std::move(power);
      return;
    }
  }
}

std::vector<RecordedRequest> RedfishMock::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void RedfishMock::clear_requests() {
  std::lock_guard<std::mutex> lock(mu_);
  requests_.clear();
}

size_t RedfishMock::count(std::string_view method, std::string_view path) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<size_t>(std::count_if(requests_.begin(), requests_.end(), [&](const RecordedRequest& r) {
    return r.method == method && r.path == path;
  }));
}

std::vector<std::string> RedfishMock::live_sessions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_;
}

int RedfishMock::sessions_created() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_created_;
}

int RedfishMock::sessions_deleted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_deleted_;
}

bool RedfishMock::authorized(const httplib::Request& req) const {
  if (!options_.require_auth) return true;
  const std::string token = req.get_header_value("X-Auth-Token");
  if (!token.empty() && std::find(sessions_.begin(), sessions_.end(), token) != sessions_.end()) return true;
  const std::string basic = req.get_header_value("Authorization");
  return !basic.empty() && basic == "Basic " + base64(options_.username + ":" + options_.password);
}

std::string RedfishMock::chassis_json(const MockChassis& c) const {
  const std::string self = std::string(kChassisPath) + "/" + c.id;
  json doc = {{"@odata.type", "#Chassis.v1_0_0.Chassis"},
              {"@odata.id", self},
              {"Id", c.id},
              {"Name", "Computer System Chassis"},
              {"ChassisType", "RackMount"},
              {"Thermal", {{"@odata.id", self + "/Thermal"}}}};
  if (c.has_power) doc["Power"] = {{"@odata.id", self + "/Power"}};
  return doc.dump(2);
}

void RedfishMock::handle(const httplib::Request& req, httplib::Response& res) {
  std::unique_lock<std::mutex> lock(mu_);
  RecordedRequest rec{req.method, req.path, req.body, req.remote_addr, {}};
  for (const auto& [k, v] : req.headers) rec.headers.emplace_back(k, v);
  requests_.push_back(std::move(rec));
  // Bounded so that a forgotten set_hang(true) cannot keep a test binary alive.
  cv_.wait_for(lock, std::chrono::seconds(30), [this] { return !hang_ || stopping_; });
  if (stopping_) {
    error_body(res, 503, "shutting down");
    return;
  }

  const std::string& path = req.path;
  const std::string sessions(kMockSessionsPath);
  if (req.method == "GET" && (path == "/redfish/v1/" || path == "/redfish/v1")) {
    json root = {{"@odata.type", "#ServiceRoot.v1_5_1.ServiceRoot"},
                 {"@odata.id", "/redfish/v1/"},
                 {"Id", "RootService"},
                 {"RedfishVersion", "1.6.0"},
                 {"Chassis", {{"@odata.id", std::string(kChassisPath)}}},
                 {"SessionService", {{"@odata.id", "/redfish/v1/SessionService"}}}};
    if (options_.sessions_supported) root["Links"] = {{"Sessions", {{"@odata.id", sessions}}}};
    res.set_content(root.dump(2), "application/json");
    return;
  }

  if (req.method == "POST" && (path == sessions || path == sessions + "/")) {
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || body.value("UserName", "") != options_.username ||
        body.value("Password", "") != options_.password) {
      error_body(res, 401, "invalid credentials");
      return;
    }
    const std::string token = "token" + std::to_string(next_session_++);
    sessions_.push_back(token);
    ++sessions_created_;
    res.status = 201;
    res.set_header("X-Auth-Token", token);
    res.set_header("Location", url() + sessions + "/" + token + "/");
    res.set_content(json{{"@odata.id", sessions + "/" + token}, {"Id", token}}.dump(), "application/json");
    return;
  }

  if (!authorized(req)) {
    error_body(res, 401, "authentication required");
    return;
  }
  if (auto it = status_overrides_.find(path); it != status_overrides_.end()) {
    error_body(res, it->second, "forced status");
    return;
  }

  if (req.method == "DELETE" && path.rfind(sessions + "/", 0) == 0) {
    std::string token = path.substr(sessions.size() + 1);
    if (!token.empty() && token.back() == '/') token.pop_back();
    auto it = std::find(sessions_.begin(), sessions_.end(), token);
    if (it == sessions_.end()) {
      error_body(res, 404, "no such session");
      return;
    }
    sessions_.erase(it);
    ++sessions_deleted_;
    res.status = 204;
    return;
  }

  if (req.method == "GET" && path == kChassisPath) {
    json members = json::array();
    for (const auto& c : options_.chassis)
      members.push_back({{"@odata.id", std::string(kChassisPath) + "/" + c.id}});
    json coll = {{"@odata.type", "#ChassisCollection.ChassisCollection"},
                 {"@odata.id", std::string(kChassisPath)},
                 {"Name", "Chassis Collection"},
                 {"Members@odata.count", members.size()},
                 {"Members", members}};
    res.set_content(coll.dump(2), "application/json");
    return;
  }
  if (req.method == "GET") {
    for (const auto& c : options_.chassis) {
      const std::string self = std::string(kChassisPath) + "/" + c.id;
      if (path == self) {
        res.set_content(chassis_json(c), "application/json");
        return;
      }
      if (c.has_power && path == self + "/Power") {
        res.set_content(c.power_json, "application/json");
        return;
      }
    }
  }
  error_body(res, 404, "resource not found");
}

void write_self_signed_cert(const std::string& cert_path, const std::string& key_path) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), &X509_free);
  if (!key || !cert) throw std::runtime_error("redfish mock: key generation failed");
  X509* c = cert.get();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), 1);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 24 * 3600);
  X509_set_pubkey(c, key.get());
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"),
                             -1, -1, 0);
  X509_set_issuer_name(c, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, c, c, nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  if (san == nullptr) throw std::runtime_error("redfish mock: SAN extension failed");
  X509_add_ext(c, san, -1);
  X509_EXTENSION_free(san);
  if (X509_sign(c, key.get(), EVP_sha256()) == 0) throw std::runtime_error("redfish mock: signing failed");

  auto write = [](const std::string& path, auto&& fn) {
    std::unique_ptr<FILE, decltype(&std::fclose)> f(std::fopen(path.c_str(), "w"), &std::fclose);
    if (!f || fn(f.get()) == 0) throw std::runtime_error("redfish mock: cannot write " + path);
  };
  write(cert_path, [&](FILE* f) { return PEM_write_X509(f, c); });
  write(key_path,
        [&](FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
}

}  // namespace ceems::redfish::testing
