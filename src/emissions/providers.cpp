#include "emissions/providers.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "core/parallel.h"

namespace ceems::emissions {
namespace {

constexpr OwidRow kOwidTable[] = {
#include "emissions/owid_factors.inc"
};

Result<std::string> get_body(http::HttpClient& client, const http::ClientRequest& req,
                             bool* transport_failed = nullptr) {
  if (transport_failed != nullptr) *transport_failed = false;
  auto resp = send_request(client, req);
  if (!resp) {
    if (transport_failed != nullptr) *transport_failed = true;
    return resp.error();
  }
  // The reference ignores the status code: only the body's decoding decides.
  return std::move(resp->body);
}

std::string seconds_text(std::chrono::milliseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + "s";
}

}  // namespace

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

Result<http::ClientResponse> send_request(http::HttpClient& client, const http::ClientRequest& req) {
  auto resp = client.send(req);
  if (resp) return resp;
  // The client names the full URL; logs get it without the query.
  std::string msg = resp.error().message();
  const std::string shown = url_without_query(req.url);
  if (shown.size() != req.url.size()) {
    for (size_t pos = msg.find(req.url); pos != std::string::npos;
         pos = msg.find(req.url, pos + shown.size()))
      msg.replace(pos, req.url.size(), shown);
  }
  return Error(resp.error().kind(), "failed to make HTTP request: " + msg);
}

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
  options.client = http::make_http_client();
  // Assigns the variable's value where it is set; out keeps its default otherwise.
  const auto from_env = [](std::string_view name, auto& out) {
    if (const char* value = std::getenv(std::string(name).c_str()); value != nullptr) out = value;
  };
  from_env(kEmapsTokenEnv, options.emaps_token);
  from_env(kEmapsZonesBaseUrlEnv, options.emaps_zones_base_url);
  from_env(kRteUrlEnv, options.rte_url);
  from_env(kWattTimeUsernameEnv, options.wt_username);
  from_env(kWattTimePasswordEnv, options.wt_password);
  from_env(kWattTimeRegionEnv, options.wt_region);
  from_env(kWattTimeBaseUrlEnv, options.wt_base_url);
  return options;
}

std::chrono::milliseconds retry_delay(int failures, std::chrono::milliseconds initial,
                                      std::chrono::milliseconds max) {
  std::chrono::milliseconds d = std::max(initial, std::chrono::milliseconds(1));
  for (int i = 1; i < failures && d < max; ++i) d *= 2;
  return std::min(d, max);
}

std::string url_without_query(std::string_view url) {
  return std::string(url.substr(0, url.find_first_of("?#")));
}

Status check_emaps_token(std::string_view token) {
  if (auto at = first_bad_byte(token, is_space_or_control_byte)) {
    return invalid("malformed Electricity Maps API token in " + std::string(kEmapsTokenEnv) + ": " + *at +
                   " is white space or a control character");
  }
  return Status::Ok();
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
      request_timeout_(options.request_timeout),
      retry_initial_(options.retry_initial),
      retry_max_(options.retry_max),
      last_success_(clock_()) {}

Result<EmissionFactors> CachingProvider::update() {
  std::lock_guard<std::mutex> lock(mu_);
  auto spent = prepare();
  if (!spent) return spent.error();
  const auto start = clock_();
  if (last_factors_ && start - last_success_ <= cache_duration_) {
    logger_.debug(messages_.cached);
    return *last_factors_;
  }
  if (next_attempt_ && start < *next_attempt_) {
    if (last_factors_) {
      logger_.debug(messages_.cached);
      return *last_factors_;
    }
    return Error(
        last_error_->kind(),
        last_error_->message() + " (next attempt in " +
            seconds_text(std::chrono::duration_cast<std::chrono::milliseconds>(*next_attempt_ - start)) +
            ")");
  }
  // What prepare() spent comes off this scrape's budget: one request timeout in all.
  const auto budget = std::max(request_timeout_ - *spent, std::chrono::milliseconds(1));
  auto fresh = fetch(budget);
  if (!fresh) {
    const auto delay = retry_delay(episode_.failures() + 1, retry_initial_, retry_max_);
    next_attempt_ = clock_() + delay;
    last_error_ = fresh.error();
    logger_.write(episode_.failed(), messages_.failure,
                  {{"err", fresh.error()}, {"retry_in", seconds_text(delay)}},
                  log::SourceLocation::current());
    if (!last_factors_) return fresh.error();
    logger_.debug(messages_.cached);
    return *last_factors_;
  }
  if (const int failures = episode_.succeeded(); failures > 0) {
    logger_.info(messages_.recovered, {{"failed_attempts", failures}});
  }
  next_attempt_.reset();
  last_error_.reset();
  last_success_ = clock_();
  last_factors_ = *fresh;
  return fresh;
}

Result<std::unique_ptr<EmapsProvider>> EmapsProvider::create(const ProviderOptions& options,
                                                             log::Logger logger) {
  if (!options.emaps_token) return invalid("api token missing for Electricity Maps");
  if (auto st = check_emaps_token(*options.emaps_token); !st) return st.error();
  if (!options.client) return invalid("no HTTP client for Electricity Maps");
  logger.info("Emission factor from Electricity Maps will be reported.");
  return std::unique_ptr<EmapsProvider>(new EmapsProvider(options, std::move(logger)));
}

EmapsProvider::EmapsProvider(const ProviderOptions& options, log::Logger logger)
    : CachingProvider(options, std::move(logger),
                      {"Failed to retrieve emission factor from Electricity maps provider",
                       "Emission factor from Electricity maps provider available again",
                       "Using cached emission factor for Electricity maps provider"}),
      client_(options.client),
      token_(*options.emaps_token),
      base_url_(options.emaps_base_url),
      zones_url_(options.emaps_zones_base_url + "/zones"),
      timeout_(options.request_timeout),
      zone_wait_(std::min(options.emaps_zone_wait, options.request_timeout / 5)) {}

EmapsProvider::~EmapsProvider() { stop(); }

void EmapsProvider::stop() {
  std::thread worker;
  bool in_flight = false;
  {
    std::lock_guard<std::mutex> lock(zones_mu_);
    stopping_ = true;
    in_flight = zones_in_flight_;
    worker = std::move(zones_worker_);
  }
  zones_cv_.notify_all();
  if (in_flight) logger().debug("Waiting for the Electricity Maps zones request to end");
  if (worker.joinable()) worker.join();
}

std::optional<std::map<std::string, std::string>> EmapsProvider::zones() const {
  std::lock_guard<std::mutex> lock(zones_mu_);
  return zones_;
}

Result<std::chrono::milliseconds> EmapsProvider::prepare() {
  std::unique_lock<std::mutex> lock(zones_mu_);
  if (zones_) return std::chrono::milliseconds(0);
  if (stopping_) return no_data("Electricity Maps provider is stopping");
  bool started = false;
  if (!zones_in_flight_ && (!next_zones_attempt_ || now() >= *next_zones_attempt_)) {
    // The previous request has ended (in_flight is false), so this join is immediate.
    if (zones_worker_.joinable()) zones_worker_.join();
    zones_in_flight_ = true;
    try {
      zones_worker_ = std::thread([this] { fetch_zones(); });
      started = true;
    } catch (const std::system_error& e) {
      zones_in_flight_ = false;
      const auto delay = retry_delay_after(zones_episode_.failures() + 1);
      next_zones_attempt_ = now() + delay;
      zones_error_ = Error(ErrorKind::kIo, std::string("cannot start the zones request: ") + e.what());
      logger().write(zones_episode_.failed(), "Failed to fetch Electricity Maps zones",
                     {{"err", *zones_error_}, {"retry_in", seconds_text(delay)}},
                     log::SourceLocation::current());
    }
  }
  // Only the scrape that started the request waits for it: while a silent API holds it
  // for a whole request timeout, the scrapes that follow are not slowed down.
  const auto start = std::chrono::steady_clock::now();
  if (started) zones_cv_.wait_for(lock, zone_wait_, [this] { return !zones_in_flight_ || stopping_; });
  const auto spent =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  if (zones_) return spent;
  std::string msg =
      zones_in_flight_ ? "Electricity Maps zones are being fetched" : "Electricity Maps zones not fetched";
  if (zones_error_) msg += " (last attempt: " + zones_error_->message() + ")";
  return no_data(std::move(msg));
}

void EmapsProvider::fetch_zones() {
  // The zones endpoint is public; the token is only sent where it is needed.
  const http::ClientRequest req = get_request(zones_url_, timeout_);
  logger().debug("Fetching Electricity Maps zones", {{"url", url_without_query(req.url)}});
  Result<std::map<std::string, std::string>> zones = [&]() -> Result<std::map<std::string, std::string>> {
    auto body = get_body(*client_, req);
    if (!body) return body.error().wrap("failed to fetch electricity maps zones");
    auto parsed = parse_emaps_zones(*body);
    if (!parsed) {
      return parsed.error()
          .wrap("failed to unmarshal HTTP response body for url " + url_without_query(req.url))
          .wrap("failed to fetch electricity maps zones");
    }
    return parsed;
  }();

  std::lock_guard<std::mutex> lock(zones_mu_);
  if (zones) {
    const int failures = zones_episode_.succeeded();
    logger().info("Fetched Electricity Maps zones",
                  {{"zones", zones->size()}, {"failed_attempts", failures}});
    zones_ = std::move(*zones);
    zones_error_.reset();
  } else {
    const auto delay = retry_delay_after(zones_episode_.failures() + 1);
    next_zones_attempt_ = now() + delay;
    zones_error_ = zones.error();
    logger().write(zones_episode_.failed(), "Failed to fetch Electricity Maps zones",
                   {{"err", zones.error()}, {"retry_in", seconds_text(delay)}},
                   log::SourceLocation::current());
  }
  zones_in_flight_ = false;
  zones_cv_.notify_all();
}

Result<EmissionFactors> EmapsProvider::fetch(std::chrono::milliseconds timeout) {
  std::vector<std::pair<std::string, std::string>> zones;
  {
    std::lock_guard<std::mutex> lock(zones_mu_);
    if (zones_) zones.assign(zones_->begin(), zones_->end());
  }
  EmissionFactors factors;
  std::mutex mu;  // guards factors and the failure summary
  size_t failed = 0;
  size_t unanswered = 0;
  std::optional<std::pair<std::string, Error>> example;  // first failed zone and its error
  parallel_for(zones.size(), [&](size_t i) {
    const auto& [zone, name] = zones[i];
    http::ClientRequest req =
        get_request(base_url_ + "/carbon-intensity/latest?zone=" + query_escape(zone), timeout);
    if (!token_.empty()) {
      req.headers.emplace(std::string(kEmapsTokenHeader), token_);
      // The client keeps custom headers across a redirect to another host (it drops
      // only Authorization, Cookie and X-Auth-Token): a request carrying the token
      // never follows one.
      req.follow_redirects = false;
    }
    bool transport_failed = false;
    auto body = get_body(*client_, req, &transport_failed);
    Result<EmapsCarbonIntensity> parsed =
        body ? parse_emaps_carbon_intensity(*body) : Result<EmapsCarbonIntensity>(body.error());
    std::lock_guard<std::mutex> lock(mu);
    if (!parsed) {
      // Hundreds of zones may fail each round (a free-tier token covers one zone): the
      // details are DEBUG, the round is summarised below.
      logger().debug("Failed to fetch factor for Electricity maps provider",
                     {{"zone", zone}, {"err", parsed.error()}});
      ++failed;
      unanswered += transport_failed ? 1 : 0;
      if (!example) example.emplace(zone, parsed.error());
      return;
    }
    // Error bodies ({"error": ...}) decode to 0 and are dropped silently, like the reference.
    if (parsed->carbon_intensity > 0) factors[zone] = {name, static_cast<double>(parsed->carbon_intensity)};
  });
  if (!zones.empty() && unanswered == zones.size()) {
    return example->second.wrap("no Electricity Maps zone answered (" + std::to_string(zones.size()) +
                                " requests)");
  }
  if (failed > 0) {
    logger().write(zone_failures_.failed(), "Failed to fetch factor for Electricity maps provider",
                   {{"failed_zones", failed},
                    {"zones", zones.size()},
                    {"zone", example->first},
                    {"err", example->second}},
                   log::SourceLocation::current());
  } else if (const int rounds = zone_failures_.succeeded(); rounds > 0) {
    logger().info("Every Electricity Maps zone answered again", {{"failed_rounds", rounds}});
  }
  return factors;
}

RteProvider::RteProvider(const ProviderOptions& options, log::Logger logger)
    : CachingProvider(options, std::move(logger),
                      {"Failed to retrieve emission factor from RTE provider",
                       "Emission factor from RTE provider available again",
                       "Using cached emission factor for RTE provider"}),
      client_(options.client),
      url_(options.rte_url),
      local_date_(options.local_date ? options.local_date : &local_date_today) {
  this->logger().info("Emission factor from RTE eCO2 mix will be reported.");
}

Result<EmissionFactors> RteProvider::fetch(std::chrono::milliseconds timeout) {
  if (!client_) return invalid("no HTTP client for RTE provider");
  // The date is taken per request so that the window follows the local day.
  const http::ClientRequest req = get_request(url_ + "?" + rte_query(local_date_()), timeout);
  auto body = get_body(*client_, req);
  if (!body) return body.error();
  auto factors = parse_rte_response(*body);
  if (!factors) {
    if (factors.error().kind() == ErrorKind::kNoData) return factors.error();
    return factors.error().wrap("failed to unmarshal HTTP response body for url " +
                                url_without_query(req.url));
  }
  logger().debug("Using real time emission factor from RTE provider",
                 {{"factor", factors->begin()->second.value}});
  return factors;
}

}  // namespace ceems::emissions
