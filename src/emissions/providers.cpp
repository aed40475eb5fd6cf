#include "emissions/providers.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace ceems::emissions {
namespace {

constexpr OwidRow kOwidTable[] = {
#include "emissions/owid_factors.inc"
};

http::ClientRequest get_request(std::string url, std::chrono::milliseconds timeout) {
  http::ClientRequest req;
  req.method = "GET";
  req.url = std::move(url);
  req.timeout = timeout;
  req.connect_timeout = timeout;
  // Go's default client follows redirects; an API moving host must keep working.
  req.follow_redirects = true;
  return req;
}

Result<std::string> get_body(http::HttpClient& client, const http::ClientRequest& req) {
  auto resp = client.send(req);
  if (!resp) return resp.error().wrap("failed to make HTTP request");
  // The reference ignores the status code: only the body's decoding decides.
  return std::move(resp->body);
}

}  // namespace

std::string local_date_today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[16];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return {buf, n};
}

ProviderOptions provider_options_from_environment() {
  ProviderOptions options;
  options.client = http::make_curl_client();
  if (const char* token = std::getenv(std::string(kEmapsTokenEnv).c_str()); token != nullptr) {
    options.emaps_token = token;
  }
  if (const char* base = std::getenv(std::string(kEmapsZonesBaseUrlEnv).c_str()); base != nullptr) {
    options.emaps_zones_base_url = base;
  }
  return options;
}

void run_concurrently(size_t n, const std::function<void(size_t)>& fn) {
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    try {
      threads.emplace_back(fn, i);
    } catch (const std::system_error&) {
      fn(i);  // thread limit reached: slower, but every index still runs
    }
  }
  for (std::thread& t : threads) t.join();
}

Result<EmissionFactors> GlobalProvider::update() {
  return EmissionFactors{{"ZZ", {"World", kWorldAverageFactor}}};
}

std::span<const OwidRow> owid_table() { return kOwidTable; }

OwidProvider::OwidProvider(log::Logger logger) {
  for (const OwidRow& row : kOwidTable)
    factors_[std::string(row.code)] = {std::string(row.country), row.value};
  logger.info("Emission factor from OWID data will be reported.");
}

OwidProvider::OwidProvider(EmissionFactors factors, log::Logger logger) : factors_(std::move(factors)) {
  logger.info("Emission factor from OWID data will be reported.");
}

CachingProvider::CachingProvider(const ProviderOptions& options, log::Logger logger, Messages messages)
    : logger_(std::move(logger)),
      messages_(messages),
      clock_(options.clock ? options.clock : SteadyClock(&std::chrono::steady_clock::now)),
      cache_duration_(options.cache_duration),
      last_request_(clock_()) {}

Result<EmissionFactors> CachingProvider::update() {
  std::lock_guard<std::mutex> lock(mu_);
  if (last_factors_ && clock_() - last_request_ <= cache_duration_) {
    logger_.debug(messages_.cached);
    return *last_factors_;
  }
  auto fresh = fetch();
  if (!fresh) {
    logger_.write(messages_.failure_level, messages_.failure, {{"err", fresh.error()}},
                  log::SourceLocation::current());
    if (!last_factors_) return fresh.error();
    logger_.debug(messages_.cached);
    return *last_factors_;
  }
  last_request_ = clock_();
  last_factors_ = *fresh;
  return fresh;
}

Result<std::unique_ptr<EmapsProvider>> EmapsProvider::create(const ProviderOptions& options,
                                                             log::Logger logger) {
  if (!options.emaps_token) return invalid("api token missing for Electricity Maps");
  logger.info("Emission factor from Electricity Maps will be reported.");
  if (!options.client) return invalid("no HTTP client for Electricity Maps");

  // The zones endpoint is public; the token is only sent where it is needed.
  const http::ClientRequest req =
      get_request(options.emaps_zones_base_url + "/zones", options.request_timeout);
  std::optional<Error> last_error;
  const int attempts = std::max(options.emaps_zone_attempts, 1);
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    auto body = get_body(*options.client, req);
    if (body) {
      auto zones = parse_emaps_zones(*body);
      if (zones) {
        logger.debug("Fetched Electricity Maps zones", {{"zones", zones->size()}});
        return std::unique_ptr<EmapsProvider>(
            new EmapsProvider(options, std::move(logger), std::move(*zones)));
      }
      last_error = zones.error().wrap("failed to unmarshal HTTP response body for url " + req.url);
    } else {
      last_error = body.error();
    }
    logger.debug("Failed to fetch Electricity Maps zones", {{"attempt", attempt}, {"err", *last_error}});
    // No pause after the last attempt: it would only delay the start-up failure.
    if (attempt < attempts) std::this_thread::sleep_for(options.emaps_zone_retry_sleep);
  }
  return last_error->wrap("failed to fetch electricity maps zones");
}

EmapsProvider::EmapsProvider(const ProviderOptions& options, log::Logger logger,
                             std::map<std::string, std::string> zones)
    : CachingProvider(
          options, std::move(logger),
          {log::Level::kError, "Failed to retrieve emission factor from Electricity maps provider",
           "Using cached emission factor for Electricity maps provider"}),
      client_(options.client),
      token_(*options.emaps_token),
      base_url_(options.emaps_base_url),
      timeout_(options.request_timeout),
      zones_(std::move(zones)) {}

Result<EmissionFactors> EmapsProvider::fetch() {
  const std::vector<std::pair<std::string, std::string>> zones(zones_.begin(), zones_.end());
  EmissionFactors factors;
  std::mutex factors_mu;
  run_concurrently(zones.size(), [&](size_t i) {
    const auto& [zone, name] = zones[i];
    http::ClientRequest req =
        get_request(base_url_ + "/carbon-intensity/latest?zone=" + query_escape(zone), timeout_);
    if (!token_.empty()) {
      req.headers.emplace(std::string(kEmapsTokenHeader), token_);
      // libcurl would replay custom headers to whatever host a redirect names: a
      // request carrying the token never follows one.
      req.follow_redirects = false;
    }
    auto body = get_body(*client_, req);
    Result<EmapsCarbonIntensity> parsed =
        body ? parse_emaps_carbon_intensity(*body) : Result<EmapsCarbonIntensity>(body.error());
    if (!parsed) {
      // Errors name the URL (zone only), never the token, which travels in a header.
      logger().error("Failed to fetch factor for Electricity maps provider",
                     {{"zone", zone}, {"err", parsed.error()}});
      return;
    }
    // Error bodies ({"error": ...}) decode to 0 and are dropped silently, like the reference.
    if (parsed->carbon_intensity > 0) {
      std::lock_guard<std::mutex> lock(factors_mu);
      factors[zone] = {name, static_cast<double>(parsed->carbon_intensity)};
    }
  });
  return factors;
}

RteProvider::RteProvider(const ProviderOptions& options, log::Logger logger)
    : CachingProvider(options, std::move(logger),
                      {log::Level::kWarn, "Failed to retrieve emission factor from RTE provider",
                       "Using cached emission factor for RTE provider"}),
      client_(options.client),
      url_(options.rte_url),
      timeout_(options.request_timeout),
      local_date_(options.local_date ? options.local_date : &local_date_today) {
  this->logger().info("Emission factor from RTE eCO2 mix will be reported.");
}

Result<EmissionFactors> RteProvider::fetch() {
  if (!client_) return invalid("no HTTP client for RTE provider");
  // The date is taken per request so that the window follows the local day.
  const http::ClientRequest req = get_request(url_ + "?" + rte_query(local_date_()), timeout_);
  auto body = get_body(*client_, req);
  if (!body) {
    logger().error("Failed to make HTTP request for RTE provider", {{"err", body.error()}});
    return body.error();
  }
  auto factors = parse_rte_response(*body);
  if (!factors) {
    if (factors.error().kind() != ErrorKind::kNoData) {
      logger().error("Failed to unmarshal HTTP response body for RTE provider", {{"err", factors.error()}});
    }
    return factors.error();
  }
  logger().debug("Using real time emission factor from RTE provider",
                 {{"factor", factors->begin()->second.value}});
  return factors;
}

}  // namespace ceems::emissions
