// Emission-factor providers: `global` (world average), `owid` (static table embedded
// at build time), `emaps` (Electricity Maps API), `rte` (RTE eCO2mix, France) and `wt`
// (WattTime, watttime.h). The network providers fetch lazily on a scrape and serve
// the last successful result for 30 minutes. Unlike the reference, nothing is fetched
// at start-up: an unreachable API leaves its provider out of the page (logged once
// per failure episode) and is tried again with backoff, while the other providers
// keep serving.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "core/failure_episode.h"
#include "core/log.h"
#include "core/result.h"
#include "emissions/parsers.h"
#include "http/client.h"

namespace ceems::emissions {

inline constexpr std::string_view kEmapsBaseUrl = "https://api.electricitymap.org/v3";
inline constexpr std::string_view kRteUrl =
    "https://reseaux-energies-rte.opendatasoft.com/api/explore/v2.1/catalog/datasets/eco2mix-national-tr/"
    "records";
// Lower-case on purpose: that is how the reference sends it.
inline constexpr std::string_view kEmapsTokenHeader = "auth-token";
inline constexpr std::string_view kEmapsTokenEnv = "EMAPS_API_TOKEN";
// Test hook of the reference: replaces the base URL of the zones request only.
inline constexpr std::string_view kEmapsZonesBaseUrlEnv = "__EMAPS_BASE_URL";
// Test hook of this implementation: replaces the RTE records URL (the query is appended).
inline constexpr std::string_view kRteUrlEnv = "__RTE_URL";
inline constexpr std::string_view kWattTimeBaseUrl = "https://api.watttime.org";
inline constexpr std::string_view kWattTimeUsernameEnv = "WT_USERNAME";
inline constexpr std::string_view kWattTimePasswordEnv = "WT_PASSWORD";
inline constexpr std::string_view kWattTimeRegionEnv = "WT_REGION";
// Test hook of the reference: replaces the WattTime base URL (login and data requests).
inline constexpr std::string_view kWattTimeBaseUrlEnv = "__WT_BASE_URL";

inline constexpr double kWorldAverageFactor = 475;

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

// Everything a provider may depend on; the defaults are the production values.
struct ProviderOptions {
  std::shared_ptr<http::HttpClient> client;  // required by emaps and rte
  std::optional<std::string> emaps_token;    // nullopt: EMAPS_API_TOKEN is not set
  std::string emaps_base_url{kEmapsBaseUrl};
  std::string emaps_zones_base_url{kEmapsBaseUrl};
  std::string rte_url{kRteUrl};
  // WattTime: nullopt where the variable is not set. Never logged.
  std::optional<std::string> wt_username;
  std::optional<std::string> wt_password;
  std::optional<std::string> wt_region;
  std::string wt_base_url{kWattTimeBaseUrl};
  // A login token is reused for this long (WattTime's expire after 30 minutes).
  std::chrono::milliseconds wt_token_lifetime{1500000};
  std::chrono::milliseconds request_timeout{5000};  // per request, connection included
  // After a failed fetch (or zone list request) the next one waits retry_initial,
  // doubled per further failure up to retry_max; the scrapes in between do not ask.
  std::chrono::milliseconds retry_initial{60000};
  std::chrono::milliseconds retry_max{300000};
  // How long a scrape waits for the Electricity Maps zone list it started fetching;
  // capped at a fifth of request_timeout so that the factor requests of the same
  // scrape still fit in one request timeout.
  std::chrono::milliseconds emaps_zone_wait{1000};
  std::chrono::milliseconds cache_duration{1800000};
  SteadyClock clock;                        // steady_clock::now when empty
  std::function<std::string()> local_date;  // today's host-local "YYYY-MM-DD" when empty
  std::function<std::chrono::system_clock::time_point()> wall_clock;  // system_clock::now when empty
};

// Production options: the HTTP client, EMAPS_API_TOKEN, __EMAPS_BASE_URL, __RTE_URL,
// WT_USERNAME, WT_PASSWORD, WT_REGION and __WT_BASE_URL.
ProviderOptions provider_options_from_environment();

// The host-local date as "YYYY-MM-DD".
std::string local_date_today();

// Delay before the attempt that follows `failures` (>= 1) consecutive failed ones.
std::chrono::milliseconds retry_delay(int failures, std::chrono::milliseconds initial,
                                      std::chrono::milliseconds max);

// A GET of `url` that ends within `timeout` (connection included) and follows
// redirects; a request carrying a credential header must turn that off.
http::ClientRequest get_request(std::string url, std::chrono::milliseconds timeout);

// Sends req. Any HTTP status is a response; a transport failure is an error that names
// the URL without its query.
Result<http::ClientResponse> send_request(http::HttpClient& client, const http::ClientRequest& req);

// The URL as logs show it: without query and fragment, which may carry parameters an
// operator did not mean to publish.
std::string url_without_query(std::string_view url);

// EMAPS_API_TOKEN travels as a header value: white space or a control character
// (a CR left by an edited EnvironmentFile) would corrupt the request, so such a token
// is a configuration error. The message never contains the token.
Status check_emaps_token(std::string_view token);

class Provider {
 public:
  virtual ~Provider() = default;
  Provider() = default;
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  // Current factors; an error leaves the provider out of this scrape. Thread-safe.
  virtual Result<EmissionFactors> update() = 0;
  // Ends background work (exporter shutdown); update() must not be called afterwards.
  virtual void stop() {}
};

class GlobalProvider final : public Provider {
 public:
  Result<EmissionFactors> update() override;
};

// One row of the embedded OWID table (owid_factors.inc, generated from owid_factors.csv).
struct OwidRow {
  std::string_view code;
  std::string_view country;
  int year;
  double value;
};
std::span<const OwidRow> owid_table();

class OwidProvider final : public Provider {
 public:
  // The embedded table.
  explicit OwidProvider(log::Logger logger);
  // Any other data set, e.g. the result of parse_owid_csv.
  OwidProvider(EmissionFactors factors, log::Logger logger);

  Result<EmissionFactors> update() override { return factors_; }

 private:
  EmissionFactors factors_;
};

// The cache rule shared by the network providers: fetch when nothing was fetched yet or
// the last success is older than cache_duration; on failure serve the last success if
// any. Unlike the reference, a failure is remembered: the next fetch waits for
// retry_delay, so an unreachable API costs one request timeout per retry, not per
// scrape, and is logged once per failure episode.
class CachingProvider : public Provider {
 public:
  Result<EmissionFactors> update() final;

 protected:
  struct Messages {
    std::string_view failure;    // WARN once per failure episode, then DEBUG
    std::string_view recovered;  // INFO: a fetch succeeded after failed ones
    std::string_view cached;     // DEBUG: the cached value is served
  };
  CachingProvider(const ProviderOptions& options, log::Logger logger, Messages messages);

  // Runs before the cache is consulted. An error leaves the provider out of this scrape
  // without counting as a failed fetch; a value is the time the scrape already spent.
  virtual Result<std::chrono::milliseconds> prepare() { return std::chrono::milliseconds(0); }
  // One fetch whose requests each end within `timeout`.
  virtual Result<EmissionFactors> fetch(std::chrono::milliseconds timeout) = 0;
  const log::Logger& logger() const { return logger_; }
  std::chrono::steady_clock::time_point now() const { return clock_(); }
  std::chrono::milliseconds retry_delay_after(int failures) const {
    return retry_delay(failures, retry_initial_, retry_max_);
  }

 private:
  log::Logger logger_;
  Messages messages_;
  SteadyClock clock_;
  std::chrono::milliseconds cache_duration_;
  std::chrono::milliseconds request_timeout_;
  std::chrono::milliseconds retry_initial_;
  std::chrono::milliseconds retry_max_;
  // Held across the fetch: a concurrent scrape waits for it and then reads the cache
  // instead of repeating hundreds of requests.
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_success_;
  std::optional<EmissionFactors> last_factors_;
  // Set while failing: no fetch before this time.
  std::optional<std::chrono::steady_clock::time_point> next_attempt_;
  std::optional<Error> last_error_;
  FailureEpisode episode_;
};

class EmapsProvider final : public CachingProvider {
 public:
  // Fails only on configuration: no token, a malformed token. Makes no request: the
  // zone list is fetched when the first scrape needs it.
  static Result<std::unique_ptr<EmapsProvider>> create(const ProviderOptions& options, log::Logger logger);
  ~EmapsProvider() override;

  // Waits for a zone list request in flight (bounded by request_timeout).
  void stop() override;

  // Zone key -> display name, once fetched.
  std::optional<std::map<std::string, std::string>> zones() const;

 private:
  EmapsProvider(const ProviderOptions& options, log::Logger logger);
  // Until the zone list is known: starts its request on a background thread when one
  // is due (a scrape thread, so after privileges were dropped) and waits for it at most
  // zone_wait_, so that a silent API delays no scrape by more than that.
  Result<std::chrono::milliseconds> prepare() override;
  // One concurrent request per zone. Failed zones are left out and summarised in one
  // log line per failure episode; only a round where no zone got any answer fails (the
  // API is unreachable), any other round is a result, cached even when empty.
  Result<EmissionFactors> fetch(std::chrono::milliseconds timeout) override;
  void fetch_zones();  // the background thread

  std::shared_ptr<http::HttpClient> client_;
  std::string token_;
  std::string base_url_;
  std::string zones_url_;
  std::chrono::milliseconds timeout_;
  std::chrono::milliseconds zone_wait_;
  FailureEpisode zone_failures_;  // per-zone failures; used under the cache lock only

  mutable std::mutex zones_mu_;
  std::condition_variable zones_cv_;
  std::optional<std::map<std::string, std::string>> zones_;  // set once
  bool zones_in_flight_ = false;
  bool stopping_ = false;
  std::optional<std::chrono::steady_clock::time_point> next_zones_attempt_;
  std::optional<Error> zones_error_;
  FailureEpisode zones_episode_;
  std::thread zones_worker_;
};

class RteProvider final : public CachingProvider {
 public:
  RteProvider(const ProviderOptions& options, log::Logger logger);

 private:
  Result<EmissionFactors> fetch(std::chrono::milliseconds timeout) override;

  std::shared_ptr<http::HttpClient> client_;
  std::string url_;
  std::function<std::string()> local_date_;
};

}  // namespace ceems::emissions
