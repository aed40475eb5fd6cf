// Emission-factor providers: `global` (world average), `owid` (static table embedded
// at build time), `emaps` (Electricity Maps API) and `rte` (RTE eCO2mix, France).
// The two network providers fetch lazily on a scrape and serve the last successful
// result for 30 minutes; every request has a timeout, so neither start-up nor a
// scrape can hang on an unreachable API.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

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

inline constexpr double kWorldAverageFactor = 475;

using SteadyClock = std::function<std::chrono::steady_clock::time_point()>;

// Everything a provider may depend on; the defaults are the production values.
struct ProviderOptions {
  std::shared_ptr<http::HttpClient> client;  // required by emaps and rte
  std::optional<std::string> emaps_token;    // nullopt: EMAPS_API_TOKEN is not set
  std::string emaps_base_url{kEmapsBaseUrl};
  std::string emaps_zones_base_url{kEmapsBaseUrl};
  std::string rte_url{kRteUrl};
  std::chrono::milliseconds request_timeout{5000};  // per request, connection included
  int emaps_zone_attempts = 5;
  std::chrono::milliseconds emaps_zone_retry_sleep{1000};
  std::chrono::milliseconds cache_duration{1800000};
  SteadyClock clock;                        // steady_clock::now when empty
  std::function<std::string()> local_date;  // today's host-local "YYYY-MM-DD" when empty
};

// Production options: the curl client, EMAPS_API_TOKEN and __EMAPS_BASE_URL.
ProviderOptions provider_options_from_environment();

// The host-local date as "YYYY-MM-DD".
std::string local_date_today();

class Provider {
 public:
  virtual ~Provider() = default;
  Provider() = default;
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  // Current factors; an error leaves the provider out of this scrape. Thread-safe.
  virtual Result<EmissionFactors> update() = 0;
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
// any (the failure is not remembered, so the next scrape tries again).
class CachingProvider : public Provider {
 public:
  Result<EmissionFactors> update() final;

 protected:
  struct Messages {
    log::Level failure_level;
    std::string_view failure;  // logged with the fetch error
    std::string_view cached;   // debug: the cached value is served
  };
  CachingProvider(const ProviderOptions& options, log::Logger logger, Messages messages);

  virtual Result<EmissionFactors> fetch() = 0;
  const log::Logger& logger() const { return logger_; }

 private:
  log::Logger logger_;
  Messages messages_;
  SteadyClock clock_;
  std::chrono::milliseconds cache_duration_;
  // Held across the fetch: a concurrent scrape waits for it and then reads the cache
  // instead of repeating hundreds of requests.
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_request_;
  std::optional<EmissionFactors> last_factors_;
};

class EmapsProvider final : public CachingProvider {
 public:
  // Fails without a token, or when the zone list cannot be fetched after
  // emaps_zone_attempts tries (each bounded by request_timeout).
  static Result<std::unique_ptr<EmapsProvider>> create(const ProviderOptions& options, log::Logger logger);

  const std::map<std::string, std::string>& zones() const { return zones_; }

 private:
  EmapsProvider(const ProviderOptions& options, log::Logger logger, std::map<std::string, std::string> zones);
  // One concurrent request per zone; failed zones are logged and left out, so this
  // never fails (an all-failed round is an empty, cacheable result).
  Result<EmissionFactors> fetch() override;

  std::shared_ptr<http::HttpClient> client_;
  std::string token_;
  std::string base_url_;
  std::chrono::milliseconds timeout_;
  std::map<std::string, std::string> zones_;  // zone key -> display name
};

class RteProvider final : public CachingProvider {
 public:
  RteProvider(const ProviderOptions& options, log::Logger logger);

 private:
  Result<EmissionFactors> fetch() override;

  std::shared_ptr<http::HttpClient> client_;
  std::string url_;
  std::chrono::milliseconds timeout_;
  std::function<std::string()> local_date_;
};

// Runs fn(0..n-1) on one thread each and waits for all; an index whose thread cannot
// be created runs on the calling thread.
void run_concurrently(size_t n, const std::function<void(size_t)>& fn);

}  // namespace ceems::emissions
