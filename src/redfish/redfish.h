// The part of the Redfish protocol the collector needs: JSON parsers for the service
// root, resource collections, chassis and the (deprecated) Power resource, and a
// client that walks them with Basic auth or a Redfish session, every request bounded
// in time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "core/result.h"
#include "http/client.h"

namespace ceems::redfish {

// The reference sets no request timeout at all, so a hung BMC or proxy stalled scrapes
// forever. Every request here is bounded by kRequestTimeout and by what is left of the
// budget of the operation it belongs to: a scrape (kScrapeBudget, below Prometheus'
// default 10 s scrape timeout so that cached values still make it out) or start-up /
// shutdown (kStartupBudget, for the service root, login and the whole chassis walk).
inline constexpr std::chrono::milliseconds kRequestTimeout{5000};
inline constexpr std::chrono::milliseconds kScrapeBudget{8000};
inline constexpr std::chrono::milliseconds kStartupBudget{30000};

// Fixed headers of every request (the reference's client library sends these).
inline constexpr std::string_view kUserAgent = "gofish/1.0";
inline constexpr std::string_view kRedfishUrlHeader = "X-Redfish-Url";
inline constexpr std::string_view kAuthTokenHeader = "X-Auth-Token";

// ---- documents ----
// Key lookup follows the reference's JSON decoder (core/go/json.h): of the keys
// matching a field exactly or case-insensitively, the last one in the document wins;
// null counts as absent. A byte-order mark is malformed JSON; a malformed UTF-8 byte
// inside a string becomes U+FFFD. A present value of the
// wrong type is an error naming the document and field, as is malformed JSON; fields
// the collector does not read are not checked.

struct ServiceRoot {
  std::string chassis;   // Chassis.@odata.id; empty: no chassis collection
  std::string sessions;  // Links.Sessions.@odata.id; empty: sessions unsupported
};

struct Collection {
  std::vector<std::string> members;  // Links.Members if non-empty, else Members (@odata.id each)
  std::string next_link;             // Members@odata.nextLink
};

struct Chassis {
  std::string id;     // Id
  std::string power;  // Power.@odata.id; empty: no Power resource
};

// One PowerControl entry; absent readings are 0. The reference decodes these into
// 32-bit floats, so every value is rounded to float precision (123.4 becomes
// 123.40000152587891); a value outside float range is an error, as there.
struct PowerControl {
  double consumed_watts = 0;  // PowerConsumedWatts
  double min_watts = 0;       // PowerMetrics.MinConsumedWatts
  double max_watts = 0;       // PowerMetrics.MaxConsumedWatts
  double avg_watts = 0;       // PowerMetrics.AverageConsumedWatts
};

struct Power {
  std::vector<PowerControl> power_control;
};

struct PowerSums {
  double current = 0;
  double min = 0;
  double max = 0;
  double avg = 0;
  PowerSums& operator+=(const PowerSums& o);
};
// Sum over all PowerControl entries.
PowerSums sum_power(const Power& power);

Result<ServiceRoot> parse_service_root(std::string_view json);
Result<Collection> parse_collection(std::string_view json);
Result<Chassis> parse_chassis(std::string_view json);
Result<Power> parse_power(std::string_view json);

// The path (and query) of a session's Location header: an absolute URL is reduced to
// its request URI, a path is kept as is.
std::string session_path(std::string_view location);

// ---- client ----

// A point in time after which no request of the current operation may run.
class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  static Deadline after(std::chrono::milliseconds budget) { return Deadline(Clock::now() + budget); }
  explicit Deadline(Clock::time_point at) : at_(at) {}
  std::chrono::milliseconds remaining() const;
  bool expired() const { return remaining().count() <= 0; }

 private:
  Clock::time_point at_;
};

struct ClientOptions {
  std::string bmc_url;   // <protocol>://<host>:<port>, sent as X-Redfish-Url
  std::string endpoint;  // external_url, or bmc_url; requests go to endpoint + path
  std::string username;
  std::string password;
  bool insecure_skip_verify = false;
  bool use_session_token = false;
  std::chrono::milliseconds request_timeout = kRequestTimeout;
};

// The chassis found by a listing. error is set when some member could not be fetched
// (the others are still listed) or the collection itself failed.
struct ChassisListing {
  std::vector<Chassis> chassis;
  std::optional<Error> error;
};

// One Redfish connection. Not thread-safe: the collector serialises all use, so at most
// one request is in flight (as in the reference). Redirects are never followed; only
// 200, 201, 202 and 204 count as success.
class RedfishClient {
 public:
  RedfishClient(std::shared_ptr<http::HttpClient> http, ClientOptions options, log::Logger logger);

  // Reads the service root and authenticates: nothing without a username, Basic auth
  // (only when username and password are both set) or a new session. Forgets any
  // previous session without deleting it; call logout() first for that.
  Status connect(const Deadline& deadline);
  // Walks the chassis collection (with pagination) and fetches every member.
  ChassisListing list_chassis(const Deadline& deadline);
  Result<Power> get_power(const std::string& path, const Deadline& deadline);
  // DELETEs the session, if any (errors ignored), and drops the credentials of it.
  void logout(const Deadline& deadline);

  bool connected() const { return connected_; }
  bool has_session() const { return !session_uri_.empty(); }
  const std::string& session_token() const { return token_; }
  const ServiceRoot& service_root() const { return root_; }

 private:
  Result<http::ClientResponse> send(const std::string& method, const std::string& path, std::string body,
                                    const Deadline& deadline, bool authenticated = true);
  Result<std::string> get(const std::string& path, const Deadline& deadline);
  Status create_session(const Deadline& deadline);

  std::shared_ptr<http::HttpClient> http_;
  ClientOptions options_;
  std::string base_;        // endpoint as dialled (empty host -> localhost)
  std::string shown_base_;  // endpoint for messages (no user-info)
  bool via_proxy_;          // requests go to external_url, not to the BMC
  log::Logger logger_;
  ServiceRoot root_;
  bool connected_ = false;
  std::string token_;
  std::string session_uri_;
};

}  // namespace ceems::redfish
